//! Cycle anomalies, searched as Elle 0.2 does. The graph is cut into strongly connected
//! components; in each, the cycle anomalies are tried in Elle's order (`models::
//! cycle_search_order`: the worst first), and once one is found every anomaly it implies is
//! skipped there, so a cycle is reported under its strongest name only.
//!
//! Each anomaly is a rule for a cycle: which edge kinds it may use, which it must use, and how
//! many anti-dependencies (`rw`) it takes — `G0`: `ww` only; `G1c`: `ww`/`wr` with a `wr`;
//! `G-single-item`: `ww`/`wr` and exactly one `rw`; `G-nonadjacent-item`: two or more `rw`, no
//! two in a row; `G2-item`: two or more `rw`; the `-process` and `-realtime` variants may and
//! must also use that order. A shortest cycle obeying the rule is found by breadth-first search
//! over (transaction, progress) pairs from up to `TRIES_PER_COMPONENT` (16) starting edges.
//! The cycle found is then named by its steps, each counted as the kind the workload explains
//! it by ([`Graph::preferred`]): so under rw-register a cycle whose edge is both `ww` and `wr`
//! is `G1c`. As in Elle, a search for `G-single-item`, `G-nonadjacent-item` or `G2-item` only
//! counts when the cycle found is named so. A cycle the bounded search misses is still reported,
//! as Elle does, by [`exists`] (`<model>-cycle-exists`).

use super::cycles::sccs;
use super::exists::{self, Exists};
use super::graph::{kind_name, Flavor, Graph, Kinds, Order, Vertex, Why, PROCESS, REALTIME, RW, WR, WW};
use super::models;
use serde_json::{json, Value};
use std::collections::{BTreeSet, VecDeque};

/// How many transactions and steps of a cycle its sentence shows.
const EXPLAINED_STEPS: usize = 8;

/// How many starting edges of one component are tried for a shortest cycle.
const TRIES_PER_COMPONENT: usize = 16;

/// A classified cycle: vertices in order (the last one leads back to the first) and the kind
/// each step counts as.
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    /// `G0`, `G1c-realtime`, ….
    pub name: String,
    /// Graph vertices.
    pub vertices: Vec<u32>,
    /// Kind of the step from `vertices[i]` to the next.
    pub steps: Vec<Kinds>,
}

/// How a rule treats anti-dependencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anti {
    /// None (unless `rw` is among the legal kinds).
    None,
    /// Exactly one.
    Single,
    /// Two or more, never two in a row.
    Nonadjacent,
    /// Two or more.
    Multiple,
}

/// The rule a cycle anomaly's cycles obey.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    /// Kinds any step may use.
    legal: Kinds,
    /// Kinds that must each appear at least once.
    required: Kinds,
    /// Anti-dependencies.
    anti: Anti,
    /// Whether the cycle found must be named as the anomaly searched for.
    typed: bool,
}

/// The rule of a cycle anomaly named as in [`models::CYCLE_BASES`] plus an optional suffix.
fn rule(name: &str) -> Option<Rule> {
    let (base, extra) = if let Some(b) = name.strip_suffix("-realtime") {
        (b, REALTIME)
    } else if let Some(b) = name.strip_suffix("-process") {
        (b, PROCESS)
    } else {
        (name, 0)
    };
    let (legal, required, anti, typed) = match base {
        "G0" => (WW, 0, Anti::None, false),
        "G1c" => (WW | WR, WR, Anti::None, false),
        "G-single-item" => (WW | WR, 0, Anti::Single, true),
        "G-nonadjacent-item" => (WW | WR, 0, Anti::Nonadjacent, true),
        "G2-item" => (WW | WR | RW, 0, Anti::Multiple, true),
        _ => return None,
    };
    Some(Rule { legal: legal | extra, required: required | extra, anti, typed })
}

/// Progress along a path: required kinds still missing, `rw` steps taken (up to 2), whether
/// the last step was `rw`. Packed into 5 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Progress {
    /// Bit 0: `wr` missing; bit 1: the order (process or real time) missing.
    want: u8,
    /// `rw` steps, saturating at 2.
    anti: u8,
    /// The last step was `rw`.
    last_anti: bool,
}

const STATES: usize = 32;

impl Progress {
    fn start(rule: &Rule) -> Self {
        let want =
            u8::from(rule.required & WR != 0) | (u8::from(rule.required & (PROCESS | REALTIME) != 0) << 1);
        Progress { want, anti: 0, last_anti: false }
    }

