//! The inferred version order of each key (docs/protocol.md §7.6), from two sources only:
//! - *initial state*: `null` comes before every value written (by `ok` or `info` transactions)
//!   or read (by `ok` ones);
//! - *writes follow reads*: in one `ok` transaction, the first read of a key comes before that
//!   transaction's last write of it.
//!
//! As in Elle, if adding the second source makes some key's order cyclic, the cycle is reported
//! as `cyclic-versions` and that source is left out altogether. From the order, [`graph`] builds
//! the rw-register dependency graph.

use super::cycles::sccs;
use super::graph::{Flavor, Graph, Kinds, Order, Why, RW, WR, WW};
use super::hashing::FastMap;
use super::parse::{Txn, Version};
use crate::core::history::{History, Kind};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Per key, each version's direct successors.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct VersionOrder {
    /// key → version → versions known to come right after it.
    pub next: FastMap<i64, FastMap<Version, Vec<i64>>>,
}

impl VersionOrder {
    /// Records that `to` comes right after `from` (a self-edge is ignored).
    pub fn link(&mut self, key: i64, from: Version, to: i64) {
        if from == Some(to) {
            return;
        }
        let succ = self.next.entry(key).or_default().entry(from).or_default();
        if !succ.contains(&to) {
            succ.push(to);
        }
    }
}

/// A key whose inferred order is cyclic.
#[derive(Debug, Clone, PartialEq)]
pub struct CyclicVersions {
    /// The key.
    pub key: i64,
    /// The versions on the cycle.
    pub values: Vec<i64>,
}

impl CyclicVersions {
    /// The anomaly as JSON.
    pub fn to_json(&self) -> Value {
        json!({"key": self.key, "scc": self.values, "sources": ["initial-state", "wfr-keys"]})
    }

    /// In plain words.
    pub fn explain(&self) -> String {
        format!(
            "cyclic-versions: the version order inferred for key {} (first reads before later writes \
             within ok transactions) runs in a circle through the values {:?}",
            self.key, self.values
        )
    }
}

/// The version order, and any keys where writes-follow-reads made it cyclic.
pub fn infer(txns: &[Txn]) -> (VersionOrder, Vec<CyclicVersions>) {
    let mut initial = VersionOrder::default();
    for t in txns {
        if t.kind == Kind::Fail {
            continue;
        }
        for (k, v) in t.ext_writes() {
            initial.link(k, None, v);
        }
        if t.kind == Kind::Ok {
            for (k, v) in t.ext_reads() {
                if let Some(v) = v {
                    initial.link(k, None, v);
                }
            }
        }
    }
    let mut combined = initial.clone();
    for t in txns.iter().filter(|t| t.kind == Kind::Ok) {
        let writes = t.ext_writes();
        for (k, read) in t.ext_reads() {
            if let (Some(_), Some((_, w))) = (read, writes.iter().find(|(wk, _)| *wk == k)) {
                combined.link(k, read, *w);
            }
        }
    }
    let cycles = cyclic_keys(&combined);
    if cycles.is_empty() {
        (combined, cycles)
    } else {
        (initial, cycles)
    }
}

/// Keys whose order has a cycle, each with the versions of one strongly connected component.
pub fn cyclic_keys(order: &VersionOrder) -> Vec<CyclicVersions> {
    let mut out = Vec::new();
    let keys: BTreeMap<i64, &FastMap<Version, Vec<i64>>> = order.next.iter().map(|(k, g)| (*k, g)).collect();
    for (key, graph) in keys {
        // Only values can be on a cycle (nothing precedes `null`), so number the values densely.
        let mut ids: FastMap<i64, u32> = FastMap::default();
        let mut values: Vec<i64> = Vec::new();
        let mut id = |v: i64, values: &mut Vec<i64>| {
            *ids.entry(v).or_insert_with(|| {
                values.push(v);
                (values.len() - 1) as u32
            })
        };
        let mut edges: Vec<(u32, u32)> = Vec::new();
        for (from, tos) in graph {
            let Some(from) = from else { continue };
            let a = id(*from, &mut values);
            for to in tos {
                let b = id(*to, &mut values);
                edges.push((a, b));
            }
        }
        let mut adj: Vec<Vec<u32>> = vec![Vec::new(); values.len()];
        for (a, b) in edges {
            if let Some(out) = adj.get_mut(a as usize) {
                out.push(b);
            }
        }
        for scc in sccs(adj.len(), |n| adj.get(n as usize).into_iter().flatten().copied()) {
            let mut vs: Vec<i64> = scc.iter().filter_map(|n| values.get(*n as usize).copied()).collect();
            vs.sort_unstable();
            out.push(CyclicVersions { key, values: vs });
        }
    }
    out
}

/// The dependency graph over the `ok` transactions: `wr` from each writer of a value to its
/// readers, `ww` and `rw` from the version order (only the data kinds in `kinds`); then process
/// or real-time edges per `order`.
pub fn graph<'a>(
    txns: &'a [Txn],
    versions: &VersionOrder,
    history: &History,
    order: Order,
    kinds: Kinds,
) -> Graph<'a, Txn> {
    let mut g = Graph::new(txns.iter().filter(|t| t.kind == Kind::Ok).collect(), Flavor::Register);
    let mut writers: FastMap<(i64, i64), Vec<u32>> = FastMap::default();
    let mut readers: FastMap<(i64, Version), Vec<u32>> = FastMap::default();
    for (i, t) in g.txns.iter().enumerate() {
        for (k, v) in t.ext_writes() {
            writers.entry((k, v)).or_default().push(i as u32);
        }
        for (k, v) in t.ext_reads() {
            readers.entry((k, v)).or_default().push(i as u32);
        }
    }
    let none = Vec::new();
    for (&(k, v), rs) in readers.iter().filter(|_| kinds & WR != 0) {
        let Some(v) = v else { continue };
        for &w in writers.get(&(k, v)).unwrap_or(&none) {
            for &r in rs {
                g.link(w, r, WR, Some(Why { key: k, from: Some(v), to: Some(v) }));
            }
        }
    }
    for (&k, next) in &versions.next {
        for (&v1, v2s) in next {
            for &v2 in v2s {
                let later = writers.get(&(k, v2)).unwrap_or(&none);
                let why = Some(Why { key: k, from: v1, to: Some(v2) });
                if let (Some(v1), true) = (v1, kinds & WW != 0) {
                    for &a in writers.get(&(k, v1)).unwrap_or(&none) {
                        for &b in later {
                            g.link(a, b, WW, why);
                        }
                    }
                }
                for &a in readers.get(&(k, v1)).filter(|_| kinds & RW != 0).unwrap_or(&none) {
                    for &b in later {
                        g.link(a, b, RW, why);
                    }
                }
            }
        }
    }
    g.finish(history, order)
}
