//! The dependency graph over transactions, shared by both workloads: `ww`, `wr` and `rw`
//! edges that each workload's analysis links (rw-register in `versions`, list-append in
//! `append`), and, when a model needs them, `process` edges (one process's successive `ok`
//! transactions) or `realtime` order (a transaction completed before the other was invoked,
//! carried by time points). Each data edge remembers why it exists.

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

/// An edge as linked, before [`Graph::finish`] sorts them by source.
#[derive(Debug, Clone, Copy)]
struct Link {
    /// Source vertex.
    from: u32,
    /// The edge's entry.
    edge: Edge,
}

/// One kind of one edge, in a vertex's list of successors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Edge {
    /// Target vertex.
    to: u32,
    /// A single kind.
    kind: Kinds,
    /// Index of its reason in `Graph::whys` (`NONE` for process and real-time edges).
    why: u32,
}

/// No reason (or no time point).
const NONE: u32 = u32::MAX;

/// The graph: vertex `i < txns.len()` is `txns[i]`; the vertices after them are *time points*
/// that carry real-time order (see [`Graph::finish`]). Each edge kind between two vertices is one
/// entry of the source's successor list, so linking and finishing allocate per vertex, never per
/// edge.
#[derive(Debug)]
pub struct Graph<'a, T> {
    /// The transactions.
    pub txns: Vec<&'a T>,
    /// The edges as linked, until `finish`.
    links: Vec<Link>,
    /// Where each vertex's successors start in `edges` (one more entry than vertices).
    first: Vec<u32>,
    /// Every vertex's successors, sorted by target then kind.
    edges: Vec<Edge>,
    /// The reasons of the data edges.
    whys: Vec<Why>,
    /// Each transaction's time point after its `ok` completion (`NONE` if none).
    done_at: Vec<u32>,
    /// Each transaction's time point before its invocation (`NONE` if none).
    begun_after: Vec<u32>,
    /// The workload, for explanations.
    pub flavor: Flavor,
}

impl<'a, T: Vertex> Graph<'a, T> {
    /// Adds `kind` to the edge `a → b` with its reason (a self-edge is ignored).
    pub fn link(&mut self, a: u32, b: u32, kind: Kinds, why: Option<Why>) {
        if a == b {
            return;
        }
        let why = match why {
            Some(w) if slot(kind).is_some() => {
                self.whys.push(w);
                (self.whys.len() - 1) as u32
            }
            _ => NONE,
        };
        self.links.push(Link { from: a, edge: Edge { to: b, kind, why } });
    }

    /// All vertices: the transactions, then the time points.
    pub fn vertex_count(&self) -> usize {
        self.first.len().saturating_sub(1)
    }

    /// Whether `v` is a time point rather than a transaction.
    pub fn is_time_point(&self, v: u32) -> bool {
        v as usize >= self.txns.len()
    }

