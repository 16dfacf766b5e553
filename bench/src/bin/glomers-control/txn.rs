//! The `txn-rw-register` control modes: one node, one in-memory store, its own loop.
//! - `txn`: correct; each transaction applies atomically, in arrival order.
//! - `txn-dirty` (G1a): every third transaction that writes applies its writes, then answers
//!   error 30 (txn-conflict, definite) while leaving those writes visible.
//! - `txn-intermediate` (G1b): when a transaction writes a key twice, the store shows its
//!   *first* value to the next few transactions before the final one is installed.
//! - `txn-g0` (G0): a transaction T1 that reads then writes a key y and also writes a key x is
//!   held open; when a later T2 reads then writes x and also writes y, T2 is made to read T1's
//!   x and T1's pending read of y is answered with T2's y. Each then read the other's write
//!   before overwriting it: a write-write cycle in the version order the checker infers.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How many later transactions see an exposed intermediate write (`txn-intermediate`).
const EXPOSED_FOR: u32 = 5;

/// How long `txn-g0` holds a transaction waiting for a partner (well under the 5 s timeout).
const HOLD_FOR: Duration = Duration::from_millis(1000);

/// `txn-g0`: a transaction held open.
struct Held {
    /// Its request.
    request: Value,
    /// Its completed micro-ops; `txn[read]` is the pending read of `y`.
    txn: Vec<Value>,
    /// Index of the pending read.
    read: usize,
    /// The key it reads then writes.
    y: String,
    /// The key it only writes, and its final value.
    x: (String, Value),
    /// When it arrived.
    at: Instant,
}

/// `txn-intermediate`: an exposed first write and the final value to install later.
struct Exposed {
    key: String,
    shown: Value,
    last: Value,
    left: u32,
}

struct Store {
    mode: String,
    id: String,
    values: HashMap<String, Value>,
    txns: u64,
    exposed: Vec<Exposed>,
    held: Option<Held>,
    out: std::io::BufWriter<std::io::Stdout>,
}

/// `(f, key text, key, value)` of a micro-op.
fn parts(m: &Value) -> (&str, String, Value, Value) {
    (m[0].as_str().unwrap_or_default(), m[1].to_string(), m[1].clone(), m[2].clone())
}

impl Store {
    fn reply(&mut self, req: &Value, mut body: Value) {
        body["in_reply_to"] = req["body"]["msg_id"].clone();
        let line = json!({"src": self.id, "dest": req["src"], "body": body});
        let _ = writeln!(self.out, "{line}");
    }

    /// Runs the micro-ops against the store (reads see the transaction's own writes; the first
    /// read of `forced.0` returns `forced.1`), then applies the final writes. Returns the
    /// completed micro-ops and the writes in order.
    fn apply(
        &mut self,
        mops: &[Value],
        forced: Option<(&str, &Value)>,
    ) -> (Vec<Value>, Vec<(String, Value)>) {
        let mut own: HashMap<String, Value> = HashMap::new();
        let mut writes = Vec::new();
        let mut done = Vec::new();
        for m in mops {
            let (f, k, key, v) = parts(m);
            if f == "w" {
                own.insert(k.clone(), v.clone());
                writes.push((k, v.clone()));
                done.push(json!(["w", key, v]));
            } else {
                let seen = match (own.get(&k), forced) {
                    (Some(v), _) => v.clone(),
                    (None, Some((fk, fv))) if fk == k => fv.clone(),
                    _ => self.values.get(&k).cloned().unwrap_or(Value::Null),
                };
                done.push(json!(["r", key, seen]));
            }
        }
        for (k, v) in own {
            self.values.insert(k, v);
        }
        (done, writes)
    }

    fn on_txn(&mut self, req: &Value) {
        self.txns += 1;
        let mops = req["body"]["txn"].as_array().cloned().unwrap_or_default();
        match self.mode.as_str() {
            "txn-dirty" => {
                let (done, writes) = self.apply(&mops, None);
                if !writes.is_empty() && self.txns.is_multiple_of(3) {
                    let text = "conflict (but the writes stay)";
                    self.reply(req, json!({"type": "error", "code": 30, "text": text}));
                } else {
                    self.reply(req, json!({"type": "txn_ok", "txn": done}));
                }
            }
            "txn-intermediate" => {
                self.age_exposed();
                let (done, writes) = self.apply(&mops, None);
                let mut firsts: Vec<(String, Value)> = Vec::new();
                for (k, v) in &writes {
                    match firsts.iter().position(|(fk, _)| fk == k) {
                        Some(i) => {
                            let shown = firsts.get(i).map(|f| f.1.clone()).unwrap_or_default();
                            self.exposed.retain(|e| e.key != *k);
                            self.values.insert(k.clone(), shown.clone());
                            let exp = Exposed { key: k.clone(), shown, last: v.clone(), left: EXPOSED_FOR };
                            self.exposed.push(exp);
                        }
                        None => firsts.push((k.clone(), v.clone())),
                    }
                }
                self.reply(req, json!({"type": "txn_ok", "txn": done}));
            }
            "txn-g0" => self.on_txn_g0(req, &mops),
            _ => {
                let (done, _) = self.apply(&mops, None);
                self.reply(req, json!({"type": "txn_ok", "txn": done}));
            }
        }
    }

