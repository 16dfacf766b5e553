//! The glomers workbench: runs Gossip Glomers node binaries as real processes and judges them
//! the way Jepsen's Maelstrom does (see `docs/protocol.md`), without a JVM.
//!
//! # Threads (process mode)
//! ```text
//! node stdout ─ reader thread ─> batches (bounded) ─┐          ┌─ writer thread ─> node stdin
//! node stdout ─ reader thread ─> batches (bounded) ─┼─> session ┼─ writer thread ─> node stdin
//! node stderr ─ log thread ─> node-logs/<id>.log      loop     └─> net-journal.jsonl
//!                                          (Run: network, services, workers, timers)
//! ```
//! The session loop is the only thread that routes: it stamps each line with the time since the
//! run began and hands it to the sans-IO `core::run::Run`, which returns the lines to write.
//! Every queue on the way is bounded, so a node that writes faster than the bench routes, or
//! never reads, blocks on its own pipe (see `shell::process`).
//!
//! # Layout
//! The folders are the layers; each depends only on the ones listed before it.
//! - [`core`]: sans-IO, driven by a seed and a `now` passed in: the network, nemesis, services,
//!   workloads, checkers, history and the run state machine.
//! - [`output`]: results on disk and on the console, and the HTML reports.
//! - [`shell`]: the two drivers of a run — node processes on a wall clock, and engine nodes
//!   in-process under virtual time — and the store of runs.
//! - [`maelstrom`]: the real Maelstrom, for comparison (runs it, reads its EDN results).
//! - [`cli`]: flags, the challenges, the commands and their exit codes.
//! - [`sim`]: the simulator as a library, for anyone's engine node: many seeds from a `#[test]`
//!   ([`sim::Sim::run`]), or `sim`'s whole command line as a one-line `main` ([`sim::main`]);
//!   and [`sim::registry`], the nodes of `nodes/` that `glomers-bench sim` runs through it.
//!
//! The binary (`src/bin/glomers-bench/`) parses the command line and calls [`cli`] (and
//! [`sim`] for `sim`); its `flood` load tool is its own module there.
//!
//! Section signs in this crate's comments (§4.3, say) cite the protocol reference,
//! `docs/protocol.md` at the top of the repository.

#![warn(missing_docs)]

pub mod cli;
pub mod core;
pub mod maelstrom;
pub mod output;
pub mod shell;
pub mod sim;
