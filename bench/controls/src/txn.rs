//! The txn-rw-register controls (docs/protocol.md §7.6): one node, one in-memory store.
//!
//! - Correct: each transaction applies atomically, in arrival order.
//! - [`Dirty`] (G1a): every 3rd transaction that writes applies its writes, then answers error
//!   30 (txn-conflict, definite) while leaving those writes visible.
//! - [`Intermediate`] (G1b): when a transaction writes a key twice, the store shows its *first*
//!   value to the next [`EXPOSED_FOR`] transactions before the final one is installed.
//! - [`WriteCycle`] (a write cycle, named G1c): a transaction T1 that reads then writes a key y
//!   and also writes a key x is held open; when a later T2 reads then writes x and also writes
//!   y, T2 is made to read T1's x, and T1's pending read of y is answered with T2's y. Each then
//!   read the other's write before overwriting it: a write-write cycle in the version order the
//!   checker infers, whose edges are also write-read edges, so Elle names it G1c, not G0.

use crate::Flawed;
use glomers_engine::{Effects, ErrorCode, Init, Message, MsgId, Node, NodeId, Out, RpcError};
use parking_lot::Mutex;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::marker::PhantomData;
use std::time::Duration;

flaws! {
    /// G1a: an aborted transaction's writes stay visible.
    Dirty,
    /// G1b: a transaction's intermediate write is visible to others.
    Intermediate,
    /// G1c: two transactions read and overwrite each other's writes in a cycle.
    WriteCycle,
}

/// How many later transactions see an exposed intermediate write ([`Intermediate`]).
pub const EXPOSED_FOR: u32 = 5;

/// How long [`WriteCycle`] holds a transaction waiting for a partner: well under the client's
/// 5 s timeout (docs/protocol.md §2.5).
pub const HOLD_FOR: Duration = Duration::from_millis(1000);

/// How often [`WriteCycle`] checks whether its held transaction is due.
const CHECK_EVERY: Duration = Duration::from_millis(50);

/// The txn-rw-register messages and micro-operations, as the real node declares them.
pub use glomers_nodes::txn::{Body, MicroOp};

/// Where an answer goes: the client and its request's msg_id.
type To = (NodeId, Option<MsgId>);

/// [`WriteCycle`]: a transaction held open.
struct Held {
    to: To,
    /// Its completed micro-ops; `txn[read]` is the pending read of `y`.
    txn: Vec<MicroOp>,
    read: usize,
    /// The key it reads then writes.
    y: Value,
    /// The key it only writes, and its final value.
    x: (Value, Value),
    /// When it arrived.
    at: Duration,
}

/// [`Intermediate`]: a key showing a transaction's first write instead of its last.
struct Exposed {
    key: String,
    shown: Value,
    last: Value,
    /// Transactions left before `last` is installed.
    left: u32,
}

/// The store.
#[derive(Default)]
struct Store {
    /// Each key's value, by the key's JSON text.
    values: HashMap<String, Value>,
    /// Transactions received.
    txns: u64,
    exposed: Vec<Exposed>,
    held: Option<Held>,
}

impl Store {
    /// Runs the micro-ops (reads see the transaction's own writes; a read of `forced.0` with no
    /// own write returns `forced.1`), then applies the final writes. Returns the completed
    /// micro-ops and the writes in order.
    fn apply(
        &mut self,
        txn: &[MicroOp],
        forced: Option<&(Value, Value)>,
    ) -> (Vec<MicroOp>, Vec<(String, Value)>) {
        let mut own: BTreeMap<String, Value> = BTreeMap::new();
        let (mut done, mut writes) = (Vec::new(), Vec::new());
        for (f, key, v) in txn {
            let k = key.to_string();
            if f == "w" {
                own.insert(k.clone(), v.clone());
                writes.push((k, v.clone()));
                done.push((f.clone(), key.clone(), v.clone()));
            } else {
                let seen = match (own.get(&k), forced) {
                    (Some(v), _) => v.clone(),
                    (None, Some((fk, fv))) if fk == key => fv.clone(),
                    _ => self.values.get(&k).cloned().unwrap_or(Value::Null),
                };
                done.push((f.clone(), key.clone(), seen));
            }
        }
        self.values.extend(own);
        (done, writes)
    }