    fn pack(self) -> usize {
        usize::from(self.want) | (usize::from(self.anti) << 2) | (usize::from(self.last_anti) << 4)
    }

    /// The progress after a step of the single kind `k`, if the rule allows it.
    fn step(self, rule: &Rule, k: Kinds) -> Option<Progress> {
        let mut p = self;
        if k == RW && rule.legal & RW == 0 {
            match rule.anti {
                Anti::None => return None,
                Anti::Single if self.anti > 0 => return None,
                Anti::Nonadjacent if self.last_anti => return None,
                _ => {}
            }
        } else if rule.legal & k == 0 {
            return None;
        }
        if k == RW {
            p.anti = (p.anti + 1).min(2);
            p.last_anti = true;
        } else {
            p.last_anti = false;
        }
        if k == WR {
            p.want &= !1;
        }
        if k & (PROCESS | REALTIME) != 0 {
            p.want &= !2;
        }
        Some(p)
    }

    /// Whether a path that began with a step of kind `first` may close here.
    fn closes(self, rule: &Rule, first: Kinds) -> bool {
        self.want == 0
            && match rule.anti {
                Anti::None => true,
                Anti::Single => self.anti == 1,
                Anti::Nonadjacent => self.anti >= 2 && !(self.last_anti && first == RW),
                Anti::Multiple => self.anti >= 2,
            }
    }
}

/// Finds the cycle anomalies of `g`, process or real-time variants only if `order` put such
/// edges in the graph, and each component's `-cycle-exists` cases.
pub fn cycles<T: Vertex>(g: &Graph<'_, T>, order: Order) -> (Vec<Cycle>, Vec<Exists>) {
    let names: Vec<String> = models::cycle_search_order()
        .into_iter()
        .filter(|n| match order {
            Order::None => !n.ends_with("-process") && !n.ends_with("-realtime"),
            Order::Process => !n.ends_with("-realtime"),
            Order::Realtime => !n.ends_with("-process"),
        })
        .collect();
    let (mut found, mut exist) = (Vec::new(), Vec::new());
    each_component(g, &names, |component, local| {
        found.extend(search_component(g, &names, component, local));
        exist.extend(exists::cases(g, component, local));
    });
    (found, exist)
}

/// Searches every nontrivial component of `g` for the anomalies `names`, in that order,
/// skipping in a component those implied by one found there.
pub fn search<T: Vertex>(g: &Graph<'_, T>, names: &[String]) -> Vec<Cycle> {
    let mut found = Vec::new();
    each_component(g, names, |component, local| found.extend(search_component(g, names, component, local)));
    found
}

/// Calls `f` with each nontrivial component of `g` over the kinds the rules `names` use, and a
/// map of every vertex to its position in the component (`OUTSIDE` if not in it).
fn each_component<T: Vertex>(g: &Graph<'_, T>, names: &[String], mut f: impl FnMut(&[u32], &[u32])) {
    let mask = names
        .iter()
        .filter_map(|n| rule(n))
        .fold(0, |m, r| m | r.legal | if r.anti == Anti::None { 0 } else { RW });
    let mut local = vec![OUTSIDE; g.vertex_count()];
    for component in sccs(g.vertex_count(), |v| g.succ(v, mask)) {
        for (i, v) in component.iter().enumerate() {
            if let Some(x) = local.get_mut(*v as usize) {
                *x = i as u32;
            }
        }
        f(&component, &local);
        for v in &component {
            if let Some(x) = local.get_mut(*v as usize) {
                *x = OUTSIDE;
            }
        }
    }
}

/// The anomalies `names` found in one component, in that order, skipping those implied by one
/// found before.
fn search_component<T: Vertex>(
    g: &Graph<'_, T>,
    names: &[String],
    component: &[u32],
    local: &[u32],
) -> Vec<Cycle> {
    let mut found = Vec::new();
    let mut skip: BTreeSet<&str> = BTreeSet::new();
    for name in names {
        let Some(rule) = rule(name) else { continue };
        if skip.contains(name.as_str()) {
            continue;
        }
        let Some(c) = find(g, component, local, &rule) else { continue };
        if rule.typed && c.name != *name {
            continue;
        }
        skip.extend(models::implied_by([name.as_str()]));
        found.push(c);
    }
    found
}

/// Marks a vertex outside the component being searched.
pub const OUTSIDE: u32 = u32::MAX;

