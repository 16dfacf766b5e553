//! Drives a node in a unit test without threads, pipes or a wall clock (feature `testkit`).
//!
//! `TestNode` feeds messages to one node, answers its RPCs, and moves its clock forward,
//! firing ticks and RPC timeouts in time order; everything the node sends comes back as
//! `Outgoing` values to inspect. `Cluster` runs many nodes over a simulated network, with the
//! in-memory services of the shared harness (`Services`: `seq-kv`, `lin-kv`, `lww-kv`, `lin-tso`,
//! the same code the workbench runs) answering their calls.
//!
//! Calls in flight are kept in the same table as the simulator's line driver (`crate::driver`);
//! `TestNode` works on typed messages where the driver works on protocol lines.
//!
//! ```
//! # use glomers_engine::{Init, Message, Node, Out, RpcError};
//! # use serde::{Deserialize, Serialize};
//! # #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! # #[serde(tag = "type", rename_all = "snake_case")]
//! # enum Body { Ping, Pong }
//! # struct Pinger;
//! # impl Node for Pinger {
//! #     type Body = Body;
//! #     fn init(_: &Init) -> Result<Self, RpcError> { Ok(Pinger) }
//! #     fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
//! #         out.reply(&msg, Body::Pong); Ok(())
//! #     }
//! # }
//! use glomers_engine::testkit::TestNode;
//! use glomers_engine::Payload;
//!
//! let mut t = TestNode::<Pinger>::new("n1", &["n1"]);
//! let sent = t.request("c1", Body::Ping);
//! assert_eq!(sent[0].payload, Payload::Body(Body::Pong));
//! ```

mod cluster;

pub use cluster::{Cluster, Delivered};
/// The seeded generator and Maelstrom's services, from the harness the workbench shares.
pub use glomers_harness::{kv, services::Services, Rng};

use crate::codec::{encode, Reply};
use crate::driver::{drain, Calls};
use crate::error::RpcError;
use crate::message::{Init, Members, Message, MsgId, NodeId};
use crate::node::{check_body, checked_ticks, next_tick, ticks};
use crate::node::{handle, Effects, Node, Out, Outgoing};
use glomers_harness::time::Ticks;
use std::sync::Arc;
use std::time::Duration;

/// One node under test, with a fake clock.
pub struct TestNode<N: Node> {
    members: Arc<Members>,
    node: N,
    /// What `Node::on_start` sent, until taken.
    startup: Vec<Outgoing<N::Body>>,
    now: Duration,
    next_request: u64,
    /// Calls in flight: the same table as the simulator's line driver.
    calls: Calls<N>,
    ticks: Option<Ticks>,
}

impl<N: Node> TestNode<N> {
    /// Builds the node with `init` at time zero and runs its `on_start` (see
    /// [`take_startup`](Self::take_startup) for what that sent).
    ///
    /// # Panics
    /// If the node's body type is not tagged by `type`, or its `init` fails.
    pub fn new(id: &str, ids: &[&str]) -> Self {
        Self::built(id, ids, N::init)
    }

    /// As [`new`](Self::new), with the node built by `make` from its `init` (a node with
    /// settings of its own, as its binary would build it with `run_factory`).
    ///
    /// # Panics
    /// If the node's body type is not tagged by `type`, or `make` fails.
    pub fn built(id: &str, ids: &[&str], make: impl FnOnce(&Init) -> Result<N, RpcError>) -> Self {
        if let Err(e) = check_body::<N>() {
            panic!("{e}");
        }
        let init = Init::new(id, ids);
        let node = make(&init).and_then(checked_ticks).unwrap_or_else(|e| panic!("init of {id} failed: {e}"));
        let ticks = ticks(&node, Duration::ZERO);
        let members = Arc::new(Members::from(&init));
        let mut out = Effects::new(Duration::ZERO, members.clone());
        node.on_start(&mut out);
        let mut t = TestNode {
            members,
            node,
            startup: Vec::new(),
            now: Duration::ZERO,
            next_request: 1,
            calls: Calls::default(),
            ticks,
        };
        t.startup = t.drain(&mut out);
        t
    }

