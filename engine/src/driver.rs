//! A deterministic line driver: one node behind its wire protocol, with no threads, pipes or
//! clock of its own, for simulators that run many nodes in one thread under virtual time.
//!
//! A simulator hands a [`LineDriver`] the lines Maelstrom would write to the node's stdin, each
//! stamped with a virtual `now`, and gets back the lines the node would write to stdout. It asks
//! [`Driver::next_deadline`] when the node next acts on its own (a tick, an RPC's timeout) and
//! calls [`Driver::advance`] at that time. Same lines at the same times give the same output,
//! byte for byte: nothing here reads a clock, a thread or an unseeded random source.
//!
//! The driver carries out the same decision for a line as the threaded engine's reader (one
//! `protocol::Inbox` each: `init`, replies routed to their call's continuation, error
//! 10/11/12 answers to bad input, and the same log lines), and runs ticks and call deadlines as
//! its timer does. Handlers run one at a time, in arrival order.
//!
//! ```
//! use glomers_engine::driver::{Driver, LineDriver};
//! # use glomers_engine::{Init, Message, Node, Out, RpcError};
//! # use serde::{Deserialize, Serialize};
//! # #[derive(Serialize, Deserialize)]
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
//! use std::time::Duration;
//!
//! let mut node = LineDriver::<Pinger>::new();
//! let mut out = Vec::new();
//! let init = br#"{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}"#;
//! node.on_line(Duration::ZERO, init, &mut out);
//! node.on_line(Duration::ZERO, br#"{"src":"c1","dest":"n1","body":{"type":"ping","msg_id":7}}"#, &mut out);
//! assert_eq!(out[1], br#"{"src":"n1","dest":"c1","body":{"type":"pong","in_reply_to":7}}"#);
//! ```

use crate::codec::encode;
use crate::error::ErrorCode;
use crate::error::RpcError;
use crate::message::{Init, Members, MsgId, NodeId};
use crate::node::{
    check_body, checked_ticks, guard, handle_guarded, next_tick, started, ticks, Continuation, Effects, Node,
    Out, Outgoing,
};
use crate::protocol::{Answer, Decision, Inbox};
use crate::{log_debug, log_error};
use glomers_harness::calls::CallTable;
use glomers_harness::time::Ticks;
use std::sync::Arc;
use std::time::Duration;

/// One node as a simulator sees it: protocol lines in, protocol lines out, under virtual time.
///
/// Output lines carry no trailing newline.
pub trait Driver: Send {
    /// Handles one line written to the node's stdin at virtual time `now`; appends every line
    /// the node writes in response to `out`.
    fn on_line(&mut self, now: Duration, line: &[u8], out: &mut Vec<Vec<u8>>);

    /// When the node next acts on its own (a tick or an RPC deadline), if ever.
    fn next_deadline(&self) -> Option<Duration>;

    /// Runs every tick and deadline due at or before `now`, in time order; appends what the
    /// node writes to `out`.
    fn advance(&mut self, now: Duration, out: &mut Vec<Vec<u8>>);

    /// What the node logged since the last call, as it would have written it to stderr.
    fn take_log(&mut self) -> Vec<u8>;
}

/// A node's own clock against the simulation's (see the harness).
pub use glomers_harness::time::Clock;

/// The longest the threaded engine's timer takes to notice a freshly initialised node: its
/// idle wake-up period.
pub const TIMER_START_MAX: Duration = crate::timer::IDLE;

/// One node's calls in flight in a single-threaded driver (the line driver and the testkit).
pub(crate) type Calls<N> = CallTable<NodeId, Continuation<N>>;

/// Takes the effects out of `out`: numbers and registers its calls in `calls`, appends every
/// message to `sent`.
pub(crate) fn drain<N: Node>(calls: &mut Calls<N>, out: &mut Effects<N>, sent: &mut Vec<Outgoing<N::Body>>) {
    // Both closures reach the one table (numbering, then registering each call in turn).
    let numbered = std::cell::RefCell::new(&mut *calls);
    out.drain(
        || MsgId(numbered.borrow_mut().next_id()),
        |id, peer, deadline, then| numbered.borrow_mut().insert(id.0, peer, deadline, then),
        sent,
    );
}

