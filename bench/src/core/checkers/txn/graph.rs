//! The dependency graph over `ok` transactions: `wr` edges (writer → reader of a value), `ww`
//! and `rw` edges from the inferred version order, and, when a model needs them, `process`
//! edges (one process's successive transactions) or `realtime` edges (a transaction completed
//! before the other was invoked; kept transitively reduced). Each edge remembers why it exists.

use super::parse::{Txn, Version};
use super::versions::VersionOrder;
use crate::core::history::{History, Kind};
use std::collections::HashMap;

/// Edge kinds, as bits.
pub type Kinds = u8;
/// Write → write of a later version.
pub const WW: Kinds = 1;
/// Write → read of that value.
pub const WR: Kinds = 2;
/// Read → write of a later version (anti-dependency).
pub const RW: Kinds = 4;
/// One process's transaction → its next one.
pub const PROCESS: Kinds = 8;
/// Completed → invoked later.
pub const REALTIME: Kinds = 16;

/// The name of a single kind.
pub fn kind_name(k: Kinds) -> &'static str {
    match k {
        WW => "ww",
        WR => "wr",
        RW => "rw",
        PROCESS => "process",
        _ => "realtime",
    }
}

/// Which extra order a model needs in the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Order {
    /// Data dependencies only.
    None,
    /// Plus each process's order.
    Process,
    /// Plus real-time order (which contains each process's order).
    Realtime,
}

/// Why a data edge exists: the key and the two versions involved (for `wr`, the value twice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Why {
    /// The key.
    pub key: i64,
    /// The version the source transaction wrote or read.
    pub from: Version,
    /// The version the target transaction wrote or read.
    pub to: Version,
}

/// An edge's kinds and, per data kind, one reason.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Edge {
    /// Bits of [`WW`], [`WR`], ….
    pub kinds: Kinds,
    /// Reasons for `ww`, `wr`, `rw`, in that order.
    pub why: [Option<Why>; 3],
}

/// The graph: vertex `i` is `txns[i]`, the `ok` transactions.
#[derive(Debug, Default)]
pub struct Graph<'a> {
    /// The `ok` transactions.
    pub txns: Vec<&'a Txn>,
    /// Successors of each vertex with the kinds of the edge.
    pub out: Vec<Vec<(u32, Kinds)>>,
    /// Edge details.
    pub edges: HashMap<(u32, u32), Edge>,
}

impl<'a> Graph<'a> {
    fn link(&mut self, a: u32, b: u32, kind: Kinds, why: Option<Why>) {
        if a == b {
            return;
        }
        let e = self.edges.entry((a, b)).or_default();
        let slot = match kind {
            WW => e.why.get_mut(0),
            WR => e.why.get_mut(1),
            RW => e.why.get_mut(2),
            _ => None,
        };
        if let Some(slot) = slot {
            slot.get_or_insert_with(|| why.unwrap_or(Why { key: 0, from: None, to: None }));
        }
        e.kinds |= kind;
    }

    /// Total number of edges.
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// Successors of `v` over edges with any of `mask`'s kinds.
    pub fn succ(&self, v: u32, mask: Kinds) -> impl Iterator<Item = u32> + '_ {
        self.out.get(v as usize).into_iter().flatten().filter(move |(_, k)| k & mask != 0).map(|(w, _)| *w)
    }

    /// The kinds of the edge `a → b` (0 if none).
    pub fn kinds(&self, a: u32, b: u32) -> Kinds {
        self.edges.get(&(a, b)).map_or(0, |e| e.kinds)
    }

    /// Builds the graph from the transactions, the version order and, for process/real-time
    /// edges, the history.
    pub fn build(txns: &'a [Txn], versions: &VersionOrder, history: &History, order: Order) -> Graph<'a> {
        let mut g = Graph { txns: txns.iter().filter(|t| t.kind == Kind::Ok).collect(), ..Graph::default() };
        let mut writers: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
        let mut readers: HashMap<(i64, Version), Vec<u32>> = HashMap::new();
        for (i, t) in g.txns.iter().enumerate() {
            for (k, v) in t.ext_writes() {
                writers.entry((k, v)).or_default().push(i as u32);
            }
            for (k, v) in t.ext_reads() {
                readers.entry((k, v)).or_default().push(i as u32);
            }
        }
        let none = Vec::new();
        for (&(k, v), rs) in &readers {
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
                    if let Some(v1) = v1 {
                        for &a in writers.get(&(k, v1)).unwrap_or(&none) {
                            for &b in later {
                                g.link(a, b, WW, why);
                            }
                        }
                    }
                    for &a in readers.get(&(k, v1)).unwrap_or(&none) {
                        for &b in later {
                            g.link(a, b, RW, why);
                        }
                    }
                }
            }
        }
        match order {
            Order::None => {}
            Order::Process => g.link_processes(),
            Order::Realtime => g.link_realtime(history),
        }
        g.out = vec![Vec::new(); g.txns.len()];
        for (&(a, b), e) in &g.edges {
            if let Some(out) = g.out.get_mut(a as usize) {
                out.push((b, e.kinds));
            }
        }
        for out in &mut g.out {
            out.sort_unstable();
        }
        g
    }

    fn link_processes(&mut self) {
        let mut last: HashMap<u64, u32> = HashMap::new();
        let mut order: Vec<u32> = (0..self.txns.len() as u32).collect();
        order.sort_by_key(|i| self.txns.get(*i as usize).map(|t| t.invoked));
        for i in order {
            let Some(p) = self.txns.get(i as usize).map(|t| t.process) else { continue };
            if let Some(prev) = last.insert(p, i) {
                self.link(prev, i, PROCESS, None);
            }
        }
    }

    /// Real-time edges, transitively reduced: each transaction's predecessors are the
    /// completed transactions not already followed by another completed before it began.
    fn link_realtime(&mut self, history: &History) {
        let vertex: HashMap<usize, u32> =
            self.txns.iter().enumerate().map(|(i, t)| (t.index, i as u32)).collect();
        let mut frontier: Vec<u32> = Vec::new();
        let mut preds: HashMap<u64, Vec<u32>> = HashMap::new();
        for e in &history.events {
            if e.f != "txn" {
                continue;
            }
            if e.kind == Kind::Invoke {
                preds.insert(e.process, frontier.clone());
                continue;
            }
            let before = preds.remove(&e.process).unwrap_or_default();
            let Some(&v) = vertex.get(&e.index) else { continue };
            for &p in &before {
                self.link(p, v, REALTIME, None);
            }
            frontier.retain(|p| !before.contains(p));
            frontier.push(v);
        }
    }
}
