//! The command line: the flags of a run ([`config`]), the Gossip Glomers challenges as typed
//! values (`challenge`), the commands ([`commands`], and [`sim`] for the simulator), how a
//! command ends ([`outcome`], [`error`]: one exit code each), and stdout ([`stdout`]).

pub(crate) mod challenge;
pub mod commands;
pub mod config;
pub mod error;
pub mod outcome;
pub mod sim;
pub mod stdout;
