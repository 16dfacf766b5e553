//! The version order of each key, recovered from the lists read (docs/protocol.md §7.10): every
//! distinct list read of a key by an `ok` or `info` transaction, sorted by length, must be a
//! prefix of the next (else `incompatible-order`); the longest is the key's order of appends. A
//! key never read but appended once has that one element. A read holding an element twice is
//! `duplicate-elements`.

use super::super::anomalies::Case;
use super::super::hashing::{FastMap, FastSet};
use super::super::parse::MicroOp;
use super::parse::{Mop, Txn};
use crate::core::history::Kind;
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Each key's order of appends, and each element's position in it.
#[derive(Debug, Default)]
pub struct Orders {
    /// key → elements in the order they were appended.
    pub order: HashMap<i64, Vec<i64>>,
    /// (key, element) → its position in the key's order.
    pub position: FastMap<(i64, i64), usize>,
}

impl Orders {
    /// The element appended right before `v` to `key`; for an element never read, the last
    /// element known (it came after all of them). `None` is the empty initial list.
    pub fn previous(&self, key: i64, v: i64) -> Option<i64> {
        match self.position.get(&(key, v)) {
            Some(0) => None,
            Some(i) => self.order.get(&key).and_then(|o| o.get(i - 1)).copied(),
            None => self.order.get(&key).and_then(|o| o.last()).copied(),
        }
    }
}

/// The transactions whose state may have taken effect.
fn possible(t: &&Txn) -> bool {
    t.kind == Kind::Ok || t.kind == Kind::Info
}

/// The orders, with the `incompatible-order` and `duplicate-elements` cases.
pub fn infer(txns: &[Txn]) -> (Orders, Vec<Case>, Vec<Case>) {
    let mut reads: BTreeMap<i64, FastSet<&[i64]>> = BTreeMap::new();
    let mut duplicates = Vec::new();
    let mut appends: HashMap<i64, Option<i64>> = HashMap::new();
    for t in txns.iter().filter(possible) {
        for m in &t.mops {
            match m {
                Mop::Read(k, Some(v)) if !v.is_empty() => {
                    reads.entry(*k).or_default().insert(v);
                    if let Some(case) = duplicate(t, m, v) {
                        duplicates.push(case);
                    }
                }
                Mop::Append(k, v) => {
                    appends.entry(*k).and_modify(|e| *e = None).or_insert(Some(*v));
                }
                Mop::Read(..) => {}
            }
        }
    }
    let mut orders = Orders::default();
    let mut incompatible = Vec::new();
    for (k, values) in reads {
        let mut sorted: Vec<&[i64]> = values.into_iter().collect();
        sorted.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
        if let Some(pair) = sorted.windows(2).find(|w| !w[1].starts_with(w[0])) {
            incompatible.push(Case {
                json: json!({"key": k, "values": [pair[0], pair[1]]}),
                text: format!(
                    "incompatible-order: key {k} was read as {:?} and as {:?}; neither is a prefix of the \
                     other, so no single order of appends explains both",
                    pair[0], pair[1]
                ),
            });
        }
        let mut seen = HashSet::new();
        let longest: Vec<i64> = sorted
            .last()
            .map(|l| l.iter().copied().filter(|v| seen.insert(*v)).collect())
            .unwrap_or_default();
        orders.order.insert(k, longest);
    }
    for (k, single) in appends {
        if let (Some(v), false) = (single, orders.order.contains_key(&k)) {
            orders.order.insert(k, vec![v]);
        }
    }
    for (k, o) in &orders.order {
        for (i, v) in o.iter().enumerate() {
            orders.position.insert((*k, *v), i);
        }
    }
    (orders, incompatible, duplicates)
}

/// A read that holds an element more than once.
fn duplicate(t: &Txn, m: &Mop, v: &[i64]) -> Option<Case> {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for e in v {
        *counts.entry(*e).or_default() += 1;
    }
    counts.retain(|_, n| *n > 1);
    if counts.is_empty() {
        return None;
    }
    let listed: Vec<String> = counts.iter().map(|(e, n)| format!("{e} ({n} times)")).collect();
    Some(Case {
        json: json!({"op": super::super::graph::Vertex::to_json(t), "mop": m.to_json(),
                     "duplicates": counts.iter().map(|(e, n)| json!([e, n])).collect::<Vec<_>>()}),
        text: format!(
            "duplicate-elements: {} read key {} holding {}; every element is appended once",
            super::super::graph::Vertex::show(t),
            m.key(),
            listed.join(", ")
        ),
    })
}