/// A shortest cycle obeying `rule` in `component` (`local` maps its vertices to positions in
/// it), named by its steps.
fn find<T: Vertex>(g: &Graph<'_, T>, component: &[u32], local: &[u32], rule: &Rule) -> Option<Cycle> {
    let pos = |v: u32| local.get(v as usize).copied().filter(|p| *p != OUTSIDE);
    let usable = rule.legal | if rule.anti == Anti::None { 0 } else { RW };
    // Start where the rule is most demanding: an `rw` step, else a required one, else any.
    let first_kinds = if rule.anti != Anti::None {
        RW
    } else if rule.required != 0 {
        rule.required
    } else {
        usable
    };
    let start = Progress::start(rule);
    let mut starts: Vec<(u32, u32, Kinds, Progress)> = Vec::new();
    'outer: for &a in component.iter().filter(|a| !g.is_time_point(**a)) {
        let mut last = None;
        for (b, k) in g.out(a) {
            if pos(b).is_none() || last == Some(b) || k & first_kinds == 0 {
                continue;
            }
            if let Some(p) = start.step(rule, k) {
                last = Some(b);
                starts.push((a, b, k, p));
                if starts.len() >= TRIES_PER_COMPONENT {
                    break 'outer;
                }
            }
        }
    }
    let mut best: Option<Vec<u32>> = None;
    for (a, b, k, p) in starts {
        if let Some(path) = path_back(g, component, &pos, rule, usable, (a, b, k, p)) {
            if best.as_ref().is_none_or(|x| path.len() < x.len()) {
                best = Some(path);
            }
            if best.as_ref().is_some_and(|x| x.len() <= 2) {
                break;
            }
        }
    }
    let vertices = best?;
    let steps: Vec<Kinds> = (0..vertices.len())
        .map(|i| {
            let v = vertices.get(i).copied().unwrap_or_default();
            let w = vertices.get(i + 1).or(vertices.first()).copied().unwrap_or_default();
            g.preferred(g.kinds(v, w))
        })
        .collect();
    Some(Cycle { name: classify(&steps), vertices, steps })
}

/// Shortest-path search over (position, progress) from `b` after the step `a → b` back to `a`
/// in a state that closes the cycle; the cycle's transactions from `a`. A step out of a
/// transaction counts 1 and one out of a time point 0 (the chain of time points between two
/// transactions is one real-time step), so the search keeps a double-ended queue.
fn path_back<T: Vertex>(
    g: &Graph<'_, T>,
    component: &[u32],
    pos: &impl Fn(u32) -> Option<u32>,
    rule: &Rule,
    usable: Kinds,
    (a, b, first, after): (u32, u32, Kinds, Progress),
) -> Option<Vec<u32>> {
    const UNSEEN: u32 = u32::MAX;
    let n = component.len();
    let (pa, pb) = (pos(a)?, pos(b)?);
    let id = |p: u32, s: Progress| p as usize * STATES + s.pack();
    let mut parent = vec![UNSEEN; n * STATES];
    let mut dist = vec![UNSEEN; n * STATES];
    let start = id(pb, after);
    *parent.get_mut(start)? = start as u32;
    *dist.get_mut(start)? = 0;
    let mut queue = VecDeque::from([(pb, after, 0u32)]);
    while let Some((p, s, d)) = queue.pop_front() {
        if dist.get(id(p, s)) != Some(&d) {
            continue;
        }
        if p == pa && s.closes(rule, first) {
            let mut path = Vec::new();
            let mut at = id(p, s);
            while at != start {
                path.push(component.get(at / STATES).copied()?);
                at = *parent.get(at)? as usize;
            }
            path.push(b);
            path.retain(|v| !g.is_time_point(*v));
            path.reverse();
            // The path runs b … a; the cycle is a → b … → a, so put `a` first.
            path.pop();
            path.insert(0, a);
            return Some(path);
        }
        let v = component.get(p as usize).copied()?;
        let from_point = g.is_time_point(v);
        for (w, k) in g.out(v) {
            let Some(q) = pos(w) else { continue };
            if k & usable == 0 {
                continue;
            }
            let (next, cost) = if from_point {
                (s, 0)
            } else {
                let Some(next) = s.step(rule, k) else { continue };
                (next, 1)
            };
            let i = id(q, next);
            if dist.get(i).is_some_and(|old| *old > d + cost) {
                if let Some(slot) = parent.get_mut(i) {
                    *slot = id(p, s) as u32;
                }
                if let Some(slot) = dist.get_mut(i) {
                    *slot = d + cost;
                }
                if cost == 0 {
                    queue.push_front((q, next, d));
                } else {
                    queue.push_back((q, next, d + 1));
                }
            }
        }
    }
    None
}

