//! The g-counter controls (docs/protocol.md §7.4) on seq-kv: each node writes its own total
//! under its id, and a read sums every node's key. seq-kv may serve stale reads
//! (docs/protocol.md §4.3), so a read first writes a scratch key of this node, which moves its
//! view to the latest state.
//! Broken: the first non-zero add is acknowledged and never counted.

use crate::Flawed;
use glomers_engine::{Effects, ErrorCode, Init, Kv, Message, MsgId, Node, NodeId, Out, RpcError};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;
use std::sync::Arc;

flaws! {
    /// Acknowledges the first non-zero add without counting it.
    MissAdd,
}

/// Bodies of the g-counter workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// Adds `delta`.
    Add {
        /// What to add.
        delta: i64,
    },
    /// The add is counted.
    AddOk,
    /// A request for the counter's value.
    Read,
    /// The value.
    ReadOk {
        /// The sum of every node's total.
        value: i64,
    },
}

/// This node's own total.
#[derive(Default)]
struct Own {
    total: i64,
    /// Whether [`MissAdd`] has missed its add.
    missed: bool,
    /// Writes of the scratch key so far: each read writes a new value.
    scratch: u64,
}

/// A read in progress: the keys not yet read and the sum so far.
struct Sum {
    to: NodeId,
    msg_id: Option<MsgId>,
    left: usize,
    total: i64,
}

/// A g-counter node with flaw `F` (or none).
pub struct GCounter<F> {
    me: NodeId,
    /// Every node's key, this one's included.
    keys: Vec<NodeId>,
    own: Mutex<Own>,
    flaw: PhantomData<F>,
}

impl<F: Flawed<Flaw>> GCounter<F> {
    /// Reads every node's key and answers the sum.
    fn sum(&self, to: NodeId, msg_id: Option<MsgId>, out: &mut Effects<Self>) {
        let sum = Arc::new(Mutex::new(Some(Sum { to, msg_id, left: self.keys.len(), total: 0 })));
        for key in &self.keys {
            let sum = sum.clone();
            Kv::seq().read(out, key.as_str(), move |_: &Self, value: Result<i64, RpcError>, out| {
                let mut slot = sum.lock();
                let Some(s) = slot.as_mut() else { return };
                match value {
                    Ok(v) => s.total += v,
                    // A node that has not been added to yet has no key: its total is 0.
                    Err(e) if e.code == ErrorCode::KeyDoesNotExist => {}
                    Err(e) => {
                        if let Some(s) = slot.take() {
                            out.reply_error((s.to, s.msg_id), e);
                        }
                        return;
                    }
                }
                s.left -= 1;
                if s.left == 0 {
                    if let Some(s) = slot.take() {
                        out.reply((s.to, s.msg_id), Body::ReadOk { value: s.total });
                    }
                }
            });
        }
    }
}

impl<F: Flawed<Flaw>> Node for GCounter<F> {
    type Body = Body;

    fn init(init: &Init) -> Result<Self, RpcError> {
        Ok(GCounter {
            me: init.node_id.clone(),
            keys: init.node_ids.clone(),
            own: Mutex::new(Own::default()),
            flaw: PhantomData,
        })
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        let (to, msg_id) = (msg.src, msg.msg_id);
        match msg.body {
            Body::Add { delta } => {
                let total = {
                    let mut own = self.own.lock();
                    if F::FLAW == Some(Flaw::MissAdd) && delta > 0 && !own.missed {
                        own.missed = true;
                    } else {
                        own.total += delta;
                    }
                    own.total
                };
                Kv::seq().write(out, self.me.as_str(), total, move |_, written, out| match written {
                    Ok(()) => out.reply((to, msg_id), Body::AddOk),
                    Err(e) => out.reply_error((to, msg_id), e),
                });
            }
            Body::Read => {
                let scratch = {
                    let mut own = self.own.lock();
                    own.scratch += 1;
                    own.scratch
                };
                let key = format!("scratch-{}", self.me.as_str());
                Kv::seq().write(out, key, scratch, move |node: &Self, written, out| match written {
                    Ok(()) => node.sum(to, msg_id, out),
                    Err(e) => out.reply_error((to, msg_id), e),
                });
            }
            Body::AddOk | Body::ReadOk { .. } => {
                return Err(RpcError::not_supported("a reply type, not a request"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{bodies, Probe};
    use crate::Control;
    use serde_json::{json, Value};

    /// Answers every seq-kv request in `out` as a store holding `store`; the control's answers.
    fn serve(p: &mut Probe, out: Vec<Value>, store: &mut serde_json::Map<String, Value>) -> Vec<Value> {
        let mut answers = Vec::new();
        let mut queue = out;
        while let Some(m) = queue.pop() {
            if m["dest"] != "seq-kv" {
                answers.push(m);
                continue;
            }
            let b = &m["body"];
            let key = b["key"].as_str().unwrap_or_default().to_owned();
            let reply = match b["type"].as_str() {
                Some("write") => {
                    store.insert(key, b["value"].clone());
                    json!({"type": "write_ok", "in_reply_to": b["msg_id"]})
                }
                _ => match store.get(&key) {
                    Some(v) => json!({"type": "read_ok", "value": v, "in_reply_to": b["msg_id"]}),
                    None => {
                        json!({"type": "error", "code": 20, "text": "no key", "in_reply_to": b["msg_id"]})
                    }
                },
            };
            queue.extend(p.line(&json!({"src": "seq-kv", "dest": "n0", "body": reply})));
        }
        answers
    }

    fn run(control: Control) -> Vec<Value> {
        let mut p = Probe::new(control.factory(), "n0", &["n0", "n1"]);
        let mut store = serde_json::Map::new();
        let mut answers = Vec::new();
        for (i, body) in
            [json!({"type": "add", "delta": 3}), json!({"type": "add", "delta": 4}), json!({"type": "read"})]
                .into_iter()
                .enumerate()
        {
            let out = p.request("c1", i as u64 + 2, body);
            answers.extend(serve(&mut p, out, &mut store));
        }
        bodies(&answers)
    }

    #[test]
    fn the_correct_counter_sums_every_add_and_the_broken_one_misses_the_first() {
        let ok = [json!({"type": "add_ok"}), json!({"type": "add_ok"})];
        assert_eq!(run(Control::GCounter)[..], [&ok[..], &[json!({"type": "read_ok", "value": 7})]].concat());
        assert_eq!(
            run(Control::GCounterMiss)[..],
            [&ok[..], &[json!({"type": "read_ok", "value": 4})]].concat()
        );
    }
}
