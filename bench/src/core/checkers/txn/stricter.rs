//! A stricter version order, reported apart and never deciding the verdict. On top of the
//! two sources Maelstrom uses, it assumes each key is sequentially consistent: a process that
//! last saw version v1 of a key (its final write, else its first read) and next sees v2 (its
//! first read, else its first write) saw v1 before v2 in the key's one order. That adds `ww`
//! edges between blind writes, so more write cycles (`G0`) become visible. A node that is not
//! sequential per key may be flagged here while still valid under the chosen models.

use super::anomalies::Case;
use super::graph::{Order, WR, WW};
use super::hashing::FastMap;
use super::parse::{Txn, Version};
use super::search::search;
use super::versions::{cyclic_keys, graph, VersionOrder};
use crate::core::history::{History, Kind};
use serde_json::{json, Value};

/// The first and last version of each key a transaction touched.
fn touched(t: &Txn) -> Vec<(i64, Version, Version)> {
    let mut out: Vec<(i64, Version, Version)> = Vec::new();
    for m in &t.mops {
        match out.iter_mut().find(|(k, _, _)| *k == m.key) {
            Some(slot) if m.write => slot.2 = m.value,
            Some(_) => {}
            None => out.push((m.key, m.value, m.value)),
        }
    }
    out
}

/// `base` plus, per key, each process's successive versions.
fn with_process_order(txns: &[Txn], base: &VersionOrder) -> VersionOrder {
    let mut order = base.clone();
    let mut last: FastMap<(u64, i64), Version> = FastMap::default();
    for t in txns.iter().filter(|t| t.kind == Kind::Ok) {
        for (k, first, final_) in touched(t) {
            if let (Some(Some(prev)), Some(first)) = (last.get(&(t.process, k)), first) {
                order.link(k, Some(*prev), first);
            }
            last.insert((t.process, k), final_);
        }
    }
    order
}

/// What the stricter order reveals: `{"source", "G0": [...]}` or `{"source",
/// "cyclic-versions": [...]}`, with the count and a sentence per case, or `None` if nothing.
pub fn check(txns: &[Txn], base: &VersionOrder, history: &History, shown: usize) -> Option<Value> {
    let order = with_process_order(txns, base);
    let cyclic = cyclic_keys(&order);
    let (name, cases): (&str, Vec<Case>) = if cyclic.is_empty() {
        // A `G0` search steps over `ww` edges only, and names a step `wr` where the edge is
        // both: it needs no `rw` edge.
        let g = graph(txns, &order, history, Order::None, WW | WR);
        let cycles = search(&g, &["G0".to_owned()]);
        ("G0", cycles.iter().map(|c| Case { json: c.to_json(&g), text: c.explain(&g) }).collect())
    } else {
        let case = |c: &super::versions::CyclicVersions| Case {
            json: json!({"key": c.key, "scc": c.values, "sources": ["initial-state", "wfr-keys", "process"]}),
            text: format!(
                "cyclic-versions: with each process's order added, the versions of key {} run in a \
                 circle through {:?}",
                c.key, c.values
            ),
        };
        ("cyclic-versions", cyclic.iter().map(case).collect())
    };
    if cases.is_empty() {
        return None;
    }
    let listed: Vec<Value> = cases.iter().take(shown).map(|c| c.json.clone()).collect();
    let texts: Vec<&str> = cases.iter().take(shown).map(|c| c.text.as_str()).collect();
    Some(json!({
        "source": "each key sequential: every process sees a key's versions in order",
        "counts-toward-validity": false,
        "count": cases.len(),
        name: listed,
        "explanations": texts,
    }))
}