    /// What the node's `on_start` sent (its timers are armed already), and forgets it.
    pub fn take_startup(&mut self) -> Vec<Outgoing<N::Body>> {
        std::mem::take(&mut self.startup)
    }

    /// The node, to inspect its state.
    pub fn node(&self) -> &N {
        &self.node
    }

    /// This node's id.
    pub fn id(&self) -> &NodeId {
        self.members.me()
    }

    /// The fake clock.
    pub fn now(&self) -> Duration {
        self.now
    }

    /// Sends a request from `src` (numbered automatically) and returns what the node sent.
    pub fn request(&mut self, src: &str, body: N::Body) -> Vec<Outgoing<N::Body>> {
        let msg_id = Some(MsgId(self.next_request));
        self.next_request += 1;
        self.deliver(Message {
            src: NodeId::new(src),
            dest: self.members.me().clone(),
            msg_id,
            in_reply_to: None,
            body,
        })
    }

    /// Delivers any message and returns what the node sent. A handler error is answered as
    /// the engine would: an `error` reply when the message has a `msg_id`.
    ///
    /// As in the engine, a reply to one of this node's pending calls goes to the call's
    /// continuation instead of `on_message`.
    pub fn deliver(&mut self, msg: Message<N::Body>) -> Vec<Outgoing<N::Body>> {
        if let Some(id) = msg.in_reply_to.filter(|id| self.calls.is_pending(id.0, &msg.src)) {
            let body = serde_json::to_string(&msg.body).unwrap_or_else(|e| panic!("unencodable body: {e}"));
            return self.reply_json(id.0, &msg.src, &body);
        }
        let mut out = Out::new(self.now, self.members.clone());
        handle(&self.node, msg, &mut out);
        self.drain(&mut out)
    }

    /// Delivers a message whose body is JSON text (what another node sent as any type): a
    /// reply to a pending call goes to its continuation, anything else is decoded as this
    /// node's `Body` and handled. Returns what the node sent; a body that does not decode is
    /// answered with error 12 when it has a `msg_id`, as the engine would.
    pub fn deliver_json(
        &mut self,
        src: &str,
        msg_id: Option<MsgId>,
        in_reply_to: Option<MsgId>,
        body: &str,
    ) -> Vec<Outgoing<N::Body>> {
        let from = NodeId::new(src);
        if let Some(id) = in_reply_to.filter(|id| self.calls.is_pending(id.0, &from)) {
            return self.reply_json(id.0, src, body);
        }
        match serde_json::from_str::<N::Body>(body) {
            Ok(body) => {
                self.deliver(Message { src: from, dest: self.id().clone(), msg_id, in_reply_to, body })
            }
            Err(e) => {
                let mut out = Effects::new(self.now, self.members.clone());
                if in_reply_to.is_none() {
                    out.reply_error((from, msg_id), RpcError::malformed(format!("bad body: {e}")));
                }
                self.drain(&mut out)
            }
        }
    }

    /// Answers this node's call `msg_id` with a JSON body from `from`; returns what the
    /// continuation sent. As in the engine, only a reply from the peer that was called counts:
    /// does nothing if no call `msg_id` to `from` is pending.
    ///
    /// # Panics
    /// If `body` is not JSON.
    pub fn reply_json(&mut self, msg_id: u64, from: &str, body: &str) -> Vec<Outgoing<N::Body>> {
        let Some(then) = self.calls.take(msg_id, &NodeId::new(from)) else { return Vec::new() };
        let mut buf = Vec::new();
        let reply =
            Reply::from_body_json(body, &mut buf).unwrap_or_else(|e| panic!("reply is not JSON: {e}"));
        let mut out = Effects::new(self.now, self.members.clone());
        then(&self.node, Ok(reply), &mut out);
        self.drain(&mut out)
    }

    /// Calls of this node still waiting for a reply.
    pub fn pending_calls(&self) -> Vec<u64> {
        self.calls.ids()
    }

