//! The timer thread: the node's periodic tick (gossip, batching, retries) and RPC deadlines.
//!
//! Deadlines arrive on a channel as calls are registered and wait in a heap; when one passes
//! and its call is still pending, the continuation runs here with error 0 (timeout).

use crate::error::RpcError;
use crate::message::MsgId;
use crate::node::{self, Node};
use crate::rpc::finish;
use crate::runtime::Shared;
use crossbeam_channel::{Receiver, RecvTimeoutError};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::Duration;

/// What the timer is told.
pub(crate) enum TimerMsg {
    /// Call `MsgId` times out at this time (since start) unless answered first.
    Deadline(Duration, MsgId),
    /// Stop: input ended and the workers are done.
    Stop,
}

/// How long the timer sleeps when it has nothing scheduled.
pub(crate) const IDLE: Duration = Duration::from_millis(100);

/// Where the node's tick schedule stands.
enum Ticking {
    /// The node does not tick (yet): asked again at each wake-up.
    NotYet,
    /// Started: the schedule, or `None` once the node's period became zero (an error, logged).
    On(Option<glomers_harness::time::Ticks>),
}

/// Runs ticks and deadlines until told to stop.
pub(crate) fn run<N: Node>(shared: &Arc<Shared<N>>, rx: Receiver<TimerMsg>) {
    let mut deadlines: BinaryHeap<Reverse<(Duration, MsgId)>> = BinaryHeap::new();
    let mut ticks = Ticking::NotYet;
    loop {
        let now = shared.now();
        let next_deadline = deadlines.peek().map(|Reverse((at, _))| *at);
        let next_tick = match ticks {
            Ticking::On(Some(t)) => Some(t.due()),
            _ => None,
        };
        let wake = [next_tick, next_deadline].into_iter().flatten().min().unwrap_or(now + IDLE);
        let mut msg = rx.recv_timeout(wake.saturating_sub(now));
        // Take every deadline already queued, then fall through: a stream of new calls must
        // not starve the tick or the deadlines already due.
        loop {
            match msg {
                Ok(TimerMsg::Deadline(at, id)) => deadlines.push(Reverse((at, id))),
                Ok(TimerMsg::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => break,
            }
            msg = rx.try_recv().map_err(|e| match e {
                crossbeam_channel::TryRecvError::Empty => RecvTimeoutError::Timeout,
                crossbeam_channel::TryRecvError::Disconnected => RecvTimeoutError::Disconnected,
            });
        }
        let Some(running) = shared.node.get() else { continue };
        let now = shared.now();
        while let Some(Reverse((at, id))) = deadlines.peek().copied() {
            if at > now {
                break;
            }
            deadlines.pop();
            if let Some(waiter) = shared.calls.take(id) {
                finish(shared, running, waiter, Err(RpcError::timeout(format!("no reply to msg {id}"))));
            }
        }
        match ticks {
            // The schedule starts when the timer first sees the node (within IDLE of init).
            Ticking::NotYet => {
                ticks = match node::ticks(&running.node, now) {
                    Some(t) => Ticking::On(Some(t)),
                    None => Ticking::NotYet,
                }
            }
            Ticking::On(ref mut schedule) if schedule.is_some_and(|t| t.is_due(now)) => {
                let mut out = shared.effects(running);
                if node::guard("a tick", || running.node.on_tick(&mut out)).is_none() {
                    out.clear();
                }
                node::next_tick(&running.node, schedule, now);
                shared.dispatch(running.members.me(), &mut out);
            }
            Ticking::On(_) => {}
        }
    }
}
