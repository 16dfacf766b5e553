//! Challenges 5a–5c, `kafka` (docs/protocol.md §7.5): an append-only log per key, with offsets,
//! polls and committed offsets, on one or more nodes.
//!
//! **Who assigns offsets.** Every key has one *owner* among the nodes, fixed by the key (its
//! number modulo the node count). Only the owner appends to a key's log, so its offsets are
//! dense (0, 1, 2, …), unique and rising without any coordination or service round trip. A
//! `send` that reaches another node is forwarded to the owner (one request, one reply) and
//! answered with the owner's offset; if the owner cannot be reached the client gets error 0,
//! which is indefinite, since the forward may still have been applied. Once a forward has gone
//! unanswered for the forward timeout with nothing else heard from the owner, the node takes
//! the owner to be cut off: further sends for its keys are refused at once with error 11
//! (definite: nothing was forwarded), except one probe forward a second, until the owner is
//! heard from again. Clients then stop stalling a second on each such send. The owner remembers the
//! offset it gave each recent forward (by forwarding node and msg_id), so a forward delivered
//! twice (the simulator's `--duplicate`; Maelstrom never duplicates) is appended once.
//!
//! **How other nodes see the log.** The owner replicates each appended entry, and every
//! committed offset, to the other nodes over a `Link` (see `crate::link`): batched for
//! `GLOMERS_KAFKA_BATCH_MS` (default 10 ms), acknowledged cumulatively, resent until
//! acknowledged. A replica applies entries strictly in offset order, holding back any that
//! arrive early, so every node's copy of a log is a prefix of the owner's: a poll anywhere
//! returns messages in order with no hole (§7.5: polls may lag, never skip). Committed offsets
//! merge by maximum, so they never move back.
//!
//! **Why it is cheap.** With two nodes (challenge 5b/5c) half the sends are forwarded (two
//! server messages each) and replication costs one message per batch window per peer, acks
//! riding on the other direction's batches: about 0.6 server messages per operation, against
//! four or more for a design that allocates every offset with a cas on `lin-kv`.

mod design;
mod lin_kv;

pub use design::{Design, UnknownDesign};
pub use lin_kv::KafkaLinKv;

use crate::link::{poll_all, to_peers, Batch, Link, Timing};
use glomers_engine::{Effects, ErrorCode, Init, Message, MsgId, Node, NodeId, Out, RpcError};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// Bodies of the kafka workload, and the messages between nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// Append `msg` to `key`'s log (from a client, or forwarded to the key's owner).
    Send {
        /// The log.
        key: String,
        /// The message; Maelstrom sends integers.
        msg: Value,
    },
    /// Where `msg` landed.
    SendOk {
        /// Its offset.
        offset: u64,
    },
    /// Messages from each key's log at or after the given offset.
    Poll {
        /// Key to first offset wanted.
        offsets: BTreeMap<String, u64>,
    },
    /// `[offset, msg]` pairs per key, ascending, without holes.
    PollOk {
        /// Key to pairs; keys with nothing to return are left out.
        msgs: BTreeMap<String, Vec<(u64, Value)>>,
    },
    /// Records that a consumer has processed each key up to an offset.
    CommitOffsets {
        /// Key to offset.
        offsets: BTreeMap<String, u64>,
    },
    /// The offsets are committed.
    CommitOffsetsOk,
    /// Asks for the committed offsets of some keys.
    ListCommittedOffsets {
        /// The keys.
        keys: Vec<String>,
    },
    /// Committed offsets; keys without one are left out.
    ListCommittedOffsetsOk {
        /// Key to offset.
        offsets: BTreeMap<String, u64>,
    },
    /// Replicated entries and commits, and/or an acknowledgement (see `Link`).
    Replicate {
        /// Batch number; 0 for a pure acknowledgement.
        seq: u64,
        /// Entries and commits the receiver has not acknowledged yet.
        items: Vec<Item>,
        /// The highest batch number the sender has received from the receiver.
        ack: u64,
    },
}

/// One replicated fact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Item {
    /// `key`'s log holds `msg` at `offset`.
    Entry {
        /// The log.
        key: String,
        /// The offset.
        offset: u64,
        /// The message.
        msg: Value,
    },
    /// `key` is committed up to `offset`.
    Commit {
        /// The log.
        key: String,
        /// The committed offset.
        offset: u64,
    },
}

/// One key's log as this node knows it: a prefix of the owner's.
#[derive(Debug, Default)]
struct KeyLog {
    /// The message at each offset, from 0.
    entries: Vec<Value>,
    /// Replicated entries that arrived ahead of a gap.
    early: BTreeMap<u64, Value>,
}

impl KeyLog {
    /// Applies a replicated entry, keeping the log a gap-free prefix.
    fn apply(&mut self, offset: u64, msg: Value) {
        let len = self.entries.len() as u64;
        if offset < len {
            return;
        }
        if offset > len {
            self.early.insert(offset, msg);
            return;
        }
        self.entries.push(msg);
        while let Some(msg) = self.early.remove(&(self.entries.len() as u64)) {
            self.entries.push(msg);
        }
    }
}

