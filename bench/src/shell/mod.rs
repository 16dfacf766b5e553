//! The two shells around the sans-IO `crate::core::run::Run`: node processes on a wall clock
//! (`process`, `session`), and the real nodes in-process under virtual time ([`sim`]); where
//! runs are stored (`store`), what both write into a run directory (`rundir`), and the last lines
//! of each node's stdout, for a crash to show (`tail`).

pub(crate) mod process;
pub(crate) mod rundir;
pub(crate) mod session;
pub mod sim;
pub(crate) mod store;
mod tail;
