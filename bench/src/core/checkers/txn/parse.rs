//! Transactions as the checker sees them: each `txn` operation of the history with its outcome
//! and micro-operations (the returned ones for `ok`, the invoked ones otherwise), plus the
//! external reads and writes Elle reasons about and a plain-English name for messages.

use crate::core::history::{History, Kind};
use serde_json::{json, Value};
use std::time::Duration;

/// A register version: `None` is the initial `null`.
pub type Version = Option<i64>;

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

impl Mop {
    /// `[r 1 3]`.
    pub fn show(&self) -> String {
        let v = self.value.map_or_else(|| "nil".to_owned(), |v| v.to_string());
        format!("[{} {} {v}]", if self.write { "w" } else { "r" }, self.key)
    }

    /// `["r", 1, 3]`.
    pub fn to_json(self) -> Value {
        json!([if self.write { "w" } else { "r" }, self.key, self.value])
    }
}

/// One transaction operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Txn {
    /// History index of its completion (of its invocation if it never completed).
    pub index: usize,
    /// Jepsen process.
    pub process: u64,
    /// `ok`, `fail` or `info` (never completed counts as `info`).
    pub kind: Kind,
    /// Its micro-operations.
    pub mops: Vec<Mop>,
    /// When it was invoked.
    pub invoked: Duration,
}

impl Txn {
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

    /// `txn #12 (process 3, ok) [r 1 3] [w 1 6]`.
    pub fn show(&self) -> String {
        let mops: Vec<String> = self.mops.iter().map(Mop::show).collect();
        format!("txn #{} (process {}, {}) {}", self.index, self.process, self.kind.name(), mops.join(" "))
    }

    /// The transaction as Jepsen would print the op.
    pub fn to_json(&self) -> Value {
        let mops: Vec<Value> = self.mops.iter().map(|m| m.to_json()).collect();
        json!({"index": self.index, "process": self.process, "type": self.kind.name(), "value": mops})
    }
}

/// Every `txn` operation of the history, in invocation order.
///
/// # Errors
/// A sentence naming the first operation whose micro-ops are not `[f, integer, integer|null]`
/// (Elle needs one integer type for keys and values).
pub fn transactions(history: &History) -> Result<Vec<Txn>, String> {
    let mut out = Vec::new();
    for p in history.pairs() {
        if p.invoke.f != "txn" {
            continue;
        }
        let (kind, event) = match p.complete {
            Some(c) if c.kind == Kind::Ok => (Kind::Ok, c),
            Some(c) => (c.kind, p.invoke),
            None => (Kind::Info, p.invoke),
        };
        let index = p.complete.map_or(p.invoke.index, |c| c.index);
        let mops = parse_mops(&event.value)
            .map_err(|why| format!("history event {}: {why}: {}", event.index, event.value))?;
        out.push(Txn { index, process: p.invoke.process, kind, mops, invoked: p.invoke.time });
    }
    Ok(out)
}

fn parse_mops(v: &Value) -> Result<Vec<Mop>, String> {
    let Some(list) = v.as_array() else { return Err("a transaction must be an array".into()) };
    list.iter()
        .map(|m| {
            let Some([f, k, v]) = m.as_array().map(Vec::as_slice) else {
                return Err(format!("micro-op {m} is not [f, k, v]"));
            };
            let write = match f.as_str() {
                Some("w") => true,
                Some("r") => false,
                _ => return Err(format!("micro-op {m} has f other than \"r\" or \"w\"")),
            };
            let Some(key) = k.as_i64() else { return Err(format!("micro-op {m} has a non-integer key")) };
            let value = match v {
                Value::Null if !write => None,
                _ => Some(v.as_i64().ok_or_else(|| format!("micro-op {m} has a non-integer value"))?),
            };
            Ok(Mop { write, key, value })
        })
        .collect()
}
