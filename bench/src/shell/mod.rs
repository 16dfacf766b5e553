//! The two shells around the sans-IO [`crate::core::run::Run`]: node processes on a wall clock
//! ([`process`], [`session`]), and the real nodes in-process under virtual time ([`sim`]); and
//! where runs are stored ([`store`]).

pub mod process;
pub mod session;
pub mod sim;
pub mod store;