/// The anomaly a cycle with these steps shows, as Elle's cycle explainer names it.
pub fn classify(steps: &[Kinds]) -> String {
    let count = |k: Kinds| steps.iter().filter(|s| **s == k).count();
    let adjacent_rw = steps.iter().enumerate().any(|(i, s)| {
        *s == RW && steps.get(i + 1).or(steps.first()).is_some_and(|n| *n == RW) && steps.len() > 1
    });
    let base = match count(RW) {
        1 => "G-single-item",
        n if n > 1 && adjacent_rw => "G2-item",
        n if n > 1 => "G-nonadjacent-item",
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
    fn step_why<T: Vertex>(&self, g: &Graph<'_, T>, i: usize) -> (u32, u32, Kinds, Option<Why>) {
        let a = self.vertices.get(i).copied().unwrap_or_default();
        let b = self.vertices.get(i + 1).or(self.vertices.first()).copied().unwrap_or_default();
        let kind = self.steps.get(i).copied().unwrap_or(WW);
        (a, b, kind, g.reason(a, b, kind))
    }

    /// The cycle as JSON: its transactions and each step's kind and reason.
    pub fn to_json<T: Vertex>(&self, g: &Graph<'_, T>) -> Value {
        let cycle: Vec<Value> = self
            .vertices
            .iter()
            .filter_map(|v| g.txns.get(*v as usize))
            .map(|t| Vertex::to_json(*t))
            .collect();
        let steps: Vec<Value> = (0..self.vertices.len())
            .map(|i| {
                let (_, _, kind, why) = self.step_why(g, i);
                match why {
                    Some(w) if kind == WR => json!({"type": "wr", "key": w.key, "value": w.from}),
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
    pub fn explain<T: Vertex>(&self, g: &Graph<'_, T>) -> String {
        let name = |v: u32| format!("T{}", self.vertices.iter().position(|x| *x == v).unwrap_or(0) + 1);
        let mut s = format!("{}: a cycle of {} transactions:", self.name, self.vertices.len());
        for &v in self.vertices.iter().take(EXPLAINED_STEPS) {
            if let Some(t) = g.txns.get(v as usize) {
                s.push_str(&format!(" {} = {};", name(v), Vertex::show(*t)));
            }
        }
        if self.vertices.len() > EXPLAINED_STEPS {
            s.push_str(" …;");
        }
        for i in 0..self.vertices.len().min(EXPLAINED_STEPS) {
            let (a, b, kind, why) = self.step_why(g, i);
            let (na, nb) = (name(a), name(b));
            let text = match (kind, why) {
                (WW | WR | RW, Some(w)) => data_step(g.flavor, kind, w, &na, &nb),
                (PROCESS, _) => format!("{na} came before {nb} in the same process"),
                _ => {
                    let done = g.txns.get(a as usize).map(|t| t.index());
                    let began = g.txns.get(b as usize).map(|t| secs_of(t.invoked()));
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

/// Why `na` precedes `nb` over a data edge, in the workload's words.
fn data_step(flavor: Flavor, kind: Kinds, w: Why, na: &str, nb: &str) -> String {
    let show = |v: Option<i64>| v.map_or_else(|| "nil".to_owned(), |v| v.to_string());
    let (key, from, to) = (w.key, show(w.from), show(w.to));
    match (flavor, kind) {
        (Flavor::Register, WW) => {
            format!("{na} set key {key} to {from} and {nb} set it to {to}, later in the version order")
        }
        (Flavor::Register, WR) => format!("{na} wrote key {key} = {from}, which {nb} read"),
        (Flavor::Register, _) => {
            format!("{na} read key {key} = {from} and {nb} set it to {to}, later in the version order")
        }
        (Flavor::ListAppend, WW) => {
            format!("{nb} appended {to} to key {key} right after {na} appended {from}")
        }
        (Flavor::ListAppend, WR) => format!("{nb} read key {key} ending in {from}, which {na} appended"),
        (Flavor::ListAppend, _) if w.from.is_none() => {
            format!("{na} read key {key} empty, and {nb} appended {to} to it first")
        }
        (Flavor::ListAppend, _) => {
            format!("{na} read key {key} ending in {from}, and {nb} appended {to} right after it")
        }
    }
}
