//! The glomers engine: runs a Maelstrom node (a plain state machine, see [`Node`]) on stdin and
//! stdout with a fixed set of threads and no async runtime.
//!
//! ```text
//!  stdin ──> reader ──batches──> workers (N) ──┐
//!              │  replies to calls            ├──> writer ──> stdout
//!              └─> continuations / callers ───┤
//!  timer: ticks, call deadlines ───────────────┘
//! ```
//!
//! - The **reader** parses each line with simd-json, answers bad lines (error 10, 11 or 12), runs
//!   `init`, routes replies to the calls waiting for them, and queues the rest for the workers
//!   with backpressure ([`Config::queue_limit`]).
//! - The **workers** run the node's handlers; what a batch produced goes to the writer at once.
//! - The **timer** runs the node's tick and fails calls whose deadline passed (error 0).
//! - The **writer** serializes every message and writes stdout in large chunks, flushing when
//!   its queue runs dry.
//!
//! On EOF every message read is handled, stdout is flushed, and [`run`] returns.
//!
//! Modules: `message` (envelope, ids), `error` (codes), `node` (the `Node` trait, `Out`,
//! `Effects`), `codec` (wire format), `protocol` (the one decision for an input line, sans-IO,
//! carried out by the reader and by `driver`), `reader`, `workers`, `timer`, `writer` (one
//! thread kind each), `admission` (backpressure), `rpc` (calls in flight, blocking `Caller`),
//! `kv` (service client), `runtime` (wiring), `settings` (the environment, read in `main`),
//! `log` (stderr), `driver` (one node driven line by line under virtual time, for simulators),
//! `testkit` (tests without threads).
//!
//! Section signs in this crate's comments (§4.3, say) cite the protocol reference,
//! `docs/protocol.md` at the top of the repository.

#![warn(missing_docs)]
#![deny(clippy::print_stdout)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod admission;
pub mod codec;
pub mod driver;
pub mod error;
pub mod kv;
pub mod log;
pub mod message;
pub mod node;
mod protocol;
mod reader;
mod rpc;
mod runtime;
pub mod settings;
#[cfg(feature = "testkit")]
#[cfg_attr(docsrs, doc(cfg(feature = "testkit")))]
pub mod testkit;
mod timer;
mod workers;
mod writer;

pub use error::{ErrorCode, RpcError};
pub use kv::Kv;
pub use message::{Init, Message, MsgId, NodeId};
pub use node::{Effects, Node, Out, Outgoing, Payload};
pub use rpc::Caller;
pub use runtime::{run, run_factory, run_with, run_with_factory, Config};
pub use settings::SettingError;
