//! List-append transactions as the checker sees them: each `txn` operation with its outcome
//! and micro-ops (`["r", k, [..]]`, `["append", k, v]`; the returned ones for `ok`, the
//! invoked ones otherwise). Keys and elements must be integers, as the generator makes them.

use super::super::hashing::FastSet;
use super::super::parse::{mops_of, transactions_of, MicroOp, Parsed, TxnOf};
use crate::core::history::History;
use serde_json::{json, Value};

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
}

impl MicroOp for Mop {
    fn show(&self) -> String {
        match self {
            Mop::Read(k, None) => format!("[r {k} nil]"),
            Mop::Read(k, Some(v)) => {
                let items: Vec<String> = v.iter().map(i64::to_string).collect();
                format!("[r {k} [{}]]", items.join(" "))
            }
            Mop::Append(k, v) => format!("[append {k} {v}]"),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Mop::Read(k, v) => json!(["r", k, v]),
            Mop::Append(k, v) => json!(["append", k, v]),
        }
    }
}

/// A list-append transaction.
pub type Txn = TxnOf<Mop>;

/// Every `txn` operation of the history, in invocation order, and the invalid replies.
///
/// # Errors
/// A sentence naming the first operation whose micro-ops are not reads of integer lists or
/// appends of integers, or an element appended twice to one key (Elle then cannot tell the
/// order of appends; its verdict is unknown too).
pub fn transactions(history: &History) -> Parsed<Txn> {
    let (txns, invalid) = transactions_of(history, parse_mops)?;
    // Every transaction's appends are its request's (a reply that changed one is invalid).
    let mut appended = FastSet::default();
    for t in &txns {
        for m in &t.mops {
            if let Mop::Append(k, v) = m {
                if !appended.insert((*k, *v)) {
                    return Err(format!(
                        "value {v} is appended to key {k} more than once (history event {})",
                        t.index
                    ));
                }
            }
        }
    }
    Ok((txns, invalid))
}

fn parse_mops(v: &Value) -> Result<Vec<Mop>, String> {
    mops_of(v, |f, key, v, m| match (f.as_str(), v) {
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
    })
}
