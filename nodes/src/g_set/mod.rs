//! `g-set` (docs/protocol.md §7.8): a grow-only set, replicated as a delta CRDT. Every element
//! added to any node ends up in every node's `read` once partitions heal.
//!
//! **State and merge.** A node's state is the set of elements it holds; merging is union, which
//! is commutative, associative and idempotent, so duplicated, reordered or resent gossip changes
//! nothing. An element is compared by its JSON text (Maelstrom sends integers; `element` may be
//! any JSON value), and one added twice is stored once.
//!
//! **Deltas, not states.** A node sends each peer only the elements *its own clients* added,
//! over one reliable link per peer (`crate::link`): each batch carries what the peer has not
//! acknowledged yet, so a message holds only what the peer may lack, never the whole set. Every
//! element reaches every node straight from the node that took the add (one hop); no relaying
//! is needed, because every link is retried until acknowledged and every partition heals before
//! the final reads (§5.1). A repeated add of an element the node already holds sends nothing.
//!
//! **Quiet when idle.** Fresh elements wait one batch window (`GLOMERS_G_SET_BATCH_MS`, default
//! 100 ms) for company; unacknowledged ones are resent every `GLOMERS_G_SET_RETRY_MS` (1 s);
//! acknowledgements ride on batches or go alone after `GLOMERS_G_SET_ACK_MS` (400 ms). Once
//! every link is acknowledged nothing is sent.

use crate::link::{poll_all, to_peers, Batch, Link, Timing};
use glomers_engine::{Effects, Init, Message, Node, NodeId, Out, RpcError};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// Bodies of the g-set workload, and the gossip between nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// Adds an element to the set.
    Add {
        /// The element: any JSON value (Maelstrom sends integers).
        element: Value,
    },
    /// The element is in the set.
    AddOk,
    /// Asks for the whole set.
    Read,
    /// The whole set.
    ReadOk {
        /// The elements, in the order this node learned them.
        value: Vec<Value>,
    },
    /// Elements and/or an acknowledgement between two nodes (see `Link`).
    Gossip {
        /// Batch number; 0 for a pure acknowledgement.
        seq: u64,
        /// Elements the sender's clients added that the receiver has not acknowledged yet.
        elements: Vec<Value>,
        /// The highest batch number the sender has received from the receiver.
        ack: u64,
    },
}

/// What a g-set node keeps.
struct State {
    /// The JSON text of every element held.
    seen: HashSet<String>,
    /// The elements in the order learned: what `read` returns.
    order: Vec<Value>,
    /// One link per peer, carrying the elements this node's clients added.
    links: BTreeMap<NodeId, Link<Value>>,
}

/// The g-set node.
pub struct GSet {
    timing: Timing,
    state: Mutex<State>,
}

impl GSet {
    /// The default timing (see the module doc); the `g-set` binary overrides it from
    /// `GLOMERS_G_SET_BATCH_MS`, `_ACK_MS` and `_RETRY_MS`.
    pub const TIMING: Timing = Timing {
        batch: Duration::from_millis(100),
        ack_delay: Duration::from_millis(400),
        retry: Duration::from_millis(1000),
    };

    /// A node with explicit timing (the binary's settings, tests).
    pub fn with_timing(init: &Init, timing: Timing) -> Self {
        let links = to_peers(&init.node_id, &init.node_ids);
        GSet { timing, state: Mutex::new(State { seen: HashSet::new(), order: Vec::new(), links }) }
    }

    /// Sends whatever the links have due.
    fn flush(&self, state: &mut State, out: &mut Effects<Self>) {
        poll_all(&mut state.links, out.now(), &self.timing, |peer, Batch { seq, values, ack }| {
            out.send(peer, Body::Gossip { seq, elements: values, ack })
        });
    }

    /// Whether every link is idle: nothing will be sent unless something new arrives.
    pub fn is_quiet(&self) -> bool {
        self.state.lock().links.values().all(Link::is_idle)
    }

    /// The elements this node would answer a `read` with.
    pub fn elements(&self) -> Vec<Value> {
        self.state.lock().order.clone()
    }
}

impl State {
    /// Adds `element`; whether it is new here.
    fn insert(&mut self, element: Value) -> bool {
        let fresh = self.seen.insert(element.to_string());
        if fresh {
            self.order.push(element);
        }
        fresh
    }
}

impl Node for GSet {
    type Body = Body;

    fn init(init: &Init) -> Result<Self, RpcError> {
        Ok(Self::with_timing(init, Self::TIMING))
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        match msg.body {
            Body::Add { element } => {
                let now = out.now();
                let mut state = self.state.lock();
                if state.insert(element.clone()) {
                    for link in state.links.values_mut() {
                        link.push(element.clone(), now);
                    }
                    self.flush(&mut state, out);
                }
                drop(state);
                out.reply((msg.src, msg.msg_id), Body::AddOk);
            }
            Body::Read => {
                let value = self.state.lock().order.clone();
                out.reply(&msg, Body::ReadOk { value });
            }
            Body::Gossip { seq, elements, ack } => {
                let now = out.now();
                let mut state = self.state.lock();
                // A peer missing from `node_ids` still gets a link, so its batches are acknowledged.
                state.links.entry(msg.src).or_default().on_batch(seq, ack, now);
                for element in elements {
                    state.insert(element);
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
