//! The Gossip Glomers nodes, one module per Maelstrom workload. Each is a plain state machine
//! behind `glomers_engine::Node`; the binaries in `src/bin/` only hand it to the engine.
//!
//! - `echo`: challenge 1.
//! - `unique_ids`: challenge 2.
//! - `broadcast`: challenges 3a-3e.
//! - `g_counter`: challenge 4.
//! - `kafka`: challenges 5a-5c.
//! - `txn`: challenges 6a-6c.
//! - `g_set`, `pn_counter`: Maelstrom's guide (grow-only set, counter with decrements).
//! - `txn_list_append`: the guide's Datomic chapter (strict-serializable list transactions over
//!   `lin-kv`).
//!
//! `link` is the reliable batched link that broadcast, kafka, txn and g-set replicate over. The
//! workbench's simulator runs these nodes in-process (its table of them is in `bench`).
//!
//! Section signs in this crate's comments (§4.3, say) cite the protocol reference,
//! `docs/protocol.md` at the top of the repository.

#![warn(missing_docs)]
#![deny(clippy::print_stdout)]

pub mod broadcast;
pub mod echo;
pub mod g_counter;
pub mod g_set;
pub mod kafka;
pub mod lin_kv;
pub mod link;
pub mod pn_counter;
pub mod txn;
pub mod txn_list_append;
pub mod unique_ids;
