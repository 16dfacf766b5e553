//! The glomers workbench: runs Gossip Glomers node binaries as real processes and judges them
//! the way Jepsen's Maelstrom does (see `/work/shared/MAELSTROM.md`), without a JVM.
//!
//! # Threads
//! ```text
//! node stdout ─ reader thread ─┐                          ┌─ writer thread ─> node stdin
//! node stdout ─ reader thread ─┼─> channel ─> session ────┼─ writer thread ─> node stdin
//! node stderr ─ log thread ─> node-logs/<id>.log   loop   └─> net-journal.jsonl
//!                                          (Run: network, services, workers, timers)
//! ```
//! The session loop is the only thread that routes: it stamps each line with the time since the
//! run began and hands it to the sans-IO [`run::Run`], which returns the lines to write.
//!
//! # Layout
//! - Sans-IO core, driven by a seed and a `now` passed in: [`rng`], [`wire`] (the bench's own
//!   strict codec), [`net`] (simulated network), [`nemesis`], [`topology`], [`services`],
//!   [`workloads`] (generators and clients), [`checkers`], [`history`], [`run`] (phases, workers
//!   and routing of one test).
//! - I/O shell: [`process`] (the only module touching pipes), [`session`] (clock, channels and
//!   the event loop around a [`run::Run`]), [`store`], [`results`] and [`report`] (results on
//!   disk and on the console), [`html`] (each run's HTML report with its plots, the store's
//!   index, `serve`).
//! - The other shell: [`sim`] runs the real nodes of `nodes/` in-process under virtual time,
//!   around the same [`run::Run`], for one seed or thousands; [`faults`] are its extra faults
//!   (duplication, reordering, one-way and flapping partitions, clock skew).
//! - Command line: [`config`] (`test` flags), [`challenge`] (the Gossip Glomers table),
//!   [`commands`] (`test`, `challenge`, `challenges` and their exit codes).
//! - The real Maelstrom, for comparison: [`maelstrom`] runs it with a challenge's flags and
//!   [`edn`] reads its `results.edn`.

#![warn(missing_docs)]

pub mod challenge;
pub mod checkers;
pub mod commands;
pub mod config;
pub mod edn;
pub mod faults;
pub mod history;
pub mod html;
pub mod maelstrom;
pub mod nemesis;
pub mod net;
pub mod process;
pub mod report;
pub mod results;
pub mod rng;
pub mod run;
pub mod services;
pub mod session;
pub mod sim;
pub mod store;
pub mod topology;
pub mod wire;
pub mod workloads;
