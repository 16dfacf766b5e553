//! List-append transactions as the checker sees them: each `txn` operation with its outcome
//! and micro-ops (`["r", k, [..]]`, `["append", k, v]`; the returned ones for `ok`, the
//! invoked ones otherwise). Keys and elements must be integers, as the generator makes them.

use super::super::graph::Vertex;
use super::super::parse::{txn_pairs, InvalidReply, TxnOp};
use crate::core::history::{History, Kind};
use serde_json::{json, Value};
use std::time::Duration;

/// One micro-operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mop {
    /// A read of a key: the list seen (`None` if not yet done, or the key was missing).
    Read(i64, Option<Vec<i64>>),
    /// An append of an element to a key.
    Append(i64, i64),
}

impl Mop {
    /// The key.
    pub fn key(&self) -> i64 {
        match self {
            Mop::Read(k, _) | Mop::Append(k, _) => *k,
        }
    }

    /// `[r 1 [3 4]]`, `[append 1 5]`.
    pub fn show(&self) -> String {
        match self {
            Mop::Read(k, None) => format!("[r {k} nil]"),
            Mop::Read(k, Some(v)) => {
                let items: Vec<String> = v.iter().map(i64::to_string).collect();
                format!("[r {k} [{}]]", items.join(" "))
            }
            Mop::Append(k, v) => format!("[append {k} {v}]"),
        }
    }

    /// `["r", 1, [3, 4]]`.
    pub fn to_json(&self) -> Value {
        match self {
            Mop::Read(k, v) => json!(["r", k, v]),
            Mop::Append(k, v) => json!(["append", k, v]),
        }
    }
}

/// One transaction operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Txn {
    /// History index of its completion (of its invocation if it never completed).
    pub index: usize,
    /// Jepsen process.
    pub process: u64,
    /// `ok`, `fail` or `info`.
    pub kind: Kind,
    /// Its micro-operations.
    pub mops: Vec<Mop>,
    /// When it was invoked.
    pub invoked: Duration,
}

impl Vertex for Txn {
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
        let mops: Vec<String> = self.mops.iter().map(Mop::show).collect();
        format!("txn #{} (process {}, {}) {}", self.index, self.process, self.kind.name(), mops.join(" "))
    }

    fn to_json(&self) -> Value {
        let mops: Vec<Value> = self.mops.iter().map(Mop::to_json).collect();
        json!({"index": self.index, "process": self.process, "type": self.kind.name(), "value": mops})
    }
}

/// Every `txn` operation of the history, in invocation order, and the invalid replies.
///
/// # Errors
/// A sentence naming the first operation whose micro-ops are not reads of integer lists or
/// appends of integers, or an element appended twice to one key (Elle then cannot tell the
/// order of appends; its verdict is unknown too).
pub fn transactions(history: &History) -> Result<(Vec<Txn>, Vec<InvalidReply>), String> {
    let (ops, invalid) = txn_pairs(history);
    let mut out = Vec::with_capacity(ops.len());
    let mut appended = std::collections::HashSet::new();
    for TxnOp { kind, event, invoke, index } in ops {
        let mops = parse_mops(&event.value)
            .map_err(|why| format!("history event {}: {why}: {}", event.index, event.value))?;
        for m in parse_mops(&invoke.value).unwrap_or_default() {
            if let Mop::Append(k, v) = m {
                if !appended.insert((k, v)) {
                    return Err(format!(
                        "value {v} is appended to key {k} more than once (history event {})",
                        invoke.index
                    ));
                }
            }
        }
        out.push(Txn { index, process: invoke.process, kind, mops, invoked: invoke.time });
    }
    Ok((out, invalid))
}

fn parse_mops(v: &Value) -> Result<Vec<Mop>, String> {
    let Some(list) = v.as_array() else { return Err("a transaction must be an array".into()) };
    list.iter()
        .map(|m| {
            let Some([f, k, v]) = m.as_array().map(Vec::as_slice) else {
                return Err(format!("micro-op {m} is not [f, k, v]"));
            };
            let Some(key) = k.as_i64() else { return Err(format!("micro-op {m} has a non-integer key")) };
            match (f.as_str(), v) {
                (Some("r"), Value::Null) => Ok(Mop::Read(key, None)),
                (Some("r"), Value::Array(items)) => {
                    let list: Option<Vec<i64>> = items.iter().map(Value::as_i64).collect();
                    list.map(|l| Mop::Read(key, Some(l)))
                        .ok_or_else(|| format!("micro-op {m} read a non-integer element"))
                }
                (Some("append"), v) => v
                    .as_i64()
                    .map(|v| Mop::Append(key, v))
                    .ok_or_else(|| format!("micro-op {m} appends a non-integer")),
                _ => Err(format!("micro-op {m} is neither [\"r\", k, list] nor [\"append\", k, integer]")),
            }
        })
        .collect()
}
