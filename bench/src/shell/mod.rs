//! The two shells around the sans-IO [`crate::core::run::Run`]: node processes on a wall clock
//! ([`process`], [`session`]), and the real nodes in-process under virtual time ([`sim`]); where
//! runs are stored ([`store`]), and what both write into a run directory ([`rundir`]).

pub mod process;
pub mod rundir;
pub mod session;
pub mod sim;
pub mod store;
