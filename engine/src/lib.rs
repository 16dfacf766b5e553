//! The glomers engine: runs a Maelstrom node, written as a plain state machine (see [`Node`]),
//! on stdin and stdout with a fixed set of threads and no async runtime.
//!
//! # A first node
//!
//! A node names the bodies it receives (an enum tagged by `type`, as on the wire), builds
//! itself from `init`, and answers each message through `out`. Replies take the request and
//! any serializable body with a `type` field; this one echoes:
//!
//! ```
//! use glomers_engine::prelude::*;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! #[serde(tag = "type", rename_all = "snake_case")]
//! enum Request {
//!     Echo { echo: serde_json::Value },
//! }
//!
//! struct Echo;
//!
//! impl Node for Echo {
//!     type Body = Request;
//!     fn init(_: &Init) -> Result<Self, RpcError> {
//!         Ok(Echo)
//!     }
//!     fn on_message(&self, msg: Message<Request>, out: &mut Out<Self>) -> Result<(), RpcError> {
//!         let to = msg.reply_to();
//!         let Request::Echo { echo } = msg.body;
//!         out.reply(to, json!({"type": "echo_ok", "echo": echo}));
//!         Ok(())
//!     }
//! }
//!
//! // The binary's whole `main` is `fn main() -> std::process::ExitCode { run::<Echo>() }`.
//! // A unit test drives the same node without threads (feature `testkit`):
//! # #[cfg(feature = "testkit")] {
//! let mut node = glomers_engine::testkit::TestNode::<Echo>::new("n1", &["n1"]);
//! let sent = node.request("c1", Request::Echo { echo: json!("hi") });
//! assert_eq!(sent[0].json(), json!({"type": "echo_ok", "echo": "hi"}));
//! # }
//! ```
//!
//! # Gossip, timers and calls
//!
//! - Wherever node code runs, `out.me()` is this node's id and `out.peers()` the others;
//!   iterating `out.peers()` yields owned ids, so `for p in out.peers() { out.send(p, ..) }`.
//! - [`Node::on_start`] runs once after `init`; arm timers there: [`Effects::every`] (any
//!   number, each with its own period) and [`Effects::after`] (once). [`Node::tick_every`] with
//!   [`Node::on_tick`] is the one-period shorthand.
//! - [`Effects::rpc`] sends a request and runs a continuation with the reply (or error 0 at the
//!   timeout); [`Kv`] speaks to Maelstrom's key-value services the same way. Node code never
//!   blocks: it pushes effects and returns.
//! - A reply kept for later (after a call of your own) is a [`ReplyTo`]: `msg.reply_to()`.
//! - Handlers take `&self` and run on a pool of workers, so state lives behind locks
//!   (`prelude::Mutex` is parking_lot's); messages from one sender may be handled out of order
//!   across workers (set `GLOMERS_WORKERS=1` for one at a time).
//! - A panic in node code answers the request with error 13 and the node carries on (see
//!   [`Node`]); a body type without `#[serde(tag = "type")]` is refused at start-up.
//! - The `testkit` feature drives a node, or a cluster over a simulated network with faults
//!   and Maelstrom's services, in plain unit tests; glomers-bench's simulator runs a node
//!   under virtual time with the workbench's checkers (see `docs/simulator.md`).
//!
//! # The threads
//!
//! ```text
//!  stdin ──> reader ──batches──> workers (N) ──┐
//!              │  replies to calls            ├──> writer ──> stdout
//!              └─> continuations / callers ───┤
//!  timer: ticks, timers, call deadlines ───────┘
//! ```
//!
//! - The **reader** parses each line with simd-json, answers bad lines (error 10, 11 or 12), runs
//!   `init`, routes replies to the calls waiting for them, and queues the rest for the workers
//!   with backpressure ([`Config::queue_limit`]).
//! - The **workers** run the node's handlers; what a batch produced goes to the writer at once.
//! - The **timer** runs the node's tick and timers and fails calls whose deadline passed
//!   (error 0).
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
//! `testkit` (tests without threads), `prelude` (what a node file imports).
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
mod handoff;
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
pub use message::ReplyTo;
pub use message::{Init, Message, MsgId, NodeId};
pub use node::{Effects, Node, Out, Outgoing, Payload};
pub use rpc::Caller;
pub use runtime::{run, run_factory, run_with, run_with_factory, Config};
pub use settings::SettingError;

/// What a node file imports: `use glomers_engine::prelude::*;`.
pub mod prelude {
    pub use crate::{
        run, run_factory, Effects, ErrorCode, Init, Message, Node, NodeId, Out, ReplyTo, RpcError,
    };
    /// parking_lot's mutex, for node state behind `&self`.
    pub use parking_lot::Mutex;
    /// serde's derives, for the body types.
    pub use serde::{Deserialize, Serialize};
    /// JSON bodies for replies and sends: `json!({"type": "add_ok"})`.
    pub use serde_json::json;
    /// Periods and delays of timers.
    pub use std::time::Duration;
}