    /// Installs exposed intermediate writes whose time is up, unless overwritten since.
    fn age_exposed(&mut self) {
        for e in &mut self.exposed {
            e.left = e.left.saturating_sub(1);
            if e.left == 0 && self.values.get(&e.key) == Some(&e.shown) {
                self.values.insert(e.key.clone(), e.last.clone());
            }
        }
        self.exposed.retain(|e| e.left > 0);
    }

    fn on_txn_g0(&mut self, req: &Value, mops: &[Value]) {
        let shape = read_then_write(mops);
        if let Some(h) = self.held.take() {
            // T2 must not read y itself, or the version order of y would be cyclic.
            let partner = shape.contains(&h.x.0) && !shape.contains(&h.y) && last_write(mops, &h.y).is_some();
            if partner {
                let (done, _) = self.apply(mops, Some((&h.x.0, &h.x.1)));
                let mut t1 = h.txn;
                if let (Some(slot), Some(v)) = (t1.get_mut(h.read), last_write(mops, &h.y)) {
                    slot[2] = v;
                }
                eprintln!(
                    "glomers-control: write cycle between {} and {}",
                    h.request["body"]["txn"],
                    Value::Array(done.clone())
                );
                self.reply(req, json!({"type": "txn_ok", "txn": done}));
                self.reply(&h.request, json!({"type": "txn_ok", "txn": t1}));
                return;
            }
            self.held = Some(h);
        }
        let (done, _) = self.apply(mops, None);
        if self.held.is_none() {
            for y in shape {
                let x = mops.iter().rev().map(parts).find(|(f, k, _, _)| *f == "w" && *k != y);
                let read = done.iter().position(|m| m[0] == "r" && parts(m).1 == y);
                if let (Some((_, xk, _, xv)), Some(read)) = (x, read) {
                    let x = (xk, xv);
                    self.held =
                        Some(Held { request: req.clone(), txn: done, read, y, x, at: Instant::now() });
                    return;
                }
            }
        }
        self.reply(req, json!({"type": "txn_ok", "txn": done}));
    }

    fn on_tick(&mut self) {
        if self.held.as_ref().is_some_and(|h| h.at.elapsed() >= HOLD_FOR) {
            if let Some(h) = self.held.take() {
                self.reply(&h.request, json!({"type": "txn_ok", "txn": h.txn}));
            }
        }
    }
}

/// Keys (as JSON text) whose first micro-op is a read and that are written later.
fn read_then_write(mops: &[Value]) -> Vec<String> {
    let mut first: Vec<(String, &str)> = Vec::new();
    for m in mops {
        let (f, k, _, _) = parts(m);
        if !first.iter().any(|(fk, _)| *fk == k) {
            first.push((k, f));
        }
    }
    first.into_iter().filter(|(k, f)| *f == "r" && last_write(mops, k).is_some()).map(|(k, _)| k).collect()
}

/// The last value a transaction writes to `key`.
fn last_write(mops: &[Value], key: &str) -> Option<Value> {
    mops.iter().rev().map(parts).find(|(f, k, _, _)| *f == "w" && k == key).map(|(_, _, _, v)| v)
}

/// Runs a txn control node until stdin closes.
pub fn run(mode: String) {
    let rx = super::stdin_lines();
    eprintln!("glomers-control: {mode}");
    let mut s = Store {
        mode,
        id: String::new(),
        values: HashMap::new(),
        txns: 0,
        exposed: Vec::new(),
        held: None,
        out: std::io::BufWriter::new(std::io::stdout()),
    };
    loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(line) => {
                let Ok(msg) = serde_json::from_str::<Value>(&line) else {
                    eprintln!("glomers-control: bad line {line}");
                    continue;
                };
                match msg["body"]["type"].as_str() {
                    Some("init") => {
                        s.id = msg["body"]["node_id"].as_str().unwrap_or_default().to_owned();
                        s.reply(&msg, json!({"type": "init_ok"}));
                    }
                    Some("txn") => s.on_txn(&msg),
                    other => {
                        let text = format!("unsupported type {other:?}");
                        s.reply(&msg, json!({"type": "error", "code": 10, "text": text}));
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        s.on_tick();
        let _ = s.out.flush();
    }
}
