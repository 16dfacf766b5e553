//! Workers (MAELSTROM.md §5.2): each is bound to node `t mod N`, runs one synchronous operation
//! at a time through its workload client, gives up on an RPC after 5 s, and is given a fresh
//! client (new id, new process number) after an indeterminate outcome when the workload asks.

use super::endpoints::Owner;
use super::{Phase, Run};
use crate::core::history::{Event, Kind};
use crate::core::wire::Body;
use crate::core::workloads::{Client, ClientReply, Completion, FinalStep, Op, Step};
use glomers_harness::net::Ep;
use serde_json::{json, Value};
use std::time::Duration;

/// How far behind schedule operations may start and still keep their schedule.
const CATCH_UP: Duration = Duration::from_millis(10);

/// How long a client waits for a reply (§2.5).
pub const RPC_TIMEOUT: Duration = Duration::from_secs(5);

struct Pending {
    msg_id: u64,
    deadline: Duration,
}

/// One worker thread of §5.2.
pub struct Worker {
    node: usize,
    client_ep: Ep,
    client: Box<dyn Client>,
    process: u64,
    next_msg_id: u64,
    op: Option<Op>,
    pending: Option<Pending>,
    /// A final-phase operation waiting for its time.
    paused: Option<(Duration, Op)>,
}

impl Worker {
    /// Worker `t`, bound to node index `node`.
    pub fn new(t: usize, node: usize, client_ep: Ep, client: Box<dyn Client>) -> Self {
        Worker {
            node,
            client_ep,
            client,
            process: t as u64,
            next_msg_id: 1,
            op: None,
            pending: None,
            paused: None,
        }
    }

    /// Whether it can take an operation.
    pub fn is_free(&self) -> bool {
        self.op.is_none() && self.paused.is_none()
    }
}

impl Run {
    /// Starts scheduled operations on free workers, with gaps uniform in `[0, 2/R)`.
    ///
    /// Gaps count from the scheduled time, so timer lateness does not lower the rate; after an
    /// operation waited more than [`CATCH_UP`] for a free worker they count from its start
    /// instead, so a stall is not followed by a burst.
    pub(super) fn dispatch_ops(&mut self, now: Duration) {
        if self.cfg.rate <= 0.0 {
            return;
        }
        loop {
            let Phase::Main { next_op: due, .. } = self.phase else { return };
            if now < due {
                return;
            }
            let free: Vec<usize> = (0..self.workers.len())
                .filter(|&t| self.workers.get(t).is_some_and(Worker::is_free))
                .collect();
            let Some(&t) = free.get(self.rng.index(free.len())) else { return };
            let op = self.workload.next_op(&mut self.rng);
            self.invoke(now, t, op);
            let gap = Duration::from_secs_f64(self.rng.unit() * 2.0 / self.cfg.rate);
            if let Phase::Main { next_op, .. } = &mut self.phase {
                *next_op = if now - due > CATCH_UP { now + gap } else { due + gap };
            }
        }
    }

    /// Starts each worker's first final operation.
    pub(super) fn start_final_ops(&mut self, now: Duration) {
        for t in 0..self.workers.len() {
            let step = self.workload.final_step(t, now, None);
            self.take_final_step(now, t, step);
        }
    }

    fn take_final_step(&mut self, now: Duration, t: usize, step: FinalStep) {
        match step {
            FinalStep::Op(op) => self.invoke(now, t, op),
            FinalStep::After(pause, op) => {
                if let Some(w) = self.workers.get_mut(t) {
                    w.paused = Some((now + pause, op));
                }
            }
            FinalStep::Done => {}
        }
    }

    /// Starts paused final-phase operations whose time has come.
    pub(super) fn start_paused_ops(&mut self, now: Duration) {
        for t in 0..self.workers.len() {
            let Some(w) = self.workers.get_mut(t) else { continue };
            if matches!(&w.paused, Some((at, _)) if *at <= now) {
                if let Some((_, op)) = w.paused.take() {
                    self.invoke(now, t, op);
                }
            }
        }
    }

    /// Whether no operation is in flight.
    pub(super) fn workers_idle(&self) -> bool {
        self.workers.iter().all(Worker::is_free)
    }

