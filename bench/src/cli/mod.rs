//! The command line: the flags of a run ([`config`]), the challenge table's rows (Gossip
//! Glomers, then Maelstrom's guide) as typed values (`challenge`), the commands ([`commands`], and [`sim`] for the simulator), how a
//! command ends ([`outcome`], [`error`]: one exit code each), what every `main` does around
//! its command ([`entry`]), and stdout ([`stdout`]).

pub(crate) mod challenge;
pub mod commands;
pub mod config;
pub mod entry;
pub mod error;
pub mod outcome;
pub mod sim;
pub mod stdout;