    /// [`Intermediate`]: installs exposed writes' final values when their time is up (unless
    /// overwritten since), runs `txn`, then exposes the first value of each key it wrote twice.
    fn intermediate(&mut self, txn: &[MicroOp]) -> Vec<MicroOp> {
        for e in &mut self.exposed {
            e.left = e.left.saturating_sub(1);
            if e.left == 0 && self.values.get(&e.key) == Some(&e.shown) {
                self.values.insert(e.key.clone(), e.last.clone());
            }
        }
        self.exposed.retain(|e| e.left > 0);
        let (done, writes) = self.apply(txn, None);
        let mut firsts: Vec<(String, Value)> = Vec::new();
        for (key, last) in writes {
            match firsts.iter().find(|(k, _)| *k == key).map(|f| f.1.clone()) {
                Some(shown) => {
                    self.exposed.retain(|e| e.key != key);
                    self.values.insert(key.clone(), shown.clone());
                    self.exposed.push(Exposed { key, shown, last, left: EXPOSED_FOR });
                }
                None => firsts.push((key, last)),
            }
        }
        done
    }

    /// [`WriteCycle`]: pairs this transaction with the held one, or holds it, or runs it.
    /// Returns the answers to send now.
    fn write_cycle(&mut self, to: To, txn: &[MicroOp], now: Duration) -> Vec<(To, Vec<MicroOp>)> {
        let shape = read_then_write(txn);
        if let Some(h) = self.held.take() {
            // T2 must not read y itself, or the version order of y would be cyclic.
            let y = last_write(txn, &h.y);
            if shape.contains(&h.x.0) && !shape.contains(&h.y) && y.is_some() {
                let (done, _) = self.apply(txn, Some(&h.x));
                let mut t1 = h.txn;
                if let (Some(slot), Some(y)) = (t1.get_mut(h.read), y) {
                    slot.2 = y;
                }
                return vec![(to, done), (h.to, t1)];
            }
            self.held = Some(h);
        }
        let (done, _) = self.apply(txn, None);
        if self.held.is_none() {
            for y in shape {
                let x = txn.iter().rev().find(|(f, k, _)| f == "w" && *k != y);
                let read = done.iter().position(|(f, k, _)| f == "r" && *k == y);
                if let (Some((_, xk, xv)), Some(read)) = (x, read) {
                    let x = (xk.clone(), xv.clone());
                    self.held = Some(Held { to, txn: done, read, y, x, at: now });
                    return Vec::new();
                }
            }
        }
        vec![(to, done)]
    }
}

/// Keys whose first micro-op is a read and that are written later.
fn read_then_write(txn: &[MicroOp]) -> Vec<Value> {
    let mut first: Vec<(&Value, &str)> = Vec::new();
    for (f, k, _) in txn {
        if !first.iter().any(|(fk, _)| *fk == k) {
            first.push((k, f));
        }
    }
    first
        .into_iter()
        .filter(|(k, f)| *f == "r" && last_write(txn, k).is_some())
        .map(|(k, _)| k.clone())
        .collect()
}

/// The last value a transaction writes to `key`.
fn last_write(txn: &[MicroOp], key: &Value) -> Option<Value> {
    txn.iter().rev().find(|(f, k, _)| f == "w" && k == key).map(|(_, _, v)| v.clone())
}

/// A txn node with flaw `F` (or none).
pub struct Txn<F> {
    store: Mutex<Store>,
    flaw: PhantomData<F>,
}

impl<F: Flawed<Flaw>> Node for Txn<F> {
    type Body = Body;

    fn init(_: &Init) -> Result<Self, RpcError> {
        Ok(Txn { store: Mutex::new(Store::default()), flaw: PhantomData })
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        let to = msg.reply_to();
        let Body::Txn { txn } = msg.body else {
            return Err(RpcError::not_supported("txn_ok is a reply, not a request"));
        };
        let mut st = self.store.lock();
        st.txns += 1;
        match F::FLAW {
            None => {
                let (done, _) = st.apply(&txn, None);
                out.reply(to, Body::TxnOk { txn: done });
            }
            Some(Flaw::Dirty) => {
                let (done, writes) = st.apply(&txn, None);
                if !writes.is_empty() && st.txns.is_multiple_of(3) {
                    let e = RpcError::new(ErrorCode::TxnConflict, "conflict (but the writes stay)");
                    out.reply_error(to, e);
                } else {
                    out.reply(to, Body::TxnOk { txn: done });
                }
            }
            Some(Flaw::Intermediate) => out.reply(to, Body::TxnOk { txn: st.intermediate(&txn) }),
            Some(Flaw::WriteCycle) => {
                for ((to, msg_id), txn) in st.write_cycle((to.src, to.msg_id), &txn, out.now()) {
                    out.reply((to, msg_id), Body::TxnOk { txn });
                }
            }
        }
        Ok(())
    }

