//! The dependency graph over transactions, shared by both workloads: `ww`, `wr` and `rw`
//! edges that each workload's analysis links (rw-register in `versions`, list-append in
//! `append`), and, when a model needs them, `process` edges (one process's successive `ok`
//! transactions) or `realtime` edges (a transaction completed before the other was invoked;
//! kept transitively reduced). Each edge remembers why it exists.

use super::hashing::FastMap;
use crate::core::history::{History, Kind};
use serde_json::Value;
use std::time::Duration;

/// A version in an edge's reason: a register value or an appended element; `None` is the
/// initial (empty) state.
pub type Version = Option<i64>;

/// What the graph and its explanations need of a transaction.
pub trait Vertex {
    /// History index of its completion.
    fn index(&self) -> usize;
    /// Its Jepsen process.
    fn process(&self) -> u64;
    /// Its outcome.
    fn kind(&self) -> Kind;
    /// When it was invoked.
    fn invoked(&self) -> Duration;
    /// `txn #12 (process 3, ok) [r 1 3] [w 1 6]`.
    fn show(&self) -> String;
    /// The transaction as Jepsen would print the op.
    fn to_json(&self) -> Value;
}

/// Which workload's graph this is: it decides how a step is explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Read/write registers.
    Register,
    /// Append-only lists.
    ListAppend,
}

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

/// The slot of a data kind's reason.
fn slot(kind: Kinds) -> Option<u8> {
    match kind {
        WW => Some(0),
        WR => Some(1),
        RW => Some(2),
        _ => None,
    }
}

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

/// The graph: vertex `i` is `txns[i]`.
#[derive(Debug)]
pub struct Graph<'a, T> {
    /// The transactions.
    pub txns: Vec<&'a T>,
    /// Successors of each vertex with the kinds of the edge.
    pub out: Vec<Vec<(u32, Kinds)>>,
    /// The kinds of each edge.
    pub edges: FastMap<(u32, u32), Kinds>,
    /// One reason per data edge and kind (`ww`, `wr`, `rw` as 0, 1, 2).
    reasons: FastMap<(u32, u32, u8), Why>,
    /// The workload, for explanations.
    pub flavor: Flavor,
}

impl<'a, T: Vertex> Graph<'a, T> {
    /// Adds `kind` to the edge `a → b` with its reason (a self-edge is ignored).
    pub fn link(&mut self, a: u32, b: u32, kind: Kinds, why: Option<Why>) {
        if a == b {
            return;
        }
        *self.edges.entry((a, b)).or_default() |= kind;
        if let (Some(slot), Some(why)) = (slot(kind), why) {
            self.reasons.entry((a, b, slot)).or_insert(why);
        }
    }

    /// Why the edge `a → b` has data kind `kind`, if it does.
    pub fn reason(&self, a: u32, b: u32, kind: Kinds) -> Option<Why> {
        self.reasons.get(&(a, b, slot(kind)?)).copied()
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
        self.edges.get(&(a, b)).copied().unwrap_or(0)
    }

    /// An empty graph over `txns` (the vertices, in order).
    pub fn new(txns: Vec<&'a T>, flavor: Flavor) -> Self {
        Graph { txns, out: Vec::new(), edges: FastMap::default(), reasons: FastMap::default(), flavor }
    }

    /// Adds process or real-time edges as `order` says, then indexes each vertex's successors.
    pub fn finish(mut self, history: &History, order: Order) -> Self {
        match order {
            Order::None => {}
            Order::Process => self.link_processes(),
            Order::Realtime => self.link_realtime(history),
        }
        self.out = vec![Vec::new(); self.txns.len()];
        for (&(a, b), &kinds) in &self.edges {
            if let Some(out) = self.out.get_mut(a as usize) {
                out.push((b, kinds));
            }
        }
        for out in &mut self.out {
            out.sort_unstable();
        }
        self
    }

    /// The kind a step over an edge of `kinds` counts as, in this workload's precedence: Elle
    /// explains a pair by its first analyser that relates them (rw-register: `wr`, `ww`, `rw`;
    /// list-append: `ww`, `wr`, `rw`), then by process or real-time order.
    pub fn preferred(&self, kinds: Kinds) -> Kinds {
        let data = match self.flavor {
            Flavor::Register => [WR, WW, RW],
            Flavor::ListAppend => [WW, WR, RW],
        };
        data.into_iter().chain([PROCESS, REALTIME]).find(|k| kinds & k != 0).unwrap_or(WW)
    }

    fn link_processes(&mut self) {
        let mut last: FastMap<u64, u32> = FastMap::default();
        let mut order: Vec<u32> = (0..self.txns.len() as u32).collect();
        order.sort_by_key(|i| self.txns.get(*i as usize).map(|t| t.invoked()));
        for i in order {
            let Some(p) = self.txns.get(i as usize).filter(|t| t.kind() == Kind::Ok).map(|t| t.process())
            else {
                continue;
            };
            if let Some(prev) = last.insert(p, i) {
                self.link(prev, i, PROCESS, None);
            }
        }
    }

    /// Real-time edges, transitively reduced: each transaction's predecessors are the
    /// completed transactions not already followed by another completed before it began.
    fn link_realtime(&mut self, history: &History) {
        let vertex: FastMap<usize, u32> =
            self.txns.iter().enumerate().map(|(i, t)| (t.index(), i as u32)).collect();
        let mut frontier: Vec<u32> = Vec::new();
        let mut preds: FastMap<u64, Vec<u32>> = FastMap::default();
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
            // Only an `ok` completion says the transaction took effect by then: an `info` one
            // (a list-append vertex) may take effect later, so nothing is known to follow it.
            if e.kind == Kind::Ok {
                frontier.retain(|p| !before.contains(p));
                frontier.push(v);
            }
        }
    }
}
