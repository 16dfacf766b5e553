//! `pn-counter` (docs/protocol.md §7.9): a counter that goes up and down, replicated as a delta
//! CRDT. After the final heal every node reads the sum of every delta acknowledged anywhere.
//!
//! **State and merge.** Each node owns one entry, `(inc, dec)`: the sums of the positive and of
//! the negative deltas its clients added. Only that node changes it, and both halves only grow,
//! so merging a copy is the pointwise maximum: commutative, associative, idempotent. A read is
//! Σ inc − Σ dec over every entry held. Duplicated, reordered or resent gossip changes nothing.
//!
//! **Deltas, not states.** The delta a node sends a peer is its own entry, two integers, which
//! supersedes every earlier copy: a message has the same small size however long the run or
//! the partition. Each peer learns a node's entry straight from that node (one hop), so nothing
//! is relayed. Every message also carries `ack`, the version (inc + dec) of the receiver's
//! entry that the sender holds, so a peer stops resending once its latest entry has arrived.
//!
//! **Quiet when idle.** A change waits one batch window (`GLOMERS_PN_COUNTER_BATCH_MS`, default
//! 100 ms) for company, is resent every `GLOMERS_PN_COUNTER_RETRY_MS` (1 s) until acknowledged,
//! and a newer peer entry is acknowledged alone after `GLOMERS_PN_COUNTER_ACK_MS` (400 ms)
//! unless a message of our own carried the ack first. Once every peer holds every entry,
//! nothing is sent.

use crate::link::Timing;
use glomers_engine::{Effects, ErrorCode, Init, Message, Node, NodeId, Out, RpcError};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Bodies of the pn-counter workload, and the gossip between nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// Adds `delta`, which may be negative.
    Add {
        /// How much to add.
        delta: i64,
    },
    /// The add is counted.
    AddOk,
    /// Asks for the counter's value.
    Read,
    /// The counter's value.
    ReadOk {
        /// Σ inc − Σ dec over every entry this node holds.
        value: i64,
    },
    /// The sender's own entry, and what it holds of the receiver's.
    Gossip {
        /// Sum of the sender's positive deltas.
        inc: u64,
        /// Sum of the magnitudes of the sender's negative deltas.
        dec: u64,
        /// The version (inc + dec) of the receiver's entry the sender holds.
        ack: u64,
    },
}

/// One node's entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Entry {
    inc: u64,
    dec: u64,
}

impl Entry {
    /// Grows with every change of the entry, so it orders the copies of one node's entry.
    fn version(self) -> u64 {
        self.inc + self.dec
    }

    fn merge(&mut self, other: Entry) {
        self.inc = self.inc.max(other.inc);
        self.dec = self.dec.max(other.dec);
    }
}

/// What this node has told, and been told by, one peer.
#[derive(Debug, Default)]
struct Peer {
    /// The peer's entry as this node holds it.
    entry: Entry,
    /// The highest version of our entry the peer has acknowledged.
    acked: u64,
    /// The highest version of the peer's entry we have acknowledged to it.
    told: u64,
    /// Since when our entry has changed without a message to the peer.
    dirty_since: Option<Duration>,
    /// Since when an acknowledgement is owed.
    ack_owed_since: Option<Duration>,
    /// When the last message to the peer left.
    last_sent: Duration,
}

/// What a pn-counter node keeps.
struct State {
    own: Entry,
    peers: BTreeMap<NodeId, Peer>,
}

impl State {
    /// Σ inc − Σ dec, or `None` if it does not fit an `i64`.
    fn value(&self) -> Option<i64> {
        let entries = std::iter::once(self.own).chain(self.peers.values().map(|p| p.entry));
        let sum: i128 = entries.map(|e| i128::from(e.inc) - i128::from(e.dec)).sum();
        i64::try_from(sum).ok()
    }
}

/// The pn-counter node.
pub struct PnCounter {
    timing: Timing,
    state: Mutex<State>,
}

/// The largest sum one half of an entry may reach, so that the sums of up to 2^63 entries still
/// fit the `i128` a read adds them in, and no version overflows.
const MAX_HALF: u64 = i64::MAX as u64;

