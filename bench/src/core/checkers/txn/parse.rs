//! Transactions as the checkers see them: each `txn` operation of the history with its outcome
//! and micro-operations (the returned ones for `ok`, the invoked ones otherwise), whatever the
//! micro-ops are ([`TxnOf`]); the rw-register micro-ops, with the external reads and writes Elle
//! reasons about; and the `ok` replies that do not answer their request.

pub use super::graph::Version;
use super::graph::Vertex;
use crate::core::history::{Event, History, Kind};
use serde_json::{json, Value};
use std::time::Duration;

/// One micro-operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mop {
    /// A write (`w`) rather than a read (`r`).
    pub write: bool,
    /// The key.
    pub key: i64,
    /// The value written, or read (`None` for a read of `null`, or one not yet done).
    pub value: Version,
}

/// What a transaction's text and JSON need of its micro-ops.
pub trait MicroOp {
    /// `[r 1 3]`.
    fn show(&self) -> String;
    /// `["r", 1, 3]`.
    fn to_json(&self) -> Value;
}

impl MicroOp for Mop {
    fn show(&self) -> String {
        let v = self.value.map_or_else(|| "nil".to_owned(), |v| v.to_string());
        format!("[{} {} {v}]", if self.write { "w" } else { "r" }, self.key)
    }

    fn to_json(&self) -> Value {
        json!([if self.write { "w" } else { "r" }, self.key, self.value])
    }
}

/// An rw-register transaction.
pub type Txn = TxnOf<Mop>;

/// One transaction operation with micro-ops of type `M`.
#[derive(Debug, Clone, PartialEq)]
pub struct TxnOf<M> {
    /// History index of its completion (of its invocation if it never completed).
    pub index: usize,
    /// Jepsen process.
    pub process: u64,
    /// `ok`, `fail` or `info` (never completed counts as `info`).
    pub kind: Kind,
    /// Its micro-operations.
    pub mops: Vec<M>,
    /// When it was invoked.
    pub invoked: Duration,
}

impl TxnOf<Mop> {
    /// The first read of each key that comes before any write of it in this transaction.
    pub fn ext_reads(&self) -> Vec<(i64, Version)> {
        let mut seen: Vec<i64> = Vec::new();
        let mut out = Vec::new();
        for m in &self.mops {
            if !seen.contains(&m.key) {
                seen.push(m.key);
                if !m.write {
                    out.push((m.key, m.value));
                }
            }
        }
        out
    }

    /// The last write of each key.
    pub fn ext_writes(&self) -> Vec<(i64, i64)> {
        let mut out: Vec<(i64, i64)> = Vec::new();
        for m in self.mops.iter().filter(|m| m.write) {
            let Some(v) = m.value else { continue };
            match out.iter_mut().find(|(k, _)| *k == m.key) {
                Some(slot) => slot.1 = v,
                None => out.push((m.key, v)),
            }
        }
        out
    }
}

impl<M: MicroOp> Vertex for TxnOf<M> {
    fn index(&self) -> usize {
        self.index
    }

    fn process(&self) -> u64 {
        self.process
    }

    fn kind(&self) -> Kind {
        self.kind
    }

    fn invoked(&self) -> Duration {
        self.invoked
    }

    fn show(&self) -> String {
        let mops: Vec<String> = self.mops.iter().map(M::show).collect();
        format!("txn #{} (process {}, {}) {}", self.index, self.process, self.kind.name(), mops.join(" "))
    }

    fn to_json(&self) -> Value {
        let mops: Vec<Value> = self.mops.iter().map(M::to_json).collect();
        json!({"index": self.index, "process": self.process, "type": self.kind.name(), "value": mops})
    }
}

/// Why an `ok` reply's micro-ops do not answer the request's (Maelstrom issue #57): each must
/// keep its function and key in the same place, and every write (or append) its value.
pub fn reply_mismatch(invoked: &Value, returned: &Value) -> Option<String> {
    let (Some(asked), Some(got)) = (invoked.as_array(), returned.as_array()) else {
        return Some("the reply's txn is not an array".into());
    };
    if asked.len() != got.len() {
        return Some(format!("the request had {} micro-ops and the reply {}", asked.len(), got.len()));
    }
    asked.iter().zip(got).enumerate().find_map(|(i, (a, g))| {
        let (Some([af, ak, av]), Some([gf, gk, gv])) =
            (a.as_array().map(Vec::as_slice), g.as_array().map(Vec::as_slice))
        else {
            return Some(format!("micro-op {i} is not [f, k, v]"));
        };
        if af != gf || ak != gk {
            Some(format!("micro-op {i} was {a} in the request but {g} in the reply"))
        } else if af != "r" && av != gv {
            Some(format!("micro-op {i} wrote {av} in the request but {gv} in the reply"))
        } else {
            None
        }
    })
}

/// An `ok` reply that does not answer its request.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidReply {
    /// History index of the reply.
    pub index: usize,
    /// Jepsen process.
    pub process: u64,
    /// The request's micro-ops.
    pub invoked: Value,
    /// The reply's micro-ops.
    pub returned: Value,
    /// What differs.
    pub why: String,
}

