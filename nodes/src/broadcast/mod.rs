//! Challenges 3a–3e, `broadcast` (docs/protocol.md §7.3): every value broadcast to any node ends up
//! in every node's `read`, through partitions, with few messages and two network hops.
//!
//! **How values spread.** One node, the *hub* (the first of `node_ids`), relays for everyone;
//! the topology Maelstrom suggests is ignored. A node that receives a `broadcast` stores the
//! value and sends it to the hub straight away (when it answers: see "Kills and restarts"); the hub collects the
//! values arriving from all nodes for one batch window (`GLOMERS_BROADCAST_BATCH_MS`, default
//! 100 ms) and sends each other node one message with all of them. A value therefore reaches
//! everyone after two hops plus at most one window: about 300 ms at `--latency 100`.
//!
//! **How loss is repaired.** Every node-to-hub and hub-to-node pair is a `Link` (see
//! `crate::link`): each batch carries every value the peer has not acknowledged yet, and the peer
//! acknowledges the highest batch number it has seen, so one number covers everything sent
//! before. Unacknowledged values are resent every `GLOMERS_BROADCAST_RETRY_MS` (1 s) until
//! acknowledged, so once a partition heals, every value lost to it is resent within a second.
//! Duplicates and reordering change nothing: values form a set, and acks only ever rise.
//!
//! **Kills and restarts** (`--nemesis kill`, docs/protocol.md §5.3). By default
//! ([`Reply::SecondCopy`]) a value is acknowledged to its client only once a second node holds it: a node answers `broadcast_ok` once a link
//! has the value acknowledged (a spoke: the hub; the hub: any spoke), so a single kill never
//! loses an acknowledged value (two kills at once can, within one latency of the hub's batch
//! leaving: it is then only in flight). A `read` leaves out the client values this node holds
//! alone, for the same reason: a value once read must never disappear. An answer that would come after 3 s is an error 13
//! instead (indeterminate; the client gives up at 5 s). A fresh process knows nothing: at every
//! start a node asks each peer it links with for all its values (`sync`, resent every retry
//! period until answered) and sends on that link only once answered. The peer answers with its
//! whole set and starts its link over, every value queued again (it forgets what the dead
//! process had acknowledged), and tells the new process the highest batch number it had from the old one: the new link numbers
//! above it, so a late acknowledgement meant for the old process cannot cover a new batch. A
//! restarted hub learns everything back from the spokes, a restarted spoke from the hub.
//!
//! [`Reply::AtOnce`] (`GLOMERS_BROADCAST_REPLY=at-once`) answers on receipt and reads every value
//! held, as the challenge needs and as the node did before kills existed: a kill can then lose
//! what a node acknowledged before its first message left. Maelstrom's stable latency runs from
//! the acknowledgement, so waiting for a second copy shows there as a shorter latency while the
//! value spreads as fast as before.
//!
//! **Why the message count is what it is.** At challenge 3d's load (25 nodes, 100 ops/s, half
//! of them broadcasts) each broadcast costs one message to the hub, and the hub sends 24
//! messages per window however many values it holds: 10 windows a second make 240 messages
//! for ~50 values. Acknowledgements ride on those messages; one goes alone only when a node
//! has had nothing to send for `GLOMERS_BROADCAST_ACK_MS` (400 ms). That is about 3 server
//! messages per operation, reads included. Once every value is acknowledged, nodes are silent.

use crate::link::{to_peers, Batch, Link, Timing};
use glomers_engine::{Effects, ErrorCode, Init, Message, Node, NodeId, Out, ReplyTo, RpcError};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

/// Bodies of the broadcast workload, and the gossip between nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// Store and spread a value.
    Broadcast {
        /// The value; Maelstrom sends unique integers.
        message: u64,
    },
    /// The value is stored.
    BroadcastOk,
    /// Asks for every value this node has.
    Read,
    /// Every value this node has.
    ReadOk {
        /// The values, in the order this node learned them.
        messages: Vec<u64>,
    },
    /// Maelstrom's suggested topology; ignored (§6 allows it).
    Topology {
        /// Neighbours of each node.
        topology: HashMap<String, Vec<String>>,
    },
    /// The topology was received.
    TopologyOk,
    /// A (re)started node asks a peer for every value it has.
    Sync,
    /// Every value the sender has; `floor`: the highest batch number it had received from the
    /// asker's earlier processes.
    SyncOk {
        /// The values.
        values: Vec<u64>,
        /// The asker's new link numbers its batches above this.
        floor: u64,
    },
    /// Values and/or an acknowledgement between two nodes (see `Link`).
    Gossip {
        /// Batch number; 0 for a pure acknowledgement.
        seq: u64,
        /// Values the receiver has not acknowledged yet.
        values: Vec<u64>,
        /// The highest batch number the sender has received from the receiver.
        ack: u64,
    },
}

