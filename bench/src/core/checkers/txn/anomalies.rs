//! The anomalies found without the dependency graph: `G1a` (an `ok` read of a value written by a
//! failed transaction), `G1b` (an `ok` read of another transaction's intermediate write),
//! `internal` (a read disagreeing with its own transaction's earlier write or read of the key)
//! and `lost-update` (two `ok` transactions read the same value of a key and both wrote it).

use super::graph::Vertex;
use super::parse::{MicroOp, Txn, Version};
use crate::core::history::Kind;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// One instance of an anomaly: its JSON for the result map and a sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// As in Elle's result map.
    pub json: Value,
    /// In plain words.
    pub text: String,
}

/// Reads by `ok` transactions of values that `writes` maps to some other transaction.
fn reads_of(txns: &[Txn], writes: &HashMap<(i64, i64), usize>, what: &str, label: &str) -> Vec<Case> {
    let mut out = Vec::new();
    for t in txns.iter().filter(|t| t.kind == Kind::Ok) {
        let mut reported: Vec<(i64, i64)> = Vec::new();
        for m in t.mops.iter().filter(|m| !m.write) {
            let Some(v) = m.value else { continue };
            if reported.contains(&(m.key, v)) {
                continue;
            }
            let Some(w) = writes.get(&(m.key, v)).and_then(|i| txns.get(*i)) else { continue };
            if w.index == t.index {
                continue;
            }
            reported.push((m.key, v));
            out.push(Case {
                json: json!({"op": t.to_json(), "mop": m.to_json(), "writer": w.to_json()}),
                text: format!("{label}: {} read key {} = {v}, {what} {}", t.show(), m.key, w.show()),
            });
        }
    }
    out
}

/// `G1a`: reads of values written by transactions that failed (a definite error).
pub fn g1a(txns: &[Txn]) -> Vec<Case> {
    let mut failed = HashMap::new();
    for (i, t) in txns.iter().enumerate().filter(|(_, t)| t.kind == Kind::Fail) {
        for m in t.mops.iter().filter(|m| m.write) {
            if let Some(v) = m.value {
                failed.insert((m.key, v), i);
            }
        }
    }
    reads_of(txns, &failed, "a value written by the failed (aborted)", "G1a (aborted read)")
}

/// `G1b`: reads of a value that its writer overwrote later in the same transaction.
pub fn g1b(txns: &[Txn]) -> Vec<Case> {
    let mut intermediate = HashMap::new();
    for (i, t) in txns.iter().enumerate() {
        let mut last: HashMap<i64, i64> = HashMap::new();
        for m in t.mops.iter().filter(|m| m.write) {
            let Some(v) = m.value else { continue };
            if let Some(prev) = last.insert(m.key, v) {
                intermediate.insert((m.key, prev), i);
            }
        }
    }
    reads_of(
        txns,
        &intermediate,
        "a value overwritten later within the transaction that wrote it,",
        "G1b (intermediate read)",
    )
}

/// `internal`: within an `ok` transaction, a read that disagrees with the transaction's own
/// earlier write or read of that key.
pub fn internal(txns: &[Txn]) -> Vec<Case> {
    let mut out = Vec::new();
    for t in txns.iter().filter(|t| t.kind == Kind::Ok) {
        let mut state: HashMap<i64, Version> = HashMap::new();
        for m in &t.mops {
            if !m.write {
                if let Some(expected) = state.get(&m.key).copied().filter(|e| *e != m.value) {
                    let show = |v: Version| v.map_or_else(|| "nil".to_owned(), |v| v.to_string());
                    out.push(Case {
                        json: json!({"op": t.to_json(), "mop": m.to_json(), "expected": expected}),
                        text: format!(
                            "internal: {} read key {} = {}, but its own earlier micro-ops left it {}",
                            t.show(),
                            m.key,
                            show(m.value),
                            show(expected)
                        ),
                    });
                    break;
                }
            }
            state.insert(m.key, m.value);
        }
    }
    out
}

/// `lost-update`: `ok` transactions that read the same value of a key and then wrote that key.
pub fn lost_update(txns: &[Txn]) -> Vec<Case> {
    let mut by_read: BTreeMap<(i64, Version), Vec<&Txn>> = BTreeMap::new();
    for t in txns.iter().filter(|t| t.kind == Kind::Ok) {
        let mut first_read: HashMap<i64, Version> = HashMap::new();
        let mut counted: Vec<i64> = Vec::new();
        for m in &t.mops {
            if !m.write {
                first_read.entry(m.key).or_insert(m.value);
            } else if let Some(read) = first_read.get(&m.key) {
                if !counted.contains(&m.key) {
                    counted.push(m.key);
                    by_read.entry((m.key, *read)).or_default().push(t);
                }
            }
        }
    }
    by_read
        .into_iter()
        .filter(|(_, ts)| ts.len() > 1)
        .map(|((key, value), ts)| {
            let names: Vec<String> = ts.iter().map(|t| t.show()).collect();
            let txns: Vec<Value> = ts.iter().map(|t| t.to_json()).collect();
            let shown = value.map_or_else(|| "nil".to_owned(), |v| v.to_string());
            Case {
                json: json!({"key": key, "value": value, "txns": txns}),
                text: format!(
                    "lost-update: {} transactions read key {key} = {shown} and then wrote it: {}",
                    ts.len(),
                    names.join("; ")
                ),
            }
        })
        .collect()
}
