//! A gossip broadcast node, written as a newcomer to Gossip Glomers would (challenge 3c): every
//! node keeps the values it has seen, and every 200 ms sends each other node the values that
//! node has not acknowledged yet. A gossip lost to a partition is simply sent again on a later
//! tick, so once the partition heals every node catches up.
//!
//! `src/main.rs` runs it under the engine for Maelstrom or `glomers-bench test`;
//! `src/bin/sim.rs` runs it under the simulator; `tests/sim.rs` checks it on 200 seeds.

#![warn(missing_docs)]

use glomers_engine::{Effects, Init, Message, Node, NodeId, Out, RpcError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How often a node gossips what its peers lack.
pub const GOSSIP_EVERY: Duration = Duration::from_millis(200);

/// The broadcast workload's bodies, and the gossip between nodes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// Store and spread a value.
    Broadcast {
        /// The value.
        message: u64,
    },
    /// The value is stored.
    BroadcastOk,
    /// Asks for every value this node has seen.
    Read,
    /// Every value this node has seen.
    ReadOk {
        /// The values.
        messages: BTreeSet<u64>,
    },
    /// Maelstrom's suggested neighbours; ignored, as every node gossips to every other.
    Topology {
        /// Neighbours of each node.
        topology: HashMap<String, Vec<String>>,
    },
    /// The topology was received.
    TopologyOk,
    /// Values the sender has and thinks the receiver lacks.
    Gossip {
        /// The values.
        messages: BTreeSet<u64>,
    },
    /// The receiver now has these values.
    GossipOk {
        /// The values.
        messages: BTreeSet<u64>,
    },
}

/// The node.
pub struct Gossip {
    /// Every other node.
    peers: Vec<NodeId>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Every value seen.
    seen: BTreeSet<u64>,
    /// The values each peer is known to have.
    acked: HashMap<NodeId, BTreeSet<u64>>,
}

impl Gossip {
    fn state(&self) -> MutexGuard<'_, State> {
        // A handler that panicked is answered by the engine; its half-done update is harmless.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Node for Gossip {
    type Body = Body;

    fn init(init: &Init) -> Result<Self, RpcError> {
        let peers = init.node_ids.iter().filter(|n| **n != init.node_id).cloned().collect();
        Ok(Gossip { peers, state: Mutex::default() })
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        match msg.body {
            Body::Broadcast { message } => {
                self.state().seen.insert(message);
                out.reply(msg.src, msg.msg_id, Body::BroadcastOk);
            }
            Body::Read => {
                let messages = self.state().seen.clone();
                out.reply(msg.src, msg.msg_id, Body::ReadOk { messages });
            }
            Body::Topology { .. } => out.reply(msg.src, msg.msg_id, Body::TopologyOk),
            Body::Gossip { messages } => {
                let mut state = self.state();
                state.seen.extend(&messages);
                state.acked.entry(msg.src.clone()).or_default().extend(&messages);
                out.send(msg.src, Body::GossipOk { messages });
            }
            Body::GossipOk { messages } => self.state().acked.entry(msg.src).or_default().extend(messages),
            Body::BroadcastOk | Body::ReadOk { .. } | Body::TopologyOk => {
                return Err(RpcError::not_supported("a reply is not a request"))
            }
        }
        Ok(())
    }

    fn tick_every(&self) -> Option<Duration> {
        Some(GOSSIP_EVERY)
    }

    fn on_tick(&self, out: &mut Effects<Self>) {
        let state = self.state();
        for peer in &self.peers {
            let acked = state.acked.get(peer);
            let missing: BTreeSet<u64> =
                state.seen.iter().filter(|v| !acked.is_some_and(|a| a.contains(v))).copied().collect();
            if !missing.is_empty() {
                out.send(peer.clone(), Body::Gossip { messages: missing });
            }
        }
    }
}