/// What builds a driver's node from `init`.
type Factory<N> = Box<dyn FnMut(&Init) -> Result<N, RpcError> + Send>;

/// Drives one [`Node`] of type `N` deterministically. See the module doc.
pub struct LineDriver<N: Node> {
    /// What to do with each line: the threaded engine's decision, carried out here.
    inbox: Inbox,
    /// Builds the node from `init`.
    build: Factory<N>,
    node: Option<N>,
    /// Its place in the cluster, once `init` named it.
    members: Arc<Members>,
    clock: Clock,
    /// Calls in flight, with local deadlines.
    calls: Calls<N>,
    /// Local time of the next tick.
    ticks: Option<Ticks>,
    sent: Vec<Outgoing<N::Body>>,
    /// Lines written and not yet handed to the caller.
    lines: Vec<Vec<u8>>,
    /// What the node logged (see `crate::log::capture`).
    log: Vec<u8>,
    /// The line being handled, with the parser's padding after it.
    buf: Vec<u8>,
}

impl<N: Node> Default for LineDriver<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<N: Node> LineDriver<N> {
    /// A node not yet initialised, with a perfect clock.
    pub fn new() -> Self {
        Self::with_clock(Clock::default())
    }

    /// A node not yet initialised, whose timers follow `clock`.
    pub fn with_clock(clock: Clock) -> Self {
        Self::with_factory(clock, N::init)
    }

    /// A node not yet initialised, whose timers follow `clock`, built by `build` when `init`
    /// arrives (instead of `Node::init`): how a node with settings gets them. An `Err` is the
    /// answer to the `init`.
    pub fn with_factory(
        clock: Clock,
        build: impl FnMut(&Init) -> Result<N, RpcError> + Send + 'static,
    ) -> Self {
        LineDriver {
            inbox: Inbox::new(),
            build: Box::new(build),
            node: None,
            members: Arc::default(),
            clock,
            calls: Calls::default(),
            ticks: None,
            sent: Vec::new(),
            lines: Vec::new(),
            log: Vec::new(),
            buf: Vec::new(),
        }
    }

    /// The node, once `init` has built it.
    pub fn node(&self) -> Option<&N> {
        self.node.as_ref()
    }

    /// Calls waiting for a reply.
    pub fn pending_calls(&self) -> usize {
        self.calls.len()
    }

    /// Carries out what the inbox decides for `line`.
    fn handle(&mut self, local: Duration, line: &[u8]) {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.extend_from_slice(line);
        buf.resize(line.len() + simd_json::INPUT_PADDING, 0);
        let calls = &mut self.calls;
        let decision = match self.inbox.on_line(&mut buf, line.len(), |id, src| calls.take(id.0, src)) {
            Decision::Unparsable { error, len } => self.inbox.unparsable(&buf[..len], error),
            decision => decision,
        };
        match decision {
            Decision::Deliver(msg) => {
                if let Some(node) = self.node.as_ref() {
                    let mut out = Out::new(local, self.members.clone());
                    handle_guarded(node, msg, &mut out);
                    self.drain(&mut out);
                }
            }
            Decision::Reply { waiter, reply } => {
                if let Some(node) = self.node.as_ref() {
                    let mut out = Effects::new(local, self.members.clone());
                    if guard("a continuation", || waiter(node, Ok(reply), &mut out)).is_none() {
                        out.clear();
                    }
                    self.drain(&mut out);
                }
            }
            Decision::Init(call) => {
                let checked = check_body::<N>().map_err(|e| {
                    log_error!("{e}");
                    RpcError::new(ErrorCode::Crash, e)
                });
                let built =
                    checked.and_then(|()| (self.build)(&call.init)).and_then(checked_ticks).map(|node| {
                        self.members = Arc::new(Members::from(&call.init));
                        self.ticks = ticks(&node, local + self.clock.timer_start);
                        let mut out = started(&node, &self.members, local);
                        self.node = Some(node);
                        // `init` has named the node, so its effects go out from its id.
                        self.drain_from(call.init.node_id.clone(), &mut out);
                    });
                if let Some(Answer { from, msg }) = self.inbox.initialised(call, built) {
                    self.emit(&from, &msg);
                }
            }
            Decision::Answer(Answer { from, msg }) => self.emit(&from, &msg),
            Decision::Ignore | Decision::Unparsable { .. } => {}
        }
        self.buf = buf;
    }