    /// The successors of `v` with the kind of each (a target appears once per kind).
    pub fn out(&self, v: u32) -> impl Iterator<Item = (u32, Kinds)> + '_ {
        let (from, to) = (self.first.get(v as usize), self.first.get(v as usize + 1));
        let range = from.zip(to).map_or(0..0, |(a, b)| *a as usize..*b as usize);
        self.edges.get(range).into_iter().flatten().map(|e| (e.to, e.kind))
    }

    /// Successors of `v` over edges with any of `mask`'s kinds.
    pub fn succ(&self, v: u32, mask: Kinds) -> impl Iterator<Item = u32> + '_ {
        self.out(v).filter(move |(_, k)| k & mask != 0).map(|(w, _)| w)
    }

    /// Why the edge `a → b` has data kind `kind`, if it does (the first reason linked).
    pub fn reason(&self, a: u32, b: u32, kind: Kinds) -> Option<Why> {
        let (from, to) = (self.first.get(a as usize)?, self.first.get(a as usize + 1)?);
        let e = self.edges.get(*from as usize..*to as usize)?.iter().find(|e| e.to == b && e.kind == kind)?;
        self.whys.get(e.why as usize).copied()
    }

    /// Whether no transaction precedes another: no edge ends at a transaction.
    pub fn is_empty(&self) -> bool {
        self.edges.iter().all(|e| self.is_time_point(e.to))
    }

    /// The kinds relating transaction `a` to transaction `b` (0 if none): its edges, and real
    /// time when `a` completed before `b` was invoked.
    pub fn kinds(&self, a: u32, b: u32) -> Kinds {
        let direct = self.out(a).filter(|(w, _)| *w == b).fold(0, |k, (_, kind)| k | kind);
        let (done, begun) = (self.done_at.get(a as usize), self.begun_after.get(b as usize));
        let realtime = matches!((done, begun), (Some(&d), Some(&g)) if d != NONE && g != NONE && d <= g);
        direct | if realtime { REALTIME } else { 0 }
    }

    /// An empty graph over `txns` (the vertices, in order).
    pub fn new(txns: Vec<&'a T>, flavor: Flavor) -> Self {
        Graph {
            txns,
            links: Vec::new(),
            first: Vec::new(),
            edges: Vec::new(),
            whys: Vec::new(),
            done_at: Vec::new(),
            begun_after: Vec::new(),
            flavor,
        }
    }

    /// Adds process or real-time edges as `order` says, then sorts every vertex's successors.
    pub fn finish(mut self, history: &History, order: Order) -> Self {
        let n = self.txns.len();
        self.done_at = vec![NONE; n];
        self.begun_after = vec![NONE; n];
        let vertices = match order {
            Order::None => n,
            Order::Process => {
                self.link_processes();
                n
            }
            Order::Realtime => n + self.link_realtime(history),
        };
        // Counting sort by source, which keeps the order of linking within each source.
        let mut first = vec![0u32; vertices + 1];
        for l in &self.links {
            if let Some(c) = first.get_mut(l.from as usize + 1) {
                *c += 1;
            }
        }
        let mut sum = 0;
        for c in &mut first {
            sum += *c;
            *c = sum;
        }
        let mut next = first.clone();
        let mut edges = vec![Edge { to: 0, kind: 0, why: NONE }; self.links.len()];
        for l in std::mem::take(&mut self.links) {
            if let Some(at) = next.get_mut(l.from as usize) {
                if let Some(slot) = edges.get_mut(*at as usize) {
                    *slot = l.edge;
                }
                *at += 1;
            }
        }
        // Sort each source's successors by target and kind (stably: the first reason linked
        // stays first) and drop repeats of a kind.
        let mut kept = Vec::with_capacity(edges.len());
        let mut starts = Vec::with_capacity(first.len());
        for w in first.windows(2) {
            starts.push(kept.len() as u32);
            let Some(list) = edges.get_mut(w[0] as usize..w[1] as usize) else { continue };
            list.sort_by_key(|e| (e.to, e.kind));
            let mut last = None;
            for e in list.iter() {
                if last != Some((e.to, e.kind)) {
                    kept.push(*e);
                    last = Some((e.to, e.kind));
                }
            }
        }
        starts.push(kept.len() as u32);
        self.first = starts;
        self.edges = kept;
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

    /// Real-time order through time points, in 3 edges per transaction rather than one per
    /// pair: time points form a chain in history order; an `ok` transaction links to the
    /// latest time point made after the last invocation (making one if there is none), and
    /// the time point latest at a transaction's invocation links to it. So `a` reaches `b`
    /// through time points exactly when `a` completed `ok` before `b` was invoked. (Elle links
    /// every completion to each invocation that follows it until a later completion does:
    /// about as many edges per transaction as transactions in flight.) Only an `ok` completion
    /// says the transaction took effect by then: an `info` one (a list-append vertex) may take
    /// effect later, so nothing is known to follow it. Returns the number of time points.
    fn link_realtime(&mut self, history: &History) -> usize {
        let n = self.txns.len() as u32;
        let vertex: FastMap<usize, u32> =
            self.txns.iter().enumerate().map(|(i, t)| (t.index(), i as u32)).collect();
        let mut points = 0u32;
        // The latest time point, and whether an invocation came after it.
        let mut latest: Option<u32> = None;
        let mut invoked_since = true;
        let mut begun: FastMap<u64, u32> = FastMap::default();
        for e in &history.events {
            if e.f != "txn" {
                continue;
            }
            if e.kind == Kind::Invoke {
                match latest {
                    Some(t) => {
                        begun.insert(e.process, t);
                        invoked_since = true;
                    }
                    None => {
                        begun.remove(&e.process);
                    }
                }
                continue;
            }
            let before = begun.remove(&e.process);
            let Some(&v) = vertex.get(&e.index) else { continue };
            if let Some(t) = before {
                self.link(t, v, REALTIME, None);
                if let Some(slot) = self.begun_after.get_mut(v as usize) {
                    *slot = t;
                }
            }
            if e.kind == Kind::Ok {
                let t = match latest {
                    Some(t) if !invoked_since => t,
                    _ => {
                        let t = n + points;
                        points += 1;
                        if let Some(prev) = latest {
                            self.link(prev, t, REALTIME, None);
                        }
                        latest = Some(t);
                        invoked_since = false;
                        t
                    }
                };
                self.link(v, t, REALTIME, None);
                if let Some(slot) = self.done_at.get_mut(v as usize) {
                    *slot = t;
                }
            }
        }
        points as usize
    }
}
