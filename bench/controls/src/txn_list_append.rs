//! The txn-list-append controls (docs/protocol.md §7.10). The correct one keeps every list on
//! one node (the smallest id) and runs each transaction there, atomically, in arrival order;
//! every other node forwards its clients' transactions to it and relays the answer (error 13,
//! indefinite, if none comes within a second). Broken on purpose:
//!
//! - [`Local`]: every node runs transactions on its own lists and never tells the others, so
//!   clients of different nodes see different histories of one key.
//! - [`DoubleAppend`]: every append is applied twice (`duplicate-elements`).
//! - [`Aborted`]: every 3rd transaction that appends answers error 30 (txn-conflict, definite)
//!   while its appends stay (`G1a`, and `dirty-update` once another append follows).
//! - [`Intermediate`]: when a transaction appends twice to a key, the next [`EXPOSED_FOR`]
//!   transactions read that key only up to its first append (`G1b`).

use crate::Flawed;
use glomers_engine::{ErrorCode, Init, Message, Node, NodeId, Out, RpcError};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::time::Duration;

flaws! {
    /// Each node keeps its own lists and never coordinates.
    Local,
    /// Applies every append twice.
    DoubleAppend,
    /// Every 3rd appending transaction fails (definitely) but keeps its appends.
    Aborted,
    /// A transaction's first of two appends to a key is what others read for a while.
    Intermediate,
}

/// How many later transactions read a key only up to an intermediate append ([`Intermediate`]).
pub const EXPOSED_FOR: u32 = 5;

/// How long a node waits for the owner's answer to a forwarded transaction.
pub const FORWARD_TIMEOUT: Duration = Duration::from_secs(1);

/// A micro-op, `[f, k, v]`, as the txn node declares it.
pub use glomers_nodes::txn::MicroOp;

/// What a txn-list-append control receives (its answers are written as JSON where sent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// A transaction, from a client or forwarded by a node.
    Txn {
        /// Its micro-ops.
        txn: Vec<MicroOp>,
    },
}

/// [`Intermediate`]: what a key shows instead of its list, for a while.
struct Exposed {
    shown: Vec<Value>,
    left: u32,
}

/// The lists.
#[derive(Default)]
struct Store {
    /// Each key's list, by the key's JSON text.
    lists: HashMap<String, Vec<Value>>,
    /// Transactions that appended.
    appending: u64,
    /// [`Intermediate`]: keys showing less than they hold.
    exposed: HashMap<String, Exposed>,
}

impl Store {
    /// Runs a transaction; the completed micro-ops and whether it appended.
    fn apply(&mut self, txn: Vec<MicroOp>, flaw: Option<Flaw>) -> (Vec<MicroOp>, bool) {
        for e in self.exposed.values_mut() {
            e.left = e.left.saturating_sub(1);
        }
        self.exposed.retain(|_, e| e.left > 0);
        let mut appended: HashMap<String, usize> = HashMap::new();
        let mut firsts: HashMap<String, usize> = HashMap::new();
        let mut done = Vec::with_capacity(txn.len());
        for (f, key, v) in txn {
            let k = key.to_string();
            if f == "append" {
                let list = self.lists.entry(k.clone()).or_default();
                firsts.entry(k.clone()).or_insert(list.len() + 1);
                list.push(v.clone());
                if flaw == Some(Flaw::DoubleAppend) {
                    list.push(v.clone());
                }
                *appended.entry(k.clone()).or_default() += 1;
                self.exposed.remove(&k);
                done.push((f, key, v));
            } else {
                let seen = match (self.exposed.get(&k), appended.contains_key(&k)) {
                    (Some(e), false) => json!(e.shown),
                    _ => self.lists.get(&k).map_or(Value::Null, |l| json!(l)),
                };
                done.push((f, key, seen));
            }
        }
        if flaw == Some(Flaw::Intermediate) {
            for (k, n) in &appended {
                if let (true, Some(first), Some(list)) = (*n > 1, firsts.get(k), self.lists.get(k)) {
                    let shown = list.iter().take(*first).cloned().collect();
                    self.exposed.insert(k.clone(), Exposed { shown, left: EXPOSED_FOR });
                }
            }
        }
        (done, !appended.is_empty())
    }
}

/// A txn-list-append node with flaw `F` (or none).
pub struct TxnListAppend<F> {
    /// The node holding every list (the smallest id), unless each node holds its own.
    owner: Option<NodeId>,
    store: Mutex<Store>,
    flaw: PhantomData<F>,
}

impl<F: Flawed<Flaw>> TxnListAppend<F> {
    /// Runs `txn` here: its answer, `txn_ok` or an error.
    fn run(&self, txn: Vec<MicroOp>) -> Result<Value, RpcError> {
        let mut st = self.store.lock();
        let (done, appended) = st.apply(txn, F::FLAW);
        if appended {
            st.appending += 1;
            if F::FLAW == Some(Flaw::Aborted) && st.appending.is_multiple_of(3) {
                return Err(RpcError::new(ErrorCode::TxnConflict, "conflict (but the appends stay)"));
            }
        }
        Ok(json!({"type": "txn_ok", "txn": done}))
    }
}