    /// Queues `msg`, sent from `from`, as an output line.
    fn emit(&mut self, from: &NodeId, msg: &Outgoing<N::Body>) {
        let mut line = Vec::new();
        if let Err(e) = encode(from, msg, &mut line) {
            log_error!("cannot send to {}: {e}", msg.dest);
            return;
        }
        // `encode` ends the line with a newline; the simulator takes lines without.
        line.pop();
        log_debug!("send {}", String::from_utf8_lossy(&line));
        self.lines.push(line);
    }

    /// Registers the calls `out` made and queues what it sent.
    fn drain(&mut self, out: &mut Effects<N>) {
        // Only a node that init built has effects to drain, and init named it.
        let Some(me) = self.inbox.me().cloned() else { return };
        self.drain_from(me, out);
    }

    /// Registers the calls `out` made and queues what it sent, from `me`.
    fn drain_from(&mut self, me: NodeId, out: &mut Effects<N>) {
        drain(&mut self.calls, out, &mut self.sent);
        let mut sent = std::mem::take(&mut self.sent);
        for msg in sent.drain(..) {
            self.emit(&me, &msg);
        }
        self.sent = sent;
    }
}

impl<N: Node> Driver for LineDriver<N> {
    fn on_line(&mut self, now: Duration, line: &[u8], out: &mut Vec<Vec<u8>>) {
        let local = self.clock.local(now);
        self.logged(|d| d.handle(local, line));
        out.append(&mut self.lines);
    }

    fn take_log(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.log)
    }

    fn next_deadline(&self) -> Option<Duration> {
        [self.calls.next_deadline(), self.ticks.map(|t| t.due())]
            .into_iter()
            .flatten()
            .min()
            .map(|local| self.clock.global(local))
    }

    fn advance(&mut self, now: Duration, out: &mut Vec<Vec<u8>>) {
        let local = self.clock.local(now);
        self.logged(|d| d.fire_due(local));
        out.append(&mut self.lines);
    }
}

impl<N: Node> LineDriver<N> {
    /// Runs `f` with the node's log lines captured into its own buffer.
    fn logged(&mut self, f: impl FnOnce(&mut Self)) {
        let mut log = std::mem::take(&mut self.log);
        let name = self.inbox.me().map_or("-", |m| m.as_str()).to_owned();
        crate::log::capture(&name, &mut log, || f(self));
        self.log = log;
    }

    /// Runs the deadlines and ticks due by local time `local`.
    fn fire_due(&mut self, local: Duration) {
        loop {
            if let Some((id, then)) = self.calls.take_due(local) {
                if let Some(node) = self.node.as_ref() {
                    let mut o = Effects::new(local, self.members.clone());
                    let timeout = Err(RpcError::timeout(format!("no reply to msg {id}")));
                    if guard("a continuation", || then(node, timeout, &mut o)).is_none() {
                        o.clear();
                    }
                    self.drain(&mut o);
                }
                continue;
            }
            let (true, Some(node)) = (self.ticks.is_some_and(|t| t.is_due(local)), self.node.as_ref()) else {
                break;
            };
            let mut o = Effects::new(local, self.members.clone());
            if guard("a tick", || node.on_tick(&mut o)).is_none() {
                o.clear();
            }
            next_tick(node, &mut self.ticks, local);
            self.drain(&mut o);
        }
    }
}

#[cfg(test)]
#[path = "driver_tests.rs"]
mod tests;
