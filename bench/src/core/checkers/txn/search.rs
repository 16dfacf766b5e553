//! Cycle anomalies. The graph is projected onto growing sets of edge kinds — `ww`; `ww wr`;
//! `ww wr rw`; then the same three plus process or real-time order when the model needs it. In
//! each projection, every strongly connected component that holds an edge of the newly added
//! kind holds a cycle through such an edge. Breadth-first search from up to
//! `TRIES_PER_COMPONENT` (16) such edges gives the shortest of those cycles, which is classified by
//! its edges: one `rw` is `G-single`, several `G2-item`, else any `wr` is `G1c`, else `G0`; a
//! `-realtime` or `-process` suffix when such an edge closes it. For `rw` a cycle returning
//! without another `rw` is tried first; if none of the tried edges has one the cycle is named
//! `G2-item`, which every model here prohibits exactly when it prohibits `G-single`.

use super::cycles::{sccs, shortest_path};
use super::graph::{kind_name, Graph, Kinds, Order, Why, PROCESS, REALTIME, RW, WR, WW};
use serde_json::{json, Value};

/// How many transactions and steps of a cycle its sentence shows.
const EXPLAINED_STEPS: usize = 8;

/// How many candidate edges of one component are tried for a shorter (or single-`rw`) cycle.
const TRIES_PER_COMPONENT: usize = 16;

/// A classified cycle: vertices in order (the last one leads back to the first) and the kind
/// each step was counted as.
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    /// `G0`, `G1c-realtime`, ….
    pub name: String,
    /// Graph vertices.
    pub vertices: Vec<u32>,
    /// Kind of the step from `vertices[i]` to the next.
    pub steps: Vec<Kinds>,
}

/// Finds the cycle anomalies of `g`, using process or real-time edges as `order` says.
pub fn cycles(g: &Graph<'_>, order: Order) -> Vec<Cycle> {
    let extra = match order {
        Order::None => 0,
        Order::Process => PROCESS,
        Order::Realtime => REALTIME,
    };
    let mut levels = vec![(WW, WW), (WW | WR, WR), (WW | WR | RW, RW)];
    if extra != 0 {
        levels.extend([(WW | extra, extra), (WW | WR | extra, extra), (WW | WR | RW | extra, extra)]);
    }
    cycles_at(g, &levels)
}

/// Finds cycles in each `(mask, required)` projection: in every strongly connected component
/// under `mask`, a shortest cycle through an edge of kind `required`.
pub fn cycles_at(g: &Graph<'_>, levels: &[(Kinds, Kinds)]) -> Vec<Cycle> {
    let mut found = Vec::new();
    // Position of each vertex in the component being searched, `OUTSIDE` for the rest; reused
    // so that many small components cost only their own size.
    let mut local = vec![OUTSIDE; g.txns.len()];
    for &(mask, required) in levels {
        for component in sccs(g.txns.len(), |v| g.succ(v, mask)) {
            for (i, v) in component.iter().enumerate() {
                if let Some(x) = local.get_mut(*v as usize) {
                    *x = i as u32;
                }
            }
            if let Some(c) = cycle_in(g, &component, &local, mask, required) {
                found.push(c);
            }
            for v in &component {
                if let Some(x) = local.get_mut(*v as usize) {
                    *x = OUTSIDE;
                }
            }
        }
    }
    found
}

/// Marks a vertex outside the component being searched.
const OUTSIDE: u32 = u32::MAX;

/// A shortest cycle found in `component` (strongly connected under `mask`; `local` maps its
/// vertices to their positions in it) through an edge of kind `required`; for `rw`, one with a
/// single `rw` edge is preferred.
fn cycle_in(g: &Graph<'_>, component: &[u32], local: &[u32], mask: Kinds, required: Kinds) -> Option<Cycle> {
    let pos = |v: u32| local.get(v as usize).copied().filter(|p| *p != OUTSIDE);
    let vertex = |p: u32| component.get(p as usize).copied().unwrap_or_default();
    let candidates: Vec<(u32, u32)> = component
        .iter()
        .flat_map(|&a| g.succ(a, required).filter(|b| pos(*b).is_some()).map(move |b| (a, b)))
        .take(TRIES_PER_COMPONENT)
        .collect();
    // A path inside the component from `b` back to `a`, in graph vertices.
    let path_back = |a: u32, b: u32, m: Kinds| {
        let (pa, pb) = (pos(a)?, pos(b)?);
        let path = shortest_path(component.len(), pb, pa, |p| g.succ(vertex(p), m).filter_map(pos))?;
        Some(path.into_iter().map(vertex).collect::<Vec<u32>>())
    };
    let mut best: Option<Vec<u32>> = None;
    if required == RW {
        // A single anti-dependency: return from the rw edge's target without another rw.
        for &(a, b) in &candidates {
            if let Some(p) = path_back(a, b, mask & !RW) {
                if best.as_ref().is_none_or(|x| p.len() < x.len()) {
                    best = Some(p);
                }
            }
        }
    }
    if best.is_none() {
        for &(a, b) in &candidates {
            if let Some(p) = path_back(a, b, mask) {
                if best.as_ref().is_none_or(|x| p.len() < x.len()) {
                    best = Some(p);
                }
            }
        }
    }
    // The path runs b … a; the cycle is a → b … → a, so put `a` first.
    let mut path = best?;
    let a = path.pop()?;
    path.insert(0, a);
    let mut steps = Vec::with_capacity(path.len());
    for (i, &v) in path.iter().enumerate() {
        let w = path.get(i + 1).copied().unwrap_or(a);
        let kinds = g.kinds(v, w) & if i == 0 { required } else { mask };
        steps.push(preferred(kinds));
    }
    Some(Cycle { name: classify(&steps), vertices: path, steps })
}