/// A client broadcast still on this node alone after this long is answered with error 13
/// (indeterminate) rather than after the client's 5 s timeout.
const ACK_DEADLINE: Duration = Duration::from_secs(3);

/// When a node answers a client's `broadcast` (setting `GLOMERS_BROADCAST_REPLY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reply {
    /// Once a second node holds the value (`second-copy`, the default): one kill loses nothing.
    #[default]
    SecondCopy,
    /// On receipt (`at-once`): fastest, but a kill may lose an acknowledged value.
    AtOnce,
}

impl std::str::FromStr for Reply {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "second-copy" => Ok(Reply::SecondCopy),
            "at-once" => Ok(Reply::AtOnce),
            other => Err(format!("{other:?} is neither second-copy nor at-once")),
        }
    }
}

/// What a broadcast node keeps.
struct State {
    seen: HashSet<u64>,
    /// The values in the order learned: what `read` returns.
    order: Vec<u64>,
    /// One link per peer this node exchanges values with.
    links: BTreeMap<NodeId, Link<u64>>,
    /// The linked peers that answered this process's `sync`: only those links send.
    joined: BTreeSet<NodeId>,
    /// Client broadcasts not yet on a second node: who to answer, the value, since when.
    pending: Vec<(ReplyTo, u64, Duration)>,
    /// Values from clients known to no other node yet: left out of reads.
    alone: HashSet<u64>,
}

/// The broadcast node.
pub struct Broadcast {
    me: NodeId,
    hub: NodeId,
    timing: Timing,
    /// The hub's links batch for the window; a node's link to the hub sends at once.
    spoke_timing: Timing,
    reply: Reply,
    state: Mutex<State>,
}

impl Broadcast {
    /// The default timing (see the module doc); the `broadcast` binary overrides it from
    /// `GLOMERS_BROADCAST_BATCH_MS`, `_ACK_MS` and `_RETRY_MS`.
    pub const TIMING: Timing = Timing {
        batch: Duration::from_millis(100),
        ack_delay: Duration::from_millis(400),
        retry: Duration::from_millis(1000),
    };

    /// A node with explicit timing (the binary's settings, tests).
    pub fn with_timing(init: &Init, timing: Timing) -> Self {
        let me = init.node_id.clone();
        let hub = init.node_ids.first().cloned().unwrap_or_else(|| me.clone());
        let links = if me == hub {
            to_peers(&me, &init.node_ids)
        } else {
            BTreeMap::from([(hub.clone(), Link::default())])
        };
        Broadcast {
            me,
            hub,
            timing,
            spoke_timing: Timing { batch: Duration::ZERO, ..timing },
            reply: Reply::default(),
            state: Mutex::new(State {
                seen: HashSet::new(),
                order: Vec::new(),
                links,
                joined: BTreeSet::new(),
                pending: Vec::new(),
                alone: HashSet::new(),
            }),
        }
    }

    /// The node, answering broadcasts as `reply` says.
    pub fn replying(self, reply: Reply) -> Self {
        Broadcast { reply, ..self }
    }

    fn is_hub(&self) -> bool {
        self.me == self.hub
    }

    fn timing(&self) -> &Timing {
        if self.is_hub() {
            &self.timing
        } else {
            &self.spoke_timing
        }
    }

    /// Stores `values` learned from `from` (`None`: a client) and queues the new ones for
    /// every link but the one they came from.
    fn learn(&self, state: &mut State, values: &[u64], from: Option<&NodeId>, now: Duration) {
        for &v in values {
            if !state.seen.insert(v) {
                continue;
            }
            state.order.push(v);
            for (peer, link) in state.links.iter_mut() {
                if Some(peer) != from {
                    link.push(v, now);
                }
            }
        }
    }