    fn tick_every(&self) -> Option<Duration> {
        (F::FLAW == Some(Flaw::WriteCycle)).then_some(CHECK_EVERY)
    }

    fn on_tick(&self, out: &mut Effects<Self>) {
        let mut st = self.store.lock();
        if st.held.as_ref().is_some_and(|h| out.now().saturating_sub(h.at) >= HOLD_FOR) {
            if let Some(h) = st.held.take() {
                out.reply((h.to.0, h.to.1), Body::TxnOk { txn: h.txn });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{bodies, Probe};
    use crate::Control;
    use serde_json::{json, Value};
    use std::time::Duration;

    fn txn(ops: Value) -> Value {
        json!({"type": "txn", "txn": ops})
    }

    #[test]
    fn the_correct_store_reads_its_own_and_earlier_writes() {
        let mut p = Probe::new(Control::Txn.factory(), "n0", &["n0"]);
        let a = p.request("c1", 2, txn(json!([["w", 1, 5], ["r", 1, null], ["r", 2, null]])));
        assert_eq!(
            bodies(&a),
            [json!({"type": "txn_ok", "txn": [["w", 1, 5], ["r", 1, 5], ["r", 2, null]]})]
        );
        let b = p.request("c1", 3, txn(json!([["r", 1, null]])));
        assert_eq!(bodies(&b), [json!({"type": "txn_ok", "txn": [["r", 1, 5]]})]);
    }

    #[test]
    fn dirty_fails_every_third_writer_and_keeps_its_writes() {
        let mut p = Probe::new(Control::TxnDirty.factory(), "n0", &["n0"]);
        p.request("c1", 2, txn(json!([["w", 1, 1]])));
        p.request("c1", 3, txn(json!([["w", 1, 2]])));
        let failed = bodies(&p.request("c1", 4, txn(json!([["w", 1, 3]]))));
        assert_eq!(failed[0]["code"], 30);
        let seen = bodies(&p.request("c1", 5, txn(json!([["r", 1, null]]))));
        assert_eq!(seen, [json!({"type": "txn_ok", "txn": [["r", 1, 3]]})]);
    }

    #[test]
    fn intermediate_shows_the_first_of_two_writes() {
        let mut p = Probe::new(Control::TxnIntermediate.factory(), "n0", &["n0"]);
        p.request("c1", 2, txn(json!([["w", 1, 1], ["w", 1, 2]])));
        let seen = bodies(&p.request("c1", 3, txn(json!([["r", 1, null]]))));
        assert_eq!(seen, [json!({"type": "txn_ok", "txn": [["r", 1, 1]]})]);
    }

    #[test]
    fn write_cycle_pairs_two_transactions_or_answers_the_held_one_in_time() {
        let mut p = Probe::new(Control::TxnG0.factory(), "n0", &["n0"]);
        assert!(p.request("c1", 2, txn(json!([["r", "y", null], ["w", "y", 1], ["w", "x", 1]]))).is_empty());
        let pair = p.request("c2", 3, txn(json!([["r", "x", null], ["w", "x", 2], ["w", "y", 2]])));
        assert_eq!(
            bodies(&pair),
            [
                json!({"type": "txn_ok", "txn": [["r", "x", 1], ["w", "x", 2], ["w", "y", 2]]}),
                json!({"type": "txn_ok", "txn": [["r", "y", 2], ["w", "y", 1], ["w", "x", 1]]}),
            ]
        );
        assert!(p.request("c1", 4, txn(json!([["r", "y", null], ["w", "y", 3], ["w", "x", 3]]))).is_empty());
        assert_eq!(p.advance(Duration::from_millis(1100)).len(), 1, "answered when the hold is up");
    }
}
