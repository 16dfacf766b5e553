//! Workers (docs/protocol.md §5.2): each is bound to node `t mod N`, runs one synchronous operation
//! at a time through its workload client, gives up on an RPC after its workload's timeout (5 s,
//! lin-kv's is shorter), and is given a fresh client (new id, new process number) after an
//! indeterminate outcome when the workload asks.
//!
//! Invariants [`Workers`] owns:
//! - a worker is free, paused (a final operation waiting for its time) or running one
//!   operation, and an RPC is outstanding only while an operation runs ([`State`] makes any
//!   other combination unrepresentable);
//! - every invocation recorded in the history is followed by exactly one completion of the same
//!   process, and the progress totals count exactly those events;
//! - a worker's client endpoint is open while it is the worker's: it is closed only when the
//!   worker gets a fresh one.

use super::endpoints::Owner;
use super::router::Router;
use super::{NodeIdx, Progress};
use crate::core::history::{Event, History, Kind};
use crate::core::wire::Body;
use crate::core::workloads::{Client, ClientReply, Completion, FinalStep, Op, Step, Workload};
use glomers_harness::net::Ep;
use glomers_harness::Rng;
use serde_json::{json, Value};
use std::time::Duration;

/// How far behind schedule operations may start and still keep their schedule.
const CATCH_UP: Duration = Duration::from_millis(10);

/// The request a running operation waits on.
struct Rpc {
    msg_id: u64,
    deadline: Duration,
}

/// What a worker is doing.
enum State {
    /// Nothing: it can take an operation.
    Free,
    /// A final-phase operation waiting for its time.
    Paused { at: Duration, op: Op },
    /// One operation, and the request it waits on, if any.
    Running { op: Op, rpc: Option<Rpc> },
}

/// One worker thread of §5.2.
struct Worker {
    node: NodeIdx,
    client_ep: Ep,
    client: Box<dyn Client>,
    process: u64,
    next_msg_id: u64,
    state: State,
}

impl Worker {
    /// The history event of `op` on this worker (its process, its node) at `now`.
    fn event(&self, kind: Kind, op: &Op, now: Duration, router: &Router) -> Event {
        Event {
            index: 0,
            kind,
            f: op.f.to_owned(),
            value: op.value.clone(),
            process: self.process,
            time: now,
            node: router.node_name(self.node).to_owned(),
            final_op: op.final_op,
            error: None,
            exception: None,
        }
    }
}

/// What a worker acts on besides itself: the network and the workload.
pub struct Ctx<'a> {
    /// Where requests go.
    pub router: &'a mut Router,
    /// Makes clients, generates and sees operations.
    pub workload: &'a mut dyn Workload,
    /// Whether the run is in its final phase (a completion then asks for the next final step).
    pub final_phase: bool,
}

/// Every worker, the history they write and its running totals.
#[derive(Default)]
pub struct Workers {
    workers: Vec<Worker>,
    history: History,
    progress: Progress,
}

impl Workers {
    /// Starts `count` workers, worker `t` bound to node `t mod nodes`, each with a fresh client.
    pub fn spawn(&mut self, count: usize, nodes: usize, ctx: &mut Ctx<'_>) {
        let n = nodes.max(1);
        for t in 0..count {
            let client_ep = ctx.router.add_client(Owner::Worker(t));
            self.workers.push(Worker {
                node: NodeIdx(t % n),
                client_ep,
                client: ctx.workload.client(),
                process: t as u64,
                next_msg_id: 1,
                state: State::Free,
            });
        }
    }

    /// Starts scheduled operations on free workers, with gaps uniform in `[0, 2/R)`; `next_op`
    /// is when the next one is due, and moves on with each start.
    ///
    /// Gaps count from the scheduled time, so timer lateness does not lower the rate; after an
    /// operation waited more than [`CATCH_UP`] for a free worker they count from its start
    /// instead, so a stall is not followed by a burst.
    pub fn dispatch(
        &mut self,
        now: Duration,
        next_op: &mut Duration,
        rate: f64,
        rng: &mut Rng,
        ctx: &mut Ctx<'_>,
    ) {
        if rate <= 0.0 {
            return;
        }
        while now >= *next_op {
            let due = *next_op;
            let free: Vec<usize> = (0..self.workers.len()).filter(|&t| self.is_free(t)).collect();
            let Some(&t) = free.get(rng.index(free.len())) else { return };
            let op = ctx.workload.next_op_for(t, rng);
            self.invoke(now, t, op, ctx);
            let gap = Duration::from_secs_f64(rng.unit() * 2.0 / rate);
            *next_op = if now - due > CATCH_UP { now + gap } else { due + gap };
        }
    }

    fn is_free(&self, t: usize) -> bool {
        self.workers.get(t).is_some_and(|w| matches!(w.state, State::Free))
    }

    /// Whether some worker can take an operation.
    pub fn any_free(&self) -> bool {
        self.workers.iter().any(|w| matches!(w.state, State::Free))
    }

    /// Whether no operation is in flight or waiting.
    pub fn is_idle(&self) -> bool {
        self.workers.iter().all(|w| matches!(w.state, State::Free))
    }

    /// Starts each worker's first final operation.
    pub fn start_final(&mut self, now: Duration, ctx: &mut Ctx<'_>) {
        for t in 0..self.workers.len() {
            let step = ctx.workload.final_step(t, now, None);
            self.take_final_step(now, t, step, ctx);
        }
    }