impl InvalidReply {
    /// The case as JSON.
    pub fn to_json(&self) -> Value {
        json!({"index": self.index, "process": self.process, "request": self.invoked,
               "reply": self.returned, "why": self.why})
    }

    /// In plain words.
    pub fn explain(&self) -> String {
        format!(
            "invalid-reply: the ok reply at history index {} (process {}) does not answer its request: \
             {}; request {}, reply {}. It is judged as if it never completed",
            self.index, self.process, self.why, self.invoked, self.returned
        )
    }
}

/// One `txn` operation as the checkers judge it.
#[derive(Debug, Clone, Copy)]
struct TxnOp<'a> {
    /// Its outcome (`info` if it never completed or its reply was invalid).
    pub kind: Kind,
    /// The event whose micro-ops count: the `ok` completion, else the invocation.
    pub event: &'a Event,
    /// The invocation.
    pub invoke: &'a Event,
    /// History index of its completion (of its invocation if it never completed).
    pub index: usize,
}

/// The `txn` operations of a history, with the `ok` replies that did not answer their request
/// set apart: those transactions count as indeterminate (`info`) with the request's micro-ops.
fn txn_pairs(history: &History) -> (Vec<TxnOp<'_>>, Vec<InvalidReply>) {
    let mut ops = Vec::new();
    let mut invalid = Vec::new();
    for p in history.pairs() {
        if p.invoke.f != "txn" {
            continue;
        }
        let (kind, event) = match p.complete {
            Some(c) if c.kind == Kind::Ok => match reply_mismatch(&p.invoke.value, &c.value) {
                None => (Kind::Ok, c),
                Some(why) => {
                    invalid.push(InvalidReply {
                        index: c.index,
                        process: p.invoke.process,
                        invoked: p.invoke.value.clone(),
                        returned: c.value.clone(),
                        why,
                    });
                    (Kind::Info, p.invoke)
                }
            },
            Some(c) => (c.kind, p.invoke),
            None => (Kind::Info, p.invoke),
        };
        let index = p.complete.map_or(p.invoke.index, |c| c.index);
        ops.push(TxnOp { kind, event, invoke: p.invoke, index });
    }
    (ops, invalid)
}

/// Every `txn` operation of the history, in invocation order, its micro-ops read by `parse`,
/// and the invalid replies.
///
/// # Errors
/// A sentence naming the first operation whose micro-ops `parse` rejects.
pub fn transactions_of<M>(
    history: &History,
    parse: fn(&Value) -> Result<Vec<M>, String>,
) -> Parsed<TxnOf<M>> {
    let mut out = Vec::new();
    let (ops, invalid) = txn_pairs(history);
    for TxnOp { kind, event, invoke, index } in ops {
        let mops = parse(&event.value)
            .map_err(|why| format!("history event {}: {why}: {}", event.index, event.value))?;
        out.push(TxnOf { index, process: invoke.process, kind, mops, invoked: invoke.time });
    }
    Ok((out, invalid))
}

/// A history's transactions and invalid replies, or why they cannot be read.
pub type Parsed<T> = Result<(Vec<T>, Vec<InvalidReply>), String>;

/// The rw-register transactions and the invalid replies.
///
/// # Errors
/// A sentence naming the first operation whose micro-ops are not `[f, integer, integer|null]`
/// (Elle needs one integer type for keys and values).
pub fn transactions(history: &History) -> Parsed<Txn> {
    transactions_of(history, parse_mops)
}

/// The micro-ops of a transaction value: an array of `[f, k, v]` with an integer key, each read
/// by `mop` from its function, key and value (and the whole micro-op, for messages).
///
/// # Errors
/// A sentence naming the first micro-op that is not `[f, integer, v]` or that `mop` rejects.
pub fn mops_of<M>(
    v: &Value,
    mop: fn(&Value, i64, &Value, &Value) -> Result<M, String>,
) -> Result<Vec<M>, String> {
    let Some(list) = v.as_array() else { return Err("a transaction must be an array".into()) };
    list.iter()
        .map(|m| {
            let Some([f, k, v]) = m.as_array().map(Vec::as_slice) else {
                return Err(format!("micro-op {m} is not [f, k, v]"));
            };
            let Some(key) = k.as_i64() else { return Err(format!("micro-op {m} has a non-integer key")) };
            mop(f, key, v, m)
        })
        .collect()
}

fn parse_mops(v: &Value) -> Result<Vec<Mop>, String> {
    mops_of(v, |f, key, v, m| {
        let write = match f.as_str() {
            Some("w") => true,
            Some("r") => false,
            _ => return Err(format!("micro-op {m} has f other than \"r\" or \"w\"")),
        };
        let value = match v {
            Value::Null if !write => None,
            _ => Some(v.as_i64().ok_or_else(|| format!("micro-op {m} has a non-integer value"))?),
        };
        Ok(Mop { write, key, value })
    })
}