/// What this node has seen of a peer lately.
#[derive(Debug, Default)]
struct Reach {
    /// Since when a forward to the peer has gone unanswered with nothing heard from it.
    waiting_since: Option<Duration>,
    /// When the last forward went out while the peer looked unreachable (a probe).
    last_probe: Option<Duration>,
}

impl Reach {
    /// Whether a send for this peer should be refused rather than forwarded at `now`; records
    /// the forward (or probe) otherwise.
    fn refuse(&mut self, now: Duration) -> bool {
        let cut_off = self.waiting_since.is_some_and(|t| now.saturating_sub(t) >= SUSPECT_AFTER);
        if cut_off {
            if self.last_probe.is_some_and(|p| now.saturating_sub(p) < PROBE_EVERY) {
                return true;
            }
            self.last_probe = Some(now);
        }
        self.waiting_since.get_or_insert(now);
        false
    }

    /// The peer answered or sent something: it is reachable.
    fn heard(&mut self) {
        *self = Reach::default();
    }
}

struct State {
    logs: HashMap<String, KeyLog>,
    committed: HashMap<String, u64>,
    links: BTreeMap<NodeId, Link<Item>>,
    /// How reachable each peer looks, for failing fast while a key's owner is cut off.
    reach: HashMap<NodeId, Reach>,
    /// The offsets given to recent forwarded sends, by forwarding node and its msg_id, so a
    /// forward delivered twice is answered with the same offset instead of appended again.
    forwards: HashMap<NodeId, BTreeMap<MsgId, u64>>,
}

/// The kafka node.
pub struct Kafka {
    me: NodeId,
    nodes: Vec<NodeId>,
    timing: Timing,
    state: Mutex<State>,
}

/// How long a forwarded send waits for the owner.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(1);
/// A peer that has left a forward unanswered this long, with nothing else heard from it, is
/// taken to be cut off: sends for its keys are refused at once (error 11, definite: nothing
/// was forwarded) instead of each waiting out the forward timeout.
const SUSPECT_AFTER: Duration = FORWARD_TIMEOUT;
/// While a peer looks cut off, one send in this period is still forwarded, as a probe.
const PROBE_EVERY: Duration = Duration::from_secs(1);
/// Forwarded sends remembered per peer for deduplication: a duplicate trails its original by
/// about one network latency, far fewer forwards than this.
const FORWARDS_REMEMBERED: usize = 4096;
/// Most messages one poll returns per key.
const POLL_LIMIT: usize = 1000;

impl Kafka {
    /// The default replication timing; the `kafka` binary overrides it from
    /// `GLOMERS_KAFKA_BATCH_MS`, `_ACK_MS` and `_RETRY_MS`.
    pub const TIMING: Timing = Timing {
        batch: Duration::from_millis(10),
        ack_delay: Duration::from_millis(100),
        retry: Duration::from_millis(500),
    };

    /// A node with explicit timing (the binary's settings, tests).
    pub fn with_timing(init: &Init, timing: Timing) -> Self {
        let me = init.node_id.clone();
        let links = to_peers(&me, &init.node_ids);
        Kafka {
            me,
            nodes: init.node_ids.clone(),
            timing,
            state: Mutex::new(State {
                logs: HashMap::new(),
                committed: HashMap::new(),
                links,
                reach: HashMap::new(),
                forwards: HashMap::new(),
            }),
        }
    }

    /// The node that assigns `key`'s offsets: keys are numbers, spread round-robin; any other
    /// key by a hash of its text.
    fn owner(&self, key: &str) -> &NodeId {
        let n = self.nodes.len().max(1) as u64;
        let slot = key.parse::<u64>().unwrap_or_else(|_| fnv1a(key.as_bytes())) % n;
        self.nodes.get(slot as usize).unwrap_or(&self.me)
    }

    /// Appends `msg` to `key` (this node owns it) and queues the entry for every peer.
    fn append(&self, state: &mut State, key: String, msg: Value, now: Duration) -> u64 {
        let log = state.logs.entry(key.clone()).or_default();
        let offset = log.entries.len() as u64;
        log.entries.push(msg.clone());
        for link in state.links.values_mut() {
            link.push(Item::Entry { key: key.clone(), offset, msg: msg.clone() }, now);
        }
        offset
    }

    /// Raises `key`'s committed offset; returns whether it moved.
    fn commit(state: &mut State, key: &str, offset: u64) -> bool {
        match state.committed.get_mut(key) {
            Some(current) if *current >= offset => false,
            Some(current) => {
                *current = offset;
                true
            }
            None => {
                state.committed.insert(key.to_string(), offset);
                true
            }
        }
    }

    fn flush(&self, state: &mut State, out: &mut Effects<Self>) {
        let now = out.now();
        poll_all(&mut state.links, now, &self.timing, |peer, Batch { seq, values, ack }| {
            out.send(peer, Body::Replicate { seq, items: values, ack })
        });
    }

