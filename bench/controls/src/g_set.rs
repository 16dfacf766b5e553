//! The g-set controls (docs/protocol.md §7.8): a state-based set; every 200 ms each node sends
//! its whole state to every peer, and merging is union. Broken: a node that never gossips (each
//! node reads only its own clients' elements), and one that takes a repeated add for a removal
//! and spreads it, so an element added twice vanishes everywhere (caught only with
//! `--repeat-adds`, since Maelstrom never adds an element twice).

use crate::Flawed;
use glomers_engine::{Effects, Init, Message, Node, NodeId, Out, RpcError};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::Value;
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::time::Duration;

flaws! {
    /// Never gossips: each node holds only what its own clients added.
    NoGossip,
    /// Takes a repeated add for a removal, which every node then honours (a remove-wins
    /// tombstone).
    ToggleOnRepeat,
}

/// How often a node sends its state to every peer.
pub const GOSSIP_EVERY: Duration = Duration::from_millis(200);

/// What a g-set control receives: the workload's requests and the state sent between nodes
/// (its replies are written as JSON where they are sent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// An element to add.
    Add {
        /// The element.
        element: Value,
    },
    /// A request for the set.
    Read,
    /// A node's whole state.
    State {
        /// Every element added.
        added: Vec<Value>,
        /// Every element removed (only [`ToggleOnRepeat`] removes).
        removed: Vec<Value>,
    },
}

/// Elements by their JSON text.
type Elements = BTreeMap<String, Value>;

/// What a node holds.
#[derive(Default)]
struct Sets {
    added: Elements,
    removed: Elements,
}

/// A g-set node with flaw `F` (or none).
pub struct GSet<F> {
    peers: Vec<NodeId>,
    sets: Mutex<Sets>,
    flaw: PhantomData<F>,
}

fn union(into: &mut Elements, from: Vec<Value>) {
    into.extend(from.into_iter().map(|v| (v.to_string(), v)));
}

impl<F: Flawed<Flaw>> Node for GSet<F> {
    type Body = Body;

    fn init(init: &Init) -> Result<Self, RpcError> {
        Ok(GSet { peers: crate::peers(init), sets: Mutex::new(Sets::default()), flaw: PhantomData })
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        let mut sets = self.sets.lock();
        match msg.body {
            Body::Add { element } => {
                let key = element.to_string();
                if sets.added.contains_key(&key) && F::FLAW == Some(Flaw::ToggleOnRepeat) {
                    sets.removed.insert(key, element);
                } else {
                    sets.added.insert(key, element);
                }
                out.reply((msg.src, msg.msg_id), json!({"type": "add_ok"}));
            }
            Body::Read => {
                let value =
                    sets.added.iter().filter(|(k, _)| !sets.removed.contains_key(*k)).map(|(_, v)| v.clone());
                out.reply(&msg, json!({"type": "read_ok", "value": value.collect::<Vec<_>>()}));
            }
            Body::State { added, removed } => {
                union(&mut sets.added, added);
                union(&mut sets.removed, removed);
            }
        }
        Ok(())
    }

    fn tick_every(&self) -> Option<Duration> {
        (F::FLAW != Some(Flaw::NoGossip)).then_some(GOSSIP_EVERY)
    }

    fn on_tick(&self, out: &mut Effects<Self>) {
        let sets = self.sets.lock();
        if sets.added.is_empty() {
            return;
        }
        let added: Vec<Value> = sets.added.values().cloned().collect();
        let removed: Vec<Value> = sets.removed.values().cloned().collect();
        for p in &self.peers {
            out.send(p.clone(), Body::State { added: added.clone(), removed: removed.clone() });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{bodies, Probe};
    use crate::Control;
    use serde_json::json;
    use std::time::Duration;

    /// Adds 1, 2 and 1 again on `control`, lets a gossip tick pass, reads; the read and the
    /// elements sent to the peer.
    fn run(control: Control) -> (serde_json::Value, Vec<serde_json::Value>) {
        let mut p = Probe::new(control.factory(), "n0", &["n0", "n1"]);
        for (i, e) in [1, 2, 1].into_iter().enumerate() {
            let out = p.request("c1", i as u64 + 2, json!({"type": "add", "element": e}));
            assert_eq!(bodies(&out), [json!({"type": "add_ok"})], "{control}");
        }
        let gossip = bodies(&p.advance(Duration::from_millis(250)));
        let read = bodies(&p.request("c1", 9, json!({"type": "read"})));
        (read[0]["value"].clone(), gossip)
    }

    #[test]
    fn the_correct_set_gossips_and_keeps_a_repeat_the_broken_ones_do_not() {
        let state = |removed| json!({"type": "state", "added": [1, 2], "removed": removed});
        assert_eq!(run(Control::GSet), (json!([1, 2]), vec![state(json!([]))]));
        assert_eq!(run(Control::GSetNoGossip), (json!([1, 2]), vec![]));
        assert_eq!(run(Control::GSetToggle), (json!([2]), vec![state(json!([1]))]));
        // A peer's state is merged by union, tombstones included.
        let mut p = Probe::new(Control::GSet.factory(), "n0", &["n0", "n1"]);
        let state = json!({"type": "state", "added": [5, "x"], "removed": []});
        assert!(p.line(&json!({"src": "n1", "dest": "n0", "body": state})).is_empty());
        let read = bodies(&p.request("c1", 2, json!({"type": "read"})));
        assert_eq!(read, [json!({"type": "read_ok", "value": ["x", 5]})], "ordered by JSON text");
    }
}
