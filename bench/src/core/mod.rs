//! The sans-IO core: everything a run is made of, driven by a seed and a `now` passed in, with
//! no threads, pipes or clocks. The two shells (`crate::shell`) drive the same [`run::Run`].
//!
//! - [`wire`] (the bench's own strict codec), [`nemesis`] (partitions), [`faults`] (the
//!   simulator's extra faults), [`topology`] (broadcast topologies); the seeded RNG, the
//!   simulated network and the services (`lin-kv`, `seq-kv`, `lww-kv`, `lin-tso`) come from the
//!   shared harness crate (`engine/harness`), as the engine testkit's do;
//! - [`workloads`] (generators and clients), [`checkers`] (verdicts), [`history`];
//! - [`run`]: one test as a state machine (phases, workers, routing).

pub mod checkers;
pub mod faults;
pub mod history;
pub mod nemesis;
pub mod run;
pub mod topology;
pub mod wire;
pub mod workloads;