    /// When the node next has something to do on its own: a tick or a call's deadline.
    pub fn next_event(&self) -> Option<Duration> {
        [self.calls.next_deadline(), self.ticks.map(|t| t.due())].into_iter().flatten().min()
    }

    /// Moves the clock forward by `by`, firing ticks and call timeouts in time order.
    pub fn advance(&mut self, by: Duration) -> Vec<Outgoing<N::Body>> {
        let until = self.now + by;
        let mut sent = Vec::new();
        loop {
            let deadline = self.calls.next_deadline();
            let tick_due = self.ticks.map(|t| t.due());
            let next = [deadline, tick_due].into_iter().flatten().min();
            match next {
                Some(at) if at <= until => {
                    self.now = self.now.max(at);
                    if deadline == Some(at) {
                        if let Some((id, then)) = self.calls.take_due(at) {
                            let mut out = Effects::new(self.now, self.members.clone());
                            then(
                                &self.node,
                                Err(RpcError::timeout(format!("no reply to msg {id}"))),
                                &mut out,
                            );
                            sent.extend(self.drain(&mut out));
                        }
                    } else {
                        let mut out = Effects::new(self.now, self.members.clone());
                        self.node.on_tick(&mut out);
                        next_tick(&self.node, &mut self.ticks, self.now);
                        sent.extend(self.drain(&mut out));
                    }
                }
                _ => break,
            }
        }
        self.now = until;
        sent
    }

    /// The body of `msg` as the wire would carry it (with `msg_id` / `in_reply_to`).
    pub fn body_json(&self, msg: &Outgoing<N::Body>) -> String {
        let mut buf = Vec::new();
        if let Err(e) = encode(self.id(), msg, &mut buf) {
            return format!("<unencodable: {e}>");
        }
        let line = String::from_utf8_lossy(&buf).into_owned();
        let start = line.find(",\"body\":").map_or(0, |i| i + 8);
        line[start..line.len().saturating_sub(2)].to_string()
    }

    fn drain(&mut self, out: &mut Effects<N>) -> Vec<Outgoing<N::Body>> {
        let mut sent = Vec::new();
        drain(&mut self.calls, out, &mut sent);
        sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Body {
        Go,
        Ask,
        AskOk,
        Got { from: String },
    }

    /// Asks n2 on `go`, and reports to the client who answered.
    struct Asker;

    impl Node for Asker {
        type Body = Body;
        fn init(_: &Init) -> Result<Self, RpcError> {
            Ok(Asker)
        }
        fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
            if msg.body == Body::Go {
                let client = msg.src.clone();
                out.rpc(NodeId::new("n2"), Body::Ask, Duration::from_secs(1), move |_, reply, out| {
                    let from = if reply.is_ok() { "n2" } else { "nobody" };
                    out.send(client, Body::Got { from: from.into() });
                });
            }
            Ok(())
        }
    }

    #[test]
    fn a_reply_counts_only_from_the_peer_that_was_called() {
        let mut t = TestNode::<Asker>::new("n1", &["n1", "n2", "n3"]);
        let sent = t.request("c1", Body::Go);
        let id = sent[0].msg_id.expect("an rpc").0;
        // A reply with the right id from the wrong peer is an ordinary message, not the answer.
        let wrong = Message {
            src: NodeId::new("n3"),
            dest: NodeId::new("n1"),
            msg_id: None,
            in_reply_to: Some(MsgId(id)),
            body: Body::AskOk,
        };
        assert!(t.deliver(wrong).is_empty());
        assert!(t.reply_json(id, "n3", r#"{"type":"ask_ok","in_reply_to":1}"#).is_empty());
        assert_eq!(t.pending_calls(), [id]);
        let sent = t.reply_json(id, "n2", r#"{"type":"ask_ok","in_reply_to":1}"#);
        assert_eq!(sent[0].payload, crate::Payload::Body(Body::Got { from: "n2".into() }));
        assert!(t.pending_calls().is_empty());
    }
}
