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
//! #         out.reply(msg.src, msg.msg_id, Body::Pong); Ok(())
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
use crate::error::RpcError;
use crate::message::{Init, MsgId, NodeId};
use crate::node::{handle, Continuation, Effects, Node, Out, Outgoing};
use crate::protocol::{Answer, Decision, Inbox};
use crate::{log_debug, log_error};
use std::collections::{BTreeMap, BTreeSet};
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

/// How a node's own clock relates to the simulator's: `local = offset + global × (1 + ppm/10⁶)`,
/// and when its timer starts.
///
/// The default is a perfect clock whose ticks start one period after `init`. A skewed clock
/// makes the node's ticks and RPC timeouts run early or late relative to the rest of the
/// simulation, as a drifting crystal would.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    /// How far ahead the node's clock starts.
    pub offset: Duration,
    /// Rate error in parts per million; negative runs slow. Kept above -1,000,000.
    pub ppm: i32,
    /// Local time from `init` to the start of the node's tick schedule (its first tick comes
    /// one period later). In the threaded engine this is when the timer thread next wakes,
    /// anywhere in [`TIMER_START_MAX`]; a simulator draws it per node, so that nodes' ticks
    /// are not all in phase, as they are not between processes.
    pub timer_start: Duration,
}

/// The longest the threaded engine's timer takes to notice a freshly initialised node: its
/// idle wake-up period.
pub const TIMER_START_MAX: Duration = crate::timer::IDLE;

impl Clock {
    fn rate(self) -> f64 {
        1.0 + f64::from(self.ppm.max(-999_999)) / 1e6
    }

    /// The node's local time at global time `global`.
    pub fn local(self, global: Duration) -> Duration {
        if self.ppm == 0 {
            return self.offset + global;
        }
        self.offset + scale(global, self.rate())
    }

    /// The earliest global time at which the node's local time reaches `local`.
    pub fn global(self, local: Duration) -> Duration {
        let since = local.saturating_sub(self.offset);
        if self.ppm == 0 {
            return since;
        }
        let mut g = scale(since, 1.0 / self.rate());
        // Rounding may land a little short; a deadline must never be missed. One step of
        // ⌈1/rate⌉ ns moves the local clock by at least 1 ns.
        let step = Duration::from_nanos((1.0 / self.rate()).ceil() as u64);
        while self.local(g) < local {
            g += step;
        }
        g
    }
}

fn scale(d: Duration, by: f64) -> Duration {
    if by == 1.0 {
        return d;
    }
    Duration::from_nanos((d.as_nanos() as f64 * by).round() as u64)
}

/// The shortest tick period the driver honours, so a node asking for 0 cannot stall the
/// simulation at one instant.
const MIN_TICK: Duration = Duration::from_micros(1);

/// A call in flight.
struct Call<N: Node> {
    peer: NodeId,
    deadline: Duration,
    then: Continuation<N>,
}

/// One node's calls in flight, for the single-threaded drivers (the line driver here and the
/// testkit's `TestNode`): each call's continuation and deadline by `msg_id`, and the counter
/// that numbers this node's messages.
pub(crate) struct CallTable<N: Node> {
    next_id: u64,
    calls: BTreeMap<u64, Call<N>>,
    /// (deadline, msg_id) of every call in `calls`.
    deadlines: BTreeSet<(Duration, u64)>,
}

impl<N: Node> CallTable<N> {
    pub(crate) fn new() -> Self {
        CallTable { next_id: 1, calls: BTreeMap::new(), deadlines: BTreeSet::new() }
    }

    /// Takes the effects out of `out`: numbers and registers its calls, appends every message
    /// to `sent`.
    pub(crate) fn drain(&mut self, out: &mut Effects<N>, sent: &mut Vec<Outgoing<N::Body>>) {
        let next_id = &mut self.next_id;
        let calls = &mut self.calls;
        let deadlines = &mut self.deadlines;
        out.drain(
            || {
                let id = MsgId(*next_id);
                *next_id += 1;
                id
            },
            |id, peer, deadline, then| {
                deadlines.insert((deadline, id.0));
                calls.insert(id.0, Call { peer, deadline, then });
            },
            sent,
        );
    }