impl PnCounter {
    /// The default timing (see the module doc); the `pn-counter` binary overrides it from
    /// `GLOMERS_PN_COUNTER_BATCH_MS`, `_ACK_MS` and `_RETRY_MS`.
    pub const TIMING: Timing = Timing {
        batch: Duration::from_millis(100),
        ack_delay: Duration::from_millis(400),
        retry: Duration::from_millis(1000),
    };

    /// A node with explicit timing (the binary's settings, tests).
    pub fn with_timing(init: &Init, timing: Timing) -> Self {
        let peers = init
            .node_ids
            .iter()
            .filter(|n| **n != init.node_id)
            .map(|n| (n.clone(), Peer::default()))
            .collect();
        PnCounter { timing, state: Mutex::new(State { own: Entry::default(), peers }) }
    }

    /// Sends each peer a message if one is due: a change after its batch window, a resend after
    /// the retry interval, or an acknowledgement after its delay.
    fn flush(&self, state: &mut State, out: &mut Effects<Self>) {
        let now = out.now();
        let own = state.own;
        let t = &self.timing;
        for (id, p) in state.peers.iter_mut() {
            let fresh_due = p.dirty_since.is_some_and(|since| now >= since + t.batch);
            let retry_due =
                p.dirty_since.is_none() && p.acked < own.version() && now >= p.last_sent + t.retry;
            let ack_due = p.ack_owed_since.is_some_and(|since| now >= since + t.ack_delay);
            if fresh_due || retry_due || ack_due {
                let ack = p.entry.version();
                out.send(id.clone(), Body::Gossip { inc: own.inc, dec: own.dec, ack });
                p.told = ack;
                p.dirty_since = None;
                p.ack_owed_since = None;
                p.last_sent = now;
            }
        }
    }

    /// Whether nothing will be sent unless something new arrives.
    pub fn is_quiet(&self) -> bool {
        let state = self.state.lock();
        let own = state.own.version();
        state.peers.values().all(|p| p.acked >= own && p.dirty_since.is_none() && p.ack_owed_since.is_none())
    }

    /// The value this node would answer a `read` with.
    pub fn value(&self) -> Option<i64> {
        self.state.lock().value()
    }
}

impl Node for PnCounter {
    type Body = Body;

    fn init(init: &Init) -> Result<Self, RpcError> {
        Ok(Self::with_timing(init, Self::TIMING))
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        match msg.body {
            Body::Add { delta } => {
                let now = out.now();
                let mut state = self.state.lock();
                let half = if delta >= 0 { &mut state.own.inc } else { &mut state.own.dec };
                let grown = half.checked_add(delta.unsigned_abs()).filter(|s| *s <= MAX_HALF);
                let Some(grown) = grown else {
                    // Refused before anything changed, so the error is definite.
                    return Err(RpcError::new(ErrorCode::PreconditionFailed, "the counter would overflow"));
                };
                if grown != *half {
                    *half = grown;
                    for p in state.peers.values_mut() {
                        p.dirty_since.get_or_insert(now);
                    }
                    self.flush(&mut state, out);
                }
                drop(state);
                out.reply(&msg, Body::AddOk);
            }
            Body::Read => match self.state.lock().value() {
                Some(value) => out.reply(&msg, Body::ReadOk { value }),
                None => return Err(RpcError::new(ErrorCode::Crash, "the counter does not fit an i64")),
            },
            Body::Gossip { inc, dec, ack } => {
                let now = out.now();
                let mut state = self.state.lock();
                // A peer missing from `node_ids` still gets a record, so its entry counts and
                // is acknowledged.
                let p = state.peers.entry(msg.src).or_default();
                p.entry.merge(Entry { inc: inc.min(MAX_HALF), dec: dec.min(MAX_HALF) });
                p.acked = p.acked.max(ack);
                if p.entry.version() > p.told {
                    p.ack_owed_since.get_or_insert(now);
                }
                self.flush(&mut state, out);
            }
            Body::AddOk | Body::ReadOk { .. } => {
                return Err(RpcError::not_supported("a reply type, not a request"));
            }
        }
        Ok(())
    }

    fn tick_every(&self) -> Option<Duration> {
        Some(Timing::CHECK_EVERY)
    }

    fn on_tick(&self, out: &mut Effects<Self>) {
        let mut state = self.state.lock();
        self.flush(&mut state, out);
    }
}

#[cfg(test)]
mod tests;