    /// The earliest RPC timeout.
    pub(super) fn worker_deadline(&self) -> Option<Duration> {
        let rpcs = self.workers.iter().filter_map(|w| w.pending.as_ref().map(|p| p.deadline));
        rpcs.chain(self.workers.iter().filter_map(|w| w.paused.as_ref().map(|(at, _)| *at))).min()
    }

    fn invoke(&mut self, now: Duration, t: usize, op: Op) {
        let Some(w) = self.workers.get_mut(t) else { return };
        let event = Event {
            index: 0,
            kind: Kind::Invoke,
            f: op.f.to_owned(),
            value: op.value.clone(),
            process: w.process,
            time: now,
            node: self.cfg.nodes.get(w.node).cloned().unwrap_or_default(),
            final_op: op.final_op,
            error: None,
            exception: None,
        };
        self.history.push(event);
        self.progress.invoked += 1;
        let step = w.client.invoke(&op);
        w.op = Some(op);
        self.step(now, t, step);
    }

    fn step(&mut self, now: Duration, t: usize, step: Step) {
        match step {
            Step::Send(mut body) => {
                let Some(w) = self.workers.get_mut(t) else { return };
                let msg_id = w.next_msg_id;
                w.next_msg_id += 1;
                body.insert("msg_id".into(), json!(msg_id));
                w.pending = Some(Pending { msg_id, deadline: now + RPC_TIMEOUT });
                let (src, dest) = (w.client_ep, self.node_eps.get(w.node).copied());
                if let Some(dest) = dest {
                    self.send_body(now, src, dest, &body);
                }
            }
            Step::Done(c) => self.complete(now, t, c),
        }
    }

    fn complete(&mut self, now: Duration, t: usize, c: Completion) {
        let reuses = self.workload.reuses_clients();
        let concurrency = self.workers.len() as u64;
        let Some(op) = self.workers.get_mut(t).and_then(|w| w.op.take()) else { return };
        self.workload.on_complete(t, &op, &c);
        let next = if self.phase == Phase::Final {
            self.workload.final_step(t, now, Some(&c))
        } else {
            FinalStep::Done
        };
        let Some(w) = self.workers.get_mut(t) else { return };
        w.pending = None;
        let kind = c.kind;
        let value = if kind == Kind::Ok || c.value != Value::Null { c.value } else { op.value };
        self.history.push(Event {
            index: 0,
            kind,
            f: op.f.to_owned(),
            value,
            process: w.process,
            time: now,
            node: self.cfg.nodes.get(w.node).cloned().unwrap_or_default(),
            final_op: op.final_op,
            error: c.error,
            exception: c.exception,
        });
        match kind {
            Kind::Ok => self.progress.ok += 1,
            Kind::Fail => self.progress.fail += 1,
            _ => self.progress.info += 1,
        }
        if kind == Kind::Info {
            // An indeterminate outcome replaces the Jepsen process; non-reusable clients are
            // closed and reopened with a new id (§1).
            w.process += concurrency;
            if !reuses {
                let old = w.client_ep;
                w.client = self.workload.client();
                let fresh = self.eps.add_client(&mut self.net, Owner::Worker(t));
                self.eps.close(old);
                if let Some(w) = self.workers.get_mut(t) {
                    w.client_ep = fresh;
                }
            }
        }
        self.take_final_step(now, t, next);
    }

    /// A reply reached worker `t`'s client; replies not matching its pending request are ignored.
    pub(super) fn on_worker_reply(&mut self, now: Duration, t: usize, reply: Body) {
        let Some(w) = self.workers.get_mut(t) else { return };
        // Like Maelstrom's client, match on in_reply_to alone.
        let expected = w.pending.as_ref().is_some_and(|p| reply.get("in_reply_to") == Some(&json!(p.msg_id)));
        if !expected {
            return;
        }
        w.pending = None;
        let Some(op) = w.op.clone() else { return };
        let step = w.client.on_reply(&op, ClientReply::Body(reply));
        self.step(now, t, step);
    }

    /// Times out RPCs whose 5 s are up.
    pub(super) fn expire_rpcs(&mut self, now: Duration) {
        for t in 0..self.workers.len() {
            let Some(w) = self.workers.get_mut(t) else { continue };
            if !matches!(&w.pending, Some(p) if p.deadline <= now) {
                continue;
            }
            w.pending = None;
            let Some(op) = w.op.clone() else { continue };
            let step = w.client.on_reply(&op, ClientReply::Timeout);
            self.step(now, t, step);
        }
    }
}