    /// Whether call `id` waits for a reply (from `from`, when given).
    pub(crate) fn is_pending(&self, id: u64, from: Option<&NodeId>) -> bool {
        self.calls.get(&id).is_some_and(|c| from.is_none_or(|f| c.peer == *f))
    }

    /// Takes call `id` out if it waits for a reply (from `from`, when given).
    pub(crate) fn take(&mut self, id: u64, from: Option<&NodeId>) -> Option<Continuation<N>> {
        if !self.is_pending(id, from) {
            return None;
        }
        let call = self.calls.remove(&id)?;
        self.deadlines.remove(&(call.deadline, id));
        Some(call.then)
    }

    /// The earliest deadline of a call in flight.
    pub(crate) fn next_deadline(&self) -> Option<Duration> {
        self.deadlines.first().map(|(at, _)| *at)
    }

    /// Takes out the call with the earliest deadline if that deadline is at or before `now`.
    pub(crate) fn take_due(&mut self, now: Duration) -> Option<(u64, Continuation<N>)> {
        let &(at, id) = self.deadlines.first().filter(|(at, _)| *at <= now)?;
        self.deadlines.remove(&(at, id));
        self.calls.remove(&id).map(|c| (id, c.then))
    }

    /// How many calls are in flight.
    pub(crate) fn len(&self) -> usize {
        self.calls.len()
    }

    /// The `msg_id`s of the calls in flight, in order.
    #[cfg(feature = "testkit")]
    pub(crate) fn ids(&self) -> Vec<u64> {
        self.calls.keys().copied().collect()
    }
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
    clock: Clock,
    /// Calls in flight, with local deadlines.
    calls: CallTable<N>,
    /// Local time of the next tick.
    next_tick: Option<Duration>,
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
            clock,
            calls: CallTable::new(),
            next_tick: None,
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
        let decision = match self.inbox.on_line(&mut buf, line.len(), |id, src| calls.take(id.0, Some(src))) {
            Decision::Unparsable { error, len } => self.inbox.unparsable(&buf[..len], error),
            decision => decision,
        };
        match decision {
            Decision::Deliver(msg) => {
                if let Some(node) = self.node.as_ref() {
                    let mut out = Out::new(local);
                    handle(node, msg, &mut out);
                    self.drain(&mut out);
                }
            }
            Decision::Reply { waiter, reply } => {
                if let Some(node) = self.node.as_ref() {
                    let mut out = Effects::new(local);
                    waiter(node, Ok(reply), &mut out);
                    self.drain(&mut out);
                }
            }
            Decision::Init(call) => {
                let built = (self.build)(&call.init).map(|node| {
                    let start = local + self.clock.timer_start;
                    self.next_tick = node.tick_every().map(|every| start + every.max(MIN_TICK));
                    self.node = Some(node);
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
        self.calls.drain(out, &mut self.sent);
        // Only a node that init built has effects to drain, and init named it.
        let Some(me) = self.inbox.me().cloned() else { return };
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
        [self.calls.next_deadline(), self.next_tick]
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
                    let mut o = Effects::new(local);
                    then(node, Err(RpcError::timeout(format!("no reply to msg {id}"))), &mut o);
                    self.drain(&mut o);
                }
                continue;
            }
            let (Some(at), Some(node)) = (self.next_tick.filter(|at| *at <= local), self.node.as_ref())
            else {
                break;
            };
            let every = node.tick_every().unwrap_or(Duration::MAX).max(MIN_TICK);
            let mut o = Effects::new(local);
            node.on_tick(&mut o);
            self.drain(&mut o);
            // As in the engine: a late tick is not made up for.
            self.next_tick = at.checked_add(every).map(|next| next.max(local + every / 2));
        }
    }
}

#[cfg(test)]
#[path = "driver_tests.rs"]
mod tests;