    fn on_send(&self, key: String, msg: Value, from: NodeId, msg_id: Option<MsgId>, out: &mut Effects<Self>) {
        let owner = self.owner(&key).clone();
        if owner == self.me {
            let mut state = self.state.lock();
            if let Some(reach) = state.reach.get_mut(&from) {
                reach.heard();
            }
            let forward = msg_id.filter(|_| !from.is_client());
            let seen = forward.and_then(|id| state.forwards.get(&from)?.get(&id).copied());
            if let Some(offset) = seen {
                drop(state);
                out.reply((from, msg_id), Body::SendOk { offset });
                return;
            }
            let offset = self.append(&mut state, key, msg, out.now());
            if let Some(id) = forward {
                let recent = state.forwards.entry(from.clone()).or_default();
                recent.insert(id, offset);
                if recent.len() > FORWARDS_REMEMBERED {
                    recent.pop_first();
                }
            }
            self.flush(&mut state, out);
            drop(state);
            out.reply((from, msg_id), Body::SendOk { offset });
            return;
        }
        if !from.is_client() {
            // Another node thinks this node owns the key: the cluster lists disagree, and
            // appending here could reuse an offset. Refuse; nothing was applied.
            out.reply_error(
                (from, msg_id),
                RpcError::new(ErrorCode::TemporarilyUnavailable, "not the key's owner"),
            );
            return;
        }
        let refused = self.state.lock().reach.entry(owner.clone()).or_default().refuse(out.now());
        if refused {
            let why = format!("{owner}, which owns key {key}, looks cut off; the send was not forwarded");
            out.reply_error((from, msg_id), RpcError::new(ErrorCode::TemporarilyUnavailable, why));
            return;
        }
        let peer = owner.clone();
        out.rpc(
            owner,
            Body::Send { key, msg },
            FORWARD_TIMEOUT,
            move |node: &Kafka, reply, out| match reply {
                Ok(Body::SendOk { offset }) => {
                    node.state.lock().reach.entry(peer).or_default().heard();
                    out.reply((from, msg_id), Body::SendOk { offset })
                }
                Ok(other) => out.reply_error(
                    (from, msg_id),
                    RpcError::new(ErrorCode::Crash, format!("owner answered {other:?}")),
                ),
                Err(e) => out.reply_error((from, msg_id), e),
            },
        );
    }
}

impl Node for Kafka {
    type Body = Body;

    fn init(init: &Init) -> Result<Self, RpcError> {
        Ok(Self::with_timing(init, Self::TIMING))
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        match msg.body {
            Body::Send { key, msg: value } => self.on_send(key, value, msg.src, msg.msg_id, out),
            Body::Poll { offsets } => {
                let state = self.state.lock();
                let msgs = offsets
                    .into_iter()
                    .filter_map(|(key, from)| {
                        let log = state.logs.get(&key)?;
                        let start = usize::try_from(from).ok().filter(|&s| s < log.entries.len())?;
                        let pairs = (start as u64..)
                            .zip(log.entries[start..].iter().take(POLL_LIMIT).cloned())
                            .collect::<Vec<_>>();
                        Some((key, pairs))
                    })
                    .collect();
                drop(state);
                out.reply((msg.src, msg.msg_id), Body::PollOk { msgs });
            }
            Body::CommitOffsets { offsets } => {
                let now = out.now();
                let mut state = self.state.lock();
                for (key, offset) in offsets {
                    if Self::commit(&mut state, &key, offset) {
                        for link in state.links.values_mut() {
                            link.push(Item::Commit { key: key.clone(), offset }, now);
                        }
                    }
                }
                self.flush(&mut state, out);
                drop(state);
                out.reply((msg.src, msg.msg_id), Body::CommitOffsetsOk);
            }
            Body::ListCommittedOffsets { keys } => {
                let state = self.state.lock();
                let offsets =
                    keys.into_iter().filter_map(|k| state.committed.get(&k).map(|&o| (k, o))).collect();
                drop(state);
                out.reply((msg.src, msg.msg_id), Body::ListCommittedOffsetsOk { offsets });
            }
            Body::Replicate { seq, items, ack } => {
                let now = out.now();
                let mut state = self.state.lock();
                state.links.entry(msg.src.clone()).or_default().on_batch(seq, ack, now);
                if let Some(reach) = state.reach.get_mut(&msg.src) {
                    reach.heard();
                }
                for item in items {
                    match item {
                        Item::Entry { key, offset, msg } => {
                            state.logs.entry(key).or_default().apply(offset, msg)
                        }
                        Item::Commit { key, offset } => {
                            Self::commit(&mut state, &key, offset);
                        }
                    }
                }
                self.flush(&mut state, out);
            }
            Body::SendOk { .. }
            | Body::PollOk { .. }
            | Body::CommitOffsetsOk
            | Body::ListCommittedOffsetsOk { .. } => {
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

/// FNV-1a: a fixed hash, so every node maps a key to the same owner.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests;
