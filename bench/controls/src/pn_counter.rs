//! The pn-counter controls (docs/protocol.md §7.9): a state-based counter; each node keeps the
//! sums of the positive and negative deltas of every node, sends all of them to every peer
//! every 200 ms, and merges by pointwise maximum. Broken: one acknowledges negative deltas and
//! drops them, one merges by adding the copies it receives, so every gossip counts again.

use crate::Flawed;
use glomers_engine::{Effects, Init, Message, Node, NodeId, Out, RpcError};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::time::Duration;

flaws! {
    /// Acknowledges a negative delta and never counts it.
    IgnoreNegative,
    /// Merges a peer's state by adding it to its own instead of taking the maximum.
    SumMerge,
}

/// How often a node sends its state to every peer.
pub const GOSSIP_EVERY: Duration = Duration::from_millis(200);

/// Each node's `[sum of positive deltas, sum of negative deltas' magnitudes]`, by node id.
type Counts = BTreeMap<String, [u64; 2]>;

/// What a pn-counter control receives: the workload's requests and the state sent between
/// nodes (its replies are written as JSON where they are sent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// Adds `delta`.
    Add {
        /// What to add; may be negative.
        delta: i64,
    },
    /// A request for the counter's value.
    Read,
    /// A node's whole state.
    State {
        /// Every node's sums, as the sender knows them.
        counts: Counts,
    },
}

/// A pn-counter node with flaw `F` (or none).
pub struct PnCounter<F> {
    me: String,
    peers: Vec<NodeId>,
    counts: Mutex<Counts>,
    flaw: PhantomData<F>,
}

impl<F: Flawed<Flaw>> Node for PnCounter<F> {
    type Body = Body;

    fn init(init: &Init) -> Result<Self, RpcError> {
        Ok(PnCounter {
            me: init.node_id.to_string(),
            peers: crate::peers(init),
            counts: Mutex::new(Counts::new()),
            flaw: PhantomData,
        })
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        let mut counts = self.counts.lock();
        match msg.body {
            Body::Add { delta } => {
                if !(delta < 0 && F::FLAW == Some(Flaw::IgnoreNegative)) {
                    let own = counts.entry(self.me.clone()).or_default();
                    let half = if delta >= 0 { &mut own[0] } else { &mut own[1] };
                    *half = half.saturating_add(delta.unsigned_abs());
                }
                out.reply(&msg, json!({"type": "add_ok"}));
            }
            Body::Read => {
                let sum: i128 = counts.values().map(|[p, n]| i128::from(*p) - i128::from(*n)).sum();
                let value = i64::try_from(sum).unwrap_or(if sum < 0 { i64::MIN } else { i64::MAX });
                out.reply(&msg, json!({"type": "read_ok", "value": value}));
            }
            Body::State { counts: theirs } => {
                for (node, [p, n]) in theirs {
                    if node == self.me {
                        continue;
                    }
                    let mine = counts.entry(node).or_default();
                    if F::FLAW == Some(Flaw::SumMerge) {
                        *mine = [mine[0].saturating_add(p), mine[1].saturating_add(n)];
                    } else {
                        *mine = [mine[0].max(p), mine[1].max(n)];
                    }
                }
            }
        }
        Ok(())
    }

    fn tick_every(&self) -> Option<Duration> {
        Some(GOSSIP_EVERY)
    }

    fn on_tick(&self, out: &mut Effects<Self>) {
        let counts = self.counts.lock();
        if counts.is_empty() {
            return;
        }
        for p in &self.peers {
            out.send(p.clone(), Body::State { counts: counts.clone() });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{bodies, Probe};
    use crate::Control;
    use serde_json::{json, Value};
    use std::time::Duration;

    /// Adds 5 and -3 on `control` as n0, takes n1's state `{n1: [2, 0]}` twice, reads.
    fn run(control: Control) -> Value {
        let mut p = Probe::new(control.factory(), "n0", &["n0", "n1"]);
        for (i, delta) in [5, -3].into_iter().enumerate() {
            let out = p.request("c1", i as u64 + 2, json!({"type": "add", "delta": delta}));
            assert_eq!(bodies(&out), [json!({"type": "add_ok"})], "{control}");
        }
        let state = json!({"src": "n1", "dest": "n0", "body": {"type": "state", "counts": {"n1": [2, 0]}}});
        p.line(&state);
        p.line(&state);
        bodies(&p.request("c1", 9, json!({"type": "read"})))[0]["value"].clone()
    }

    #[test]
    fn the_correct_counter_sums_once_and_the_broken_ones_do_not() {
        assert_eq!(run(Control::PnCounter), json!(4));
        assert_eq!(run(Control::PnCounterNoNegative), json!(7));
        assert_eq!(run(Control::PnCounterSumMerge), json!(6));
        // The correct counter sends every peer its state on each tick.
        let mut p = Probe::new(Control::PnCounter.factory(), "n0", &["n0", "n1"]);
        p.request("c1", 2, json!({"type": "add", "delta": -4}));
        let sent = p.advance(Duration::from_millis(250));
        assert_eq!(bodies(&sent), [json!({"type": "state", "counts": {"n0": [0, 4]}})]);
    }
}
