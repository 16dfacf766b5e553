//! What every glomers simulation shares, written once: the engine (its timer, its line driver
//! for simulators, its testkit for unit tests of nodes) and the workbench (process mode and
//! simulator) use these.
//!
//! - [`Rng`]: the seeded generator behind every random choice, so a seed replays a run.
//! - [`kv`]: the key-value semantics of `lin-kv`, `seq-kv` (stale on purpose) and `lww-kv`, and
//!   `lin-tso`, each a plain value answering one request body at a time
//!   (docs/protocol.md §4).
//! - [`services`]: those services by name, as a network addresses them.
//! - [`time`]: a node's clock (skewed, for the simulator) and its tick schedule, one policy for
//!   every driver; [`calls`]: a node's calls in flight (a reply counts only from the peer that
//!   was called).
//! - [`net`]: the simulated network (latency, Maelstrom's delivery order, partitions as grudges,
//!   statistics, and the simulator's duplication and reordering).
//!
//! Nothing here reads a clock, spawns a thread or touches a pipe: callers pass bodies in and
//! get bodies out.
//!
//! Section signs in this crate's comments (§4.3, say) cite the protocol reference,
//! `docs/protocol.md` at the top of the repository.

#![warn(missing_docs)]

pub mod calls;
pub mod kv;
pub mod net;
mod rng;
pub mod services;
pub mod time;

pub use rng::Rng;
