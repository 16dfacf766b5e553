//! The broadcast controls (docs/protocol.md §7.3): each value is flooded to every peer (the
//! topology is ignored) and resent every [`RETRY_EVERY`] until the peer acknowledges it. Broken
//! ([`NoRetry`]), nothing is acknowledged or resent, so a value sent across a partition is lost
//! for good; stuck ([`Stuck`]), a node takes the first value a client sends it and then answers
//! nothing at all, as a node lost in a gossip storm: its peers resend to it forever, most values
//! are never read and the final reads fail, yet Maelstrom's checker calls the run valid.

use crate::Flawed;
use glomers_engine::{Effects, Init, Message, Node, NodeId, Out, RpcError};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;
use std::time::Duration;

flaws! {
    /// Floods each value once and never resends it.
    NoRetry,
    /// Takes the first value a client sends, then answers nothing more (nor acknowledges gossip).
    Stuck,
}

/// How often values a peer has not acknowledged are resent.
pub const RETRY_EVERY: Duration = Duration::from_millis(200);

/// Bodies of the broadcast workload, and the gossip between nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// A value to broadcast.
    Broadcast {
        /// The value.
        message: i64,
    },
    /// The value is taken.
    BroadcastOk,
    /// A request for every value seen.
    Read,
    /// Every value seen, ascending.
    ReadOk {
        /// The values.
        messages: Vec<i64>,
    },
    /// The suggested topology (ignored: values go to every peer).
    Topology {
        /// Node to neighbours.
        topology: Value,
    },
    /// The topology is taken.
    TopologyOk,
    /// Values from a peer.
    Gossip {
        /// The values.
        messages: Vec<i64>,
    },
    /// The peer has the values (never sent by [`NoRetry`]).
    GossipOk {
        /// The values.
        messages: Vec<i64>,
    },
}

/// What a node knows.
#[derive(Default)]
struct Seen {
    /// Every value seen.
    messages: BTreeSet<i64>,
    /// The values each peer has acknowledged.
    acked: BTreeMap<NodeId, BTreeSet<i64>>,
    /// [`Stuck`]: whether a client has sent a value yet, and whether the node is stuck.
    took_one: bool,
    stuck: bool,
}

/// A broadcast node with flaw `F` (or none).
pub struct Broadcast<F> {
    peers: Vec<NodeId>,
    seen: Mutex<Seen>,
    flaw: PhantomData<F>,
}

impl<F: Flawed<Flaw>> Node for Broadcast<F> {
    type Body = Body;

    fn init(init: &Init) -> Result<Self, RpcError> {
        Ok(Broadcast { peers: crate::peers(init), seen: Mutex::new(Seen::default()), flaw: PhantomData })
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        let mut seen = self.seen.lock();
        if F::FLAW == Some(Flaw::Stuck) {
            if seen.stuck {
                return Ok(());
            }
            if matches!(msg.body, Body::Broadcast { .. }) {
                seen.stuck = seen.took_one;
                seen.took_one = true;
                if seen.stuck {
                    return Ok(());
                }
            }
        }
        match msg.body {
            Body::Broadcast { message } => {
                seen.messages.insert(message);
                out.reply(&msg, Body::BroadcastOk);
                for p in &self.peers {
                    out.send(p.clone(), Body::Gossip { messages: vec![message] });
                }
            }
            Body::Gossip { messages } => {
                seen.messages.extend(messages.iter().copied());
                if F::FLAW != Some(Flaw::NoRetry) {
                    out.send(msg.src, Body::GossipOk { messages });
                }
            }
            Body::GossipOk { messages } => seen.acked.entry(msg.src).or_default().extend(messages),
            Body::Read => {
                let messages = seen.messages.iter().copied().collect();
                out.reply(&msg, Body::ReadOk { messages });
            }
            Body::Topology { .. } => out.reply(&msg, Body::TopologyOk),
            Body::BroadcastOk | Body::ReadOk { .. } | Body::TopologyOk => {
                return Err(RpcError::not_supported("a reply type, not a request"));
            }
        }
        Ok(())
    }

    fn tick_every(&self) -> Option<Duration> {
        (F::FLAW != Some(Flaw::NoRetry)).then_some(RETRY_EVERY)
    }

    fn on_tick(&self, out: &mut Effects<Self>) {
        let seen = self.seen.lock();
        if seen.stuck {
            return;
        }
        for p in &self.peers {
            let acked = seen.acked.get(p);
            let missing: Vec<i64> =
                seen.messages.iter().filter(|m| acked.is_none_or(|a| !a.contains(m))).copied().collect();
            if !missing.is_empty() {
                out.send(p.clone(), Body::Gossip { messages: missing });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::Probe;
    use crate::Control;
    use serde_json::json;
    use std::time::Duration;

    #[test]
    fn the_correct_broadcast_resends_until_acknowledged_and_the_lossy_one_never_does() {
        for (control, resends) in [(Control::Broadcast, true), (Control::BroadcastLossy, false)] {
            let mut p = Probe::new(control.factory(), "n0", &["n0", "n1"]);
            let out = p.request("c1", 2, json!({"type": "broadcast", "message": 7}));
            assert_eq!(out.len(), 2, "{control}: an answer and one gossip");
            let gossip = json!({"src": "n0", "dest": "n1", "body": {"type": "gossip", "messages": [7]}});
            assert_eq!(p.advance(Duration::from_millis(250)), if resends { vec![gossip] } else { vec![] });
            p.line(&json!({"src": "n1", "dest": "n0", "body": {"type": "gossip_ok", "messages": [7]}}));
            assert!(p.advance(Duration::from_millis(250)).is_empty(), "{control}");
            let back =
                p.line(&json!({"src": "n1", "dest": "n0", "body": {"type": "gossip", "messages": [8]}}));
            assert_eq!(back.len(), usize::from(resends), "{control}: acknowledges gossip");
        }
    }
}