/// The kind a step counts as: data dependencies first, the weakest first.
fn preferred(kinds: Kinds) -> Kinds {
    [WW, WR, RW, PROCESS, REALTIME].into_iter().find(|k| kinds & k != 0).unwrap_or(WW)
}

/// The anomaly a cycle with these steps shows.
pub fn classify(steps: &[Kinds]) -> String {
    let count = |k: Kinds| steps.iter().filter(|s| **s == k).count();
    let base = match count(RW) {
        1 => "G-single",
        n if n > 1 => "G2-item",
        _ if count(WR) > 0 => "G1c",
        _ => "G0",
    };
    let suffix = if count(REALTIME) > 0 {
        "-realtime"
    } else if count(PROCESS) > 0 {
        "-process"
    } else {
        ""
    };
    format!("{base}{suffix}")
}

impl Cycle {
    fn step_why(&self, g: &Graph<'_>, i: usize) -> (u32, u32, Kinds, Option<Why>) {
        let a = self.vertices.get(i).copied().unwrap_or_default();
        let b = self.vertices.get(i + 1).or(self.vertices.first()).copied().unwrap_or_default();
        let kind = self.steps.get(i).copied().unwrap_or(WW);
        let slot = match kind {
            WW => 0,
            WR => 1,
            _ => 2,
        };
        let why = if kind & (WW | WR | RW) != 0 {
            g.edges.get(&(a, b)).and_then(|e| e.why.get(slot).copied().flatten())
        } else {
            None
        };
        (a, b, kind, why)
    }

    /// The cycle as JSON: its transactions and each step's kind and reason.
    pub fn to_json(&self, g: &Graph<'_>) -> Value {
        let cycle: Vec<Value> =
            self.vertices.iter().filter_map(|v| g.txns.get(*v as usize)).map(|t| t.to_json()).collect();
        let steps: Vec<Value> = (0..self.vertices.len())
            .map(|i| {
                let (_, _, kind, why) = self.step_why(g, i);
                match why {
                    Some(w) => {
                        json!({"type": kind_name(kind), "key": w.key, "value": w.from, "value'": w.to})
                    }
                    None => json!({"type": kind_name(kind)}),
                }
            })
            .collect();
        json!({"type": self.name, "cycle": cycle, "steps": steps})
    }

    /// In plain words: the transactions, then why each one precedes the next.
    /// Long cycles show their first `EXPLAINED_STEPS` (8) transactions and steps (the result map
    /// has them all).
    pub fn explain(&self, g: &Graph<'_>) -> String {
        let name = |v: u32| format!("T{}", self.vertices.iter().position(|x| *x == v).unwrap_or(0) + 1);
        let mut s = format!("{}: a cycle of {} transactions:", self.name, self.vertices.len());
        for &v in self.vertices.iter().take(EXPLAINED_STEPS) {
            if let Some(t) = g.txns.get(v as usize) {
                s.push_str(&format!(" {} = {};", name(v), t.show()));
            }
        }
        if self.vertices.len() > EXPLAINED_STEPS {
            s.push_str(" …;");
        }
        for i in 0..self.vertices.len().min(EXPLAINED_STEPS) {
            let (a, b, kind, why) = self.step_why(g, i);
            let (na, nb) = (name(a), name(b));
            let show = |v: Option<i64>| v.map_or_else(|| "nil".to_owned(), |v| v.to_string());
            let text = match (kind, why) {
                (WW, Some(w)) => format!(
                    "{na} set key {} to {} and {nb} set it to {}, later in the version order",
                    w.key,
                    show(w.from),
                    show(w.to)
                ),
                (WR, Some(w)) => format!("{na} wrote key {} = {}, which {nb} read", w.key, show(w.from)),
                (RW, Some(w)) => format!(
                    "{na} read key {} = {} and {nb} set it to {}, later in the version order",
                    w.key,
                    show(w.from),
                    show(w.to)
                ),
                (PROCESS, _) => format!("{na} came before {nb} in the same process"),
                _ => {
                    let done = g.txns.get(a as usize).map(|t| t.index);
                    let began = g.txns.get(b as usize).map(|t| secs_of(t.invoked));
                    format!(
                        "{na} completed (history index {}) before {nb} began at {}",
                        done.unwrap_or_default(),
                        began.unwrap_or_default()
                    )
                }
            };
            s.push_str(&format!(" {text};"));
        }
        if self.vertices.len() > EXPLAINED_STEPS {
            s.push_str(" …;");
        }
        s.pop();
        s
    }
}

fn secs_of(d: std::time::Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}