    /// Sends whatever the joined links have due, then answers the client broadcasts that are
    /// on a second node now (or have waited too long).
    fn flush(&self, state: &mut State, out: &mut Effects<Self>) {
        let now = out.now();
        let timing = *self.timing();
        for (peer, link) in state.links.iter_mut().filter(|(p, _)| state.joined.contains(*p)) {
            if let Some(Batch { seq, values, ack }) = link.poll(now, &timing) {
                out.send(peer.clone(), Body::Gossip { seq, values, ack });
            }
        }
        if state.alone.is_empty() && state.pending.is_empty() {
            return;
        }
        let links = &state.links;
        let held = |v: &u64| links.is_empty() || links.values().any(|l| l.has_delivered(v));
        state.alone.retain(|v| !held(v));
        for (to, value, since) in std::mem::take(&mut state.pending) {
            if !state.alone.contains(&value) {
                out.reply(to, Body::BroadcastOk);
            } else if now.saturating_sub(since) >= ACK_DEADLINE {
                let why = "the value reached no second node in time; it may still spread";
                out.reply_error(to, RpcError::new(ErrorCode::Crash, why));
            } else {
                state.pending.push((to, value, since));
            }
        }
    }

    /// Asks `peer` for every value it has, again after each timeout, until it answers.
    fn sync(&self, peer: NodeId, out: &mut Effects<Self>) {
        let retry = self.timing().retry;
        out.rpc(peer.clone(), Body::Sync, retry, move |node: &Self, reply, out| match reply {
            Ok(Body::SyncOk { values, floor }) => {
                let now = out.now();
                let mut state = node.state.lock();
                if let Some(link) = state.links.get_mut(&peer) {
                    link.number_above(floor);
                }
                state.joined.insert(peer.clone());
                node.learn(&mut state, &values, Some(&peer), now);
                node.flush(&mut state, out);
            }
            _ => node.sync(peer, out),
        });
    }

    /// Whether every link is idle: nothing will be sent unless something new arrives.
    pub fn is_quiet(&self) -> bool {
        self.state.lock().links.values().all(Link::is_idle)
    }

    /// The values this node would answer a `read` with: all it holds but those from clients
    /// that no other node has yet.
    pub fn values(&self) -> Vec<u64> {
        let state = self.state.lock();
        state.order.iter().filter(|v| !state.alone.contains(v)).copied().collect()
    }
}

impl Node for Broadcast {
    type Body = Body;

    fn init(init: &Init) -> Result<Self, RpcError> {
        Ok(Self::with_timing(init, Self::TIMING))
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        match msg.body {
            Body::Broadcast { message } => {
                let now = out.now();
                let mut state = self.state.lock();
                let second_copy = self.reply == Reply::SecondCopy;
                if second_copy && !state.seen.contains(&message) {
                    state.alone.insert(message);
                }
                self.learn(&mut state, &[message], None, now);
                if second_copy {
                    // Answered by `flush`, once a second node holds it.
                    state.pending.push((msg.reply_to(), message, now));
                } else {
                    out.reply(&msg, Body::BroadcastOk);
                }
                self.flush(&mut state, out);
            }
            Body::Read => {
                let messages = self.values();
                out.reply(&msg, Body::ReadOk { messages });
            }
            Body::Topology { .. } => out.reply(&msg, Body::TopologyOk),
            Body::Sync => {
                let mut state = self.state.lock();
                // Its earlier processes are gone, with all they had: start the link over, every
                // value queued again (the answer may be lost, or this a duplicate).
                let values = state.order.clone();
                let floor =
                    state.links.entry(msg.src.clone()).or_default().peer_restarted(values.clone(), out.now());
                drop(state);
                out.reply(&msg, Body::SyncOk { values, floor });
            }
            Body::Gossip { seq, values, ack } => {
                let now = out.now();
                let mut state = self.state.lock();
                // A peer this node does not expect (say, one that chose another hub) still
                // gets a link, so its values are acknowledged and spread. Until a linked peer
                // answers our sync, what it acknowledges is meant for our earlier process.
                let unknown = !state.links.contains_key(&msg.src);
                if unknown {
                    state.joined.insert(msg.src.clone());
                }
                if state.joined.contains(&msg.src) {
                    state.links.entry(msg.src.clone()).or_default().on_batch(seq, ack, now);
                }
                self.learn(&mut state, &values, Some(&msg.src), now);
                self.flush(&mut state, out);
            }
            Body::BroadcastOk | Body::ReadOk { .. } | Body::TopologyOk | Body::SyncOk { .. } => {
                return Err(RpcError::not_supported("a reply type, not a request"));
            }
        }
        Ok(())
    }

    fn on_start(&self, out: &mut Effects<Self>) {
        let peers: Vec<NodeId> = self.state.lock().links.keys().cloned().collect();
        for peer in peers {
            self.sync(peer, out);
        }
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