impl<F: Flawed<Flaw>> Node for TxnListAppend<F> {
    type Body = Body;

    fn init(init: &Init) -> Result<Self, RpcError> {
        let owner = (F::FLAW != Some(Flaw::Local)).then(|| init.node_ids.iter().min().cloned()).flatten();
        Ok(TxnListAppend { owner, store: Mutex::new(Store::default()), flaw: PhantomData })
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        let to = msg.reply_to();
        let Body::Txn { txn } = msg.body;
        match self.owner.clone().filter(|o| o != out.me()) {
            None => match self.run(txn) {
                Ok(body) => out.reply(to, body),
                Err(e) => out.reply_error(to, e),
            },
            Some(owner) => {
                let forward = json!({"type": "txn", "txn": txn});
                out.rpc_as(
                    owner,
                    &forward,
                    FORWARD_TIMEOUT,
                    move |_, reply: Result<Value, RpcError>, out| {
                        match reply {
                            Ok(body) => out.reply(to, body),
                            Err(e) if e.code.is_definite() => out.reply_error(to, e),
                            // The owner may have run it: the outcome is unknown.
                            Err(_) => out
                                .reply_error(to, RpcError::new(ErrorCode::Crash, "no answer from the owner")),
                        }
                    },
                );
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

    fn txn(ops: Value) -> Value {
        json!({"type": "txn", "txn": ops})
    }

    /// Runs the transactions on a one-node `control`; the bodies of the answers.
    fn run(control: Control, txns: &[Value]) -> Vec<Value> {
        let mut p = Probe::new(control.factory(), "n0", &["n0"]);
        txns.iter()
            .enumerate()
            .flat_map(|(i, t)| bodies(&p.request("c1", i as u64 + 2, txn(t.clone()))))
            .collect()
    }

    #[test]
    fn the_correct_store_reads_its_own_and_earlier_appends() {
        let got = run(
            Control::TxnListAppend,
            &[
                json!([["r", 1, null], ["append", 1, 6], ["r", 1, null]]),
                json!([["append", 1, 7], ["r", 1, null], ["r", 2, null]]),
            ],
        );
        assert_eq!(got[0]["txn"], json!([["r", 1, null], ["append", 1, 6], ["r", 1, [6]]]));
        assert_eq!(got[1]["txn"], json!([["append", 1, 7], ["r", 1, [6, 7]], ["r", 2, null]]));
    }

    #[test]
    fn the_broken_stores_break_as_named() {
        let got = run(Control::TxnListAppendDouble, &[json!([["append", 1, 6], ["r", 1, null]])]);
        assert_eq!(got[0]["txn"][1], json!(["r", 1, [6, 6]]));
        let t = json!([["append", 1, 1]]);
        let got = run(Control::TxnListAppendAborted, &[t.clone(), t.clone(), t]);
        assert_eq!(got[2]["code"], 30);
        let got = run(
            Control::TxnListAppendIntermediate,
            &[json!([["append", 1, 1], ["append", 1, 2]]), json!([["r", 1, null]])],
        );
        assert_eq!(got[1]["txn"], json!([["r", 1, [1]]]));
    }

    #[test]
    fn a_node_forwards_to_the_owner_and_relays_its_answer_or_an_indefinite_error() {
        let mut p = Probe::new(Control::TxnListAppend.factory(), "n1", &["n0", "n1"]);
        let out = p.line(
            &json!({"src": "c1", "dest": "n1", "body": txn(json!([["append", 1, 6]])).as_object().map(|o| {
                let mut o = o.clone();
                o.insert("msg_id".into(), json!(2));
                o
            })}),
        );
        assert_eq!(out[0]["dest"], "n0", "{out:?}");
        assert_eq!(out[0]["body"]["txn"], json!([["append", 1, 6]]));
        let id = out[0]["body"]["msg_id"].clone();
        let answer = json!({"type": "txn_ok", "in_reply_to": id, "txn": [["append", 1, 6]]});
        let relayed = p.line(&json!({"src": "n0", "dest": "n1", "body": answer}));
        assert_eq!(relayed[0]["dest"], "c1");
        assert_eq!(bodies(&relayed), [json!({"type": "txn_ok", "txn": [["append", 1, 6]]})]);
        // No answer within the timeout: error 13, since the owner may have run it.
        p.line(&json!({"src": "c1", "dest": "n1", "body": {"type": "txn", "msg_id": 3, "txn": [["r", 1, null]]}}));
        let late = bodies(&p.advance(std::time::Duration::from_secs(2)));
        assert_eq!(late[0]["code"], 13, "{late:?}");
    }
}
