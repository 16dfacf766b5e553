//! The anomalies found without the dependency graph: `G1a` (an `ok` read of a value written by a
//! failed transaction), `G1b` (an `ok` read of another transaction's intermediate write),
//! `internal` (a read disagreeing with its own transaction's earlier write or read of the key)
//! and `lost-update` (two `ok` transactions read the same value of a key and both wrote it).

use super::graph::Vertex;
use super::hashing::FastMap;
use super::parse::{MicroOp, Txn, Version};
use crate::core::history::Kind;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// One instance of an anomaly: its JSON for the result map and a sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// As in Elle's result map.
    pub json: Value,
    /// In plain words.
    pub text: String,
}

/// Reads by `ok` transactions of values that `writes` maps to some other transaction.
fn reads_of(txns: &[Txn], writes: &FastMap<(i64, i64), usize>, what: &str, label: &str) -> Vec<Case> {
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
    let mut failed = FastMap::default();
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
    let mut intermediate = FastMap::default();
    for (i, t) in txns.iter().enumerate() {
        for (j, m) in t.mops.iter().enumerate().filter(|(_, m)| m.write) {
            let Some(v) = m.value else { continue };
            let later = t.mops.iter().skip(j + 1).any(|n| n.write && n.value.is_some() && n.key == m.key);
            if later {
                intermediate.insert((m.key, v), i);
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
        // Each key's last value (a transaction touches few keys: a list beats hashing).
        let mut state: Vec<(i64, Version)> = Vec::new();
        for m in &t.mops {
            let at = state.iter().position(|(k, _)| *k == m.key);
            if !m.write {
                let known = at.and_then(|i| state.get(i)).map(|(_, v)| *v);
                if let Some(expected) = known.filter(|e| *e != m.value) {
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
            match at.and_then(|i| state.get_mut(i)) {
                Some(slot) => slot.1 = m.value,
                None => state.push((m.key, m.value)),
            }
        }
    }
    out
}

/// `lost-update`: `ok` transactions that read the same value of a key and then wrote that key.
pub fn lost_update(txns: &[Txn]) -> Vec<Case> {
    let mut by_read: BTreeMap<(i64, Version), Vec<&Txn>> = BTreeMap::new();
    for t in txns.iter().filter(|t| t.kind == Kind::Ok) {
        let mut first_read: Vec<(i64, Version)> = Vec::new();
        let mut counted: Vec<i64> = Vec::new();
        for m in &t.mops {
            let read = first_read.iter().find(|(k, _)| *k == m.key).map(|(_, v)| v);
            if !m.write {
                if read.is_none() {
                    first_read.push((m.key, m.value));
                }
            } else if let Some(read) = read {
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