    fn take_final_step(&mut self, now: Duration, t: usize, step: FinalStep, ctx: &mut Ctx<'_>) {
        match step {
            FinalStep::Op(op) => self.invoke(now, t, op, ctx),
            FinalStep::After(pause, op) => {
                if let Some(w) = self.workers.get_mut(t) {
                    w.state = State::Paused { at: now + pause, op };
                }
            }
            FinalStep::Done => {}
        }
    }

    /// Starts paused final-phase operations whose time has come.
    pub fn start_paused(&mut self, now: Duration, ctx: &mut Ctx<'_>) {
        for t in 0..self.workers.len() {
            let Some(w) = self.workers.get_mut(t) else { continue };
            if !matches!(w.state, State::Paused { at, .. } if at <= now) {
                continue;
            }
            if let State::Paused { op, .. } = std::mem::replace(&mut w.state, State::Free) {
                self.invoke(now, t, op, ctx);
            }
        }
    }

    /// The earliest RPC timeout or paused operation.
    pub fn deadline(&self) -> Option<Duration> {
        self.workers
            .iter()
            .filter_map(|w| match &w.state {
                State::Running { rpc: Some(r), .. } => Some(r.deadline),
                State::Paused { at, .. } => Some(*at),
                _ => None,
            })
            .min()
    }

    fn invoke(&mut self, now: Duration, t: usize, op: Op, ctx: &mut Ctx<'_>) {
        let Some(w) = self.workers.get_mut(t) else { return };
        self.history.push(w.event(Kind::Invoke, &op, now, ctx.router));
        self.progress.invoked += 1;
        let step = w.client.invoke(&op);
        w.state = State::Running { op, rpc: None };
        self.step(now, t, step, ctx);
    }

    fn step(&mut self, now: Duration, t: usize, step: Step, ctx: &mut Ctx<'_>) {
        match step {
            Step::Send(mut body) => {
                let Some(w) = self.workers.get_mut(t) else { return };
                let State::Running { rpc, .. } = &mut w.state else { return };
                let msg_id = w.next_msg_id;
                w.next_msg_id += 1;
                body.insert("msg_id".into(), json!(msg_id));
                *rpc = Some(Rpc { msg_id, deadline: now + ctx.workload.rpc_timeout() });
                let (src, dest) = (w.client_ep, ctx.router.node_ep(w.node));
                ctx.router.send_body(now, src, dest, &body);
            }
            Step::Done(c) => self.complete(now, t, c, ctx),
        }
    }

    fn complete(&mut self, now: Duration, t: usize, c: Completion, ctx: &mut Ctx<'_>) {
        let concurrency = self.workers.len() as u64;
        let Some(w) = self.workers.get_mut(t) else { return };
        let State::Running { op, .. } = std::mem::replace(&mut w.state, State::Free) else { return };
        ctx.workload.on_complete(t, &op, &c);
        let next = if ctx.final_phase { ctx.workload.final_step(t, now, Some(&c)) } else { FinalStep::Done };
        let Some(w) = self.workers.get_mut(t) else { return };
        let kind = c.kind;
        let mut event = w.event(kind, &op, now, ctx.router);
        if kind == Kind::Ok || c.value != Value::Null {
            event.value = c.value;
        }
        event.error = c.error;
        event.exception = c.exception;
        self.history.push(event);
        match kind {
            Kind::Ok => self.progress.ok += 1,
            Kind::Fail => self.progress.fail += 1,
            _ => self.progress.info += 1,
        }
        if kind == Kind::Info {
            // An indeterminate outcome replaces the Jepsen process; non-reusable clients are
            // closed and reopened with a new id (§1).
            w.process += concurrency;
            if !ctx.workload.reuses_clients() {
                w.client = ctx.workload.client();
                let fresh = ctx.router.add_client(Owner::Worker(t));
                ctx.router.close(w.client_ep);
                w.client_ep = fresh;
            }
        }
        self.take_final_step(now, t, next, ctx);
    }

    /// A reply reached worker `t`'s client; replies not matching its pending request are ignored.
    pub fn on_reply(&mut self, now: Duration, t: usize, reply: Body, ctx: &mut Ctx<'_>) {
        let Some(w) = self.workers.get_mut(t) else { return };
        let State::Running { op, rpc } = &mut w.state else { return };
        // Like Maelstrom's client, match on in_reply_to alone.
        let expected = rpc.as_ref().map(|r| r.msg_id);
        if expected.is_none() || reply.get("in_reply_to").and_then(Value::as_u64) != expected {
            return;
        }
        *rpc = None;
        let step = w.client.on_reply(op, ClientReply::Body(reply));
        self.step(now, t, step, ctx);
    }

    /// Times out RPCs whose time is up.
    pub fn expire(&mut self, now: Duration, ctx: &mut Ctx<'_>) {
        for t in 0..self.workers.len() {
            let Some(w) = self.workers.get_mut(t) else { continue };
            let State::Running { op, rpc } = &mut w.state else { continue };
            if rpc.as_ref().is_none_or(|r| r.deadline > now) {
                continue;
            }
            *rpc = None;
            let step = w.client.on_reply(op, ClientReply::Timeout);
            self.step(now, t, step, ctx);
        }
    }

    /// The history so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Totals for the progress line.
    pub fn progress(&self) -> Progress {
        self.progress
    }
}
