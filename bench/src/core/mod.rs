//! The sans-IO core: everything a run is made of, driven by a seed and a `now` passed in, with
//! no threads, pipes or clocks. The two shells (`crate::shell`) drive the same `run::Run`.
//!
//! - `wire` (the bench's own strict codec), `nemesis` (partitions), [`faults`] (the
//!   simulator's extra faults), `topology` (broadcast topologies); the seeded RNG, the
//!   simulated network and the services (`lin-kv`, `seq-kv`, `lww-kv`, `lin-tso`) come from the
//!   shared harness crate (`engine/harness`), as the engine testkit's do;
//! - `workloads` (generators and clients), `checkers` (verdicts), `history`;
//! - `run`: one test as a state machine (phases, workers, routing).

pub(crate) mod checkers;
pub mod faults;
pub(crate) mod history;
pub(crate) mod nemesis;
// docs/protocol.md's examples, checked against the workbench (test only).
#[cfg(test)]
mod protocol_doc;
pub(crate) mod run;
pub(crate) mod topology;
pub(crate) mod wire;
pub(crate) mod workloads;
