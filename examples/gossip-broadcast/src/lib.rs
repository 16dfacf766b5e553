//! A gossip broadcast node, written as a newcomer to Gossip Glomers would (challenge 3c): every
//! node keeps the values it has seen, and every 200 ms sends each other node the values that
//! node has not acknowledged yet. A gossip lost to a partition is simply sent again on a later
//! tick, so once the partition heals every node catches up.
//!
//! `src/main.rs` runs it under the engine for Maelstrom or `glomers-bench test`;
//! `src/bin/sim.rs` runs it under the simulator; `tests/sim.rs` checks it on 200 seeds.

#![warn(missing_docs)]

use glomers_engine::prelude::*;
use std::collections::{BTreeSet, HashMap};

/// How often a node gossips what its peers lack.
pub const GOSSIP_EVERY: Duration = Duration::from_millis(200);

/// What a node receives: the broadcast workload's requests, and the gossip between nodes.
/// Replies are written as JSON where they are sent, so they need no variants here.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// Store and spread a value.
    Broadcast {
        /// The value.
        message: u64,
    },
    /// Asks for every value this node has seen.
    Read,
    /// Maelstrom's suggested neighbours; ignored, as every node gossips to every other.
    Topology {
        /// Neighbours of each node.
        topology: HashMap<String, Vec<String>>,
    },
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
#[derive(Default)]
pub struct Gossip {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Every value seen.
    seen: BTreeSet<u64>,
    /// The values each peer is known to have.
    acked: HashMap<NodeId, BTreeSet<u64>>,
}

impl Node for Gossip {
    type Body = Body;

    fn init(_: &Init) -> Result<Self, RpcError> {
        Ok(Gossip::default())
    }

    fn on_start(&self, out: &mut Effects<Self>) {
        out.every(GOSSIP_EVERY, |node: &Gossip, out| node.gossip(out));
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        match msg.body {
            Body::Broadcast { message } => {
                self.state.lock().seen.insert(message);
                out.reply(&msg, json!({"type": "broadcast_ok"}));
            }
            Body::Read => {
                let messages = self.state.lock().seen.clone();
                out.reply(&msg, json!({"type": "read_ok", "messages": messages}));
            }
            Body::Topology { .. } => out.reply(&msg, json!({"type": "topology_ok"})),
            Body::Gossip { messages } => {
                let mut state = self.state.lock();
                state.seen.extend(&messages);
                state.acked.entry(msg.src.clone()).or_default().extend(&messages);
                out.send(msg.src, Body::GossipOk { messages });
            }
            Body::GossipOk { messages } => {
                self.state.lock().acked.entry(msg.src).or_default().extend(messages)
            }
        }
        Ok(())
    }
}

impl Gossip {
    /// Sends each peer the values it has not acknowledged yet.
    fn gossip(&self, out: &mut Effects<Self>) {
        let state = self.state.lock();
        for peer in out.peers() {
            let acked = state.acked.get(&peer);
            let missing: BTreeSet<u64> =
                state.seen.iter().filter(|v| !acked.is_some_and(|a| a.contains(v))).copied().collect();
            if !missing.is_empty() {
                out.send(peer, Body::Gossip { messages: missing });
            }
        }
    }
}
