//! The timer thread: the node's periodic tick (gossip, batching, retries) and RPC deadlines.
//!
//! Deadlines arrive on a channel as calls are registered and wait in a heap; when one passes
//! and its call is still pending, the continuation runs here with error 0 (timeout).

use crate::error::RpcError;
use crate::message::MsgId;
use crate::node::{Effects, Node};
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

/// Runs ticks and deadlines until told to stop.
pub(crate) fn run<N: Node>(shared: &Arc<Shared<N>>, rx: Receiver<TimerMsg>) {
    let mut deadlines: BinaryHeap<Reverse<(Duration, MsgId)>> = BinaryHeap::new();
    let mut next_tick: Option<Duration> = None;
    loop {
        let now = shared.now();
        let next_deadline = deadlines.peek().map(|Reverse((at, _))| *at);
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
        let Some(every) = running.node.tick_every() else { continue };
        match next_tick {
            None => next_tick = Some(now + every),
            Some(at) if at <= now => {
                let mut out = Effects::new(shared.now());
                running.node.on_tick(&mut out);
                shared.dispatch(&running.id, &mut out);
                // A late tick is not made up for: the next one is a full period away.
                next_tick = Some((at + every).max(now + every / 2));
            }
            Some(_) => {}
        }
    }
}
