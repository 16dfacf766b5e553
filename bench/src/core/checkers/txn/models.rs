//! Consistency models and anomalies as Elle 0.2 relates them (docs/protocol.md §7.6): every
//! model name Elle knows, its aliases, which weaker models each implies, which anomalies each
//! prohibits directly, and which anomalies imply others. From these tables come the anomalies a
//! set of models prohibits (the verdict), the models a set of anomalies rules out (`not`,
//! `also-not`), and the order in which cycle anomalies are searched.
//!
//! A model is held under its canonical name (`PL-2` for `read-committed`) and printed under its
//! friendly one. Models Elle knows but for which no anomaly is prohibited (`linearizable`,
//! `causal`, …) accept every history, as in Elle.

use super::graph::Order;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Friendly names and their canonical forms.
const CANONICAL: &[(&str, &str)] = &[
    ("consistent-view", "PL-2+"),
    ("conflict-serializable", "PL-3"),
    ("cursor-stability", "PL-CS"),
    ("forward-consistent-view", "PL-FCV"),
    ("monotonic-snapshot-read", "PL-MSR"),
    ("monotonic-view", "PL-2L"),
    ("read-committed", "PL-2"),
    ("read-uncommitted", "PL-1"),
    ("repeatable-read", "PL-2.99"),
    ("serializable", "PL-3"),
    ("snapshot-isolation", "PL-SI"),
    ("strict-serializable", "PL-SS"),
    ("strong-serializable", "PL-SS"),
    ("update-serializable", "PL-3U"),
    ("strong-session-read-uncommitted", "strong-session-PL-1"),
    ("strong-session-read-committed", "strong-session-PL-2"),
    ("strong-read-uncommitted", "strong-PL-1"),
    ("strong-read-committed", "strong-PL-2"),
];

/// Model → the weaker models it implies (names canonicalised when used).
const IMPLIES: &[(&str, &[&str])] = &[
    ("causal-cerone", &["read-atomic"]),
    ("consistent-view", &["cursor-stability", "monotonic-view"]),
    ("conflict-serializable", &["view-serializable"]),
    ("cursor-stability", &["read-committed", "PL-2"]),
    ("forward-consistent-view", &["consistent-view"]),
    ("PL-2", &["PL-1"]),
    ("PL-3", &["repeatable-read", "update-serializable"]),
    ("update-serializable", &["forward-consistent-view"]),
    ("monotonic-atomic-view", &["read-committed"]),
    ("monotonic-view", &["PL-2"]),
    ("monotonic-snapshot-read", &["PL-2"]),
    ("parallel-snapshot-isolation", &["causal-cerone", "update-atomic"]),
    ("prefix", &["causal-cerone"]),
    ("read-atomic", &["monotonic-atomic-view"]),
    ("read-committed", &["read-uncommitted"]),
    ("repeatable-read", &["cursor-stability", "monotonic-atomic-view"]),
    ("update-atomic", &["read-atomic"]),
    ("serializable", &["repeatable-read", "snapshot-isolation", "view-serializable"]),
    ("session-serializable", &["1SR"]),
    (
        "snapshot-isolation",
        &[
            "forward-consistent-view",
            "monotonic-atomic-view",
            "monotonic-snapshot-read",
            "parallel-snapshot-isolation",
            "prefix",
        ],
    ),
    (
        "strict-serializable",
        &[
            "PL-3",
            "serializable",
            "linearizable",
            "snapshot-isolation",
            "strong-snapshot-isolation",
            "strong-session-serializable",
        ],
    ),
    ("strong-session-PL-1", &["PL-1"]),
    ("strong-session-PL-2", &["PL-2", "strong-session-PL-1"]),
    ("strong-PL-1", &["strong-session-PL-1"]),
    ("strong-PL-2", &["strong-session-PL-2", "strong-PL-1"]),
    ("strong-session-serializable", &["serializable", "strong-session-snapshot-isolation"]),
    ("strong-session-snapshot-isolation", &["snapshot-isolation", "strong-session-PL-2"]),
    ("strong-serializable", &["session-serializable"]),
    ("strong-snapshot-isolation", &["strong-session-snapshot-isolation", "strong-PL-2"]),
    ("linearizable", &["sequential"]),
    ("sequential", &["causal"]),
    ("causal", &["writes-follow-reads", "PRAM"]),
    ("PRAM", &["monotonic-reads", "monotonic-writes", "read-your-writes"]),
];

/// Model → the anomalies it prohibits beyond those of the models it implies.
const PROHIBITS: &[(&str, &[&str])] = &[
    ("causal-cerone", &["internal", "G1a"]),
    ("cursor-stability", &["G1", "G-cursor", "lost-update"]),
    ("monotonic-view", &["G1", "G-monotonic"]),
    ("monotonic-snapshot-read", &["G1", "G-MSR"]),
    ("consistent-view", &["G1", "G-single"]),
    ("forward-consistent-view", &["G1", "G-SIb"]),
    ("parallel-snapshot-isolation", &["internal", "G1a"]),
    ("PL-3", &["G1", "G2", "predicate-read-miss", "PL-3-cycle-exists"]),
    ("PL-2", &["G1", "PL-2-cycle-exists"]),
    ("PL-1", &["G0", "duplicate-elements", "cyclic-versions", "PL-1-cycle-exists"]),
    ("prefix", &["internal", "G1a"]),
    ("serializable", &["internal"]),
    ("snapshot-isolation", &["internal", "G1", "G-SI", "G-nonadjacent", "PL-SI-cycle-exists"]),
    ("read-atomic", &["internal", "G1a", "future-read"]),
    ("repeatable-read", &["G1", "G2-item", "PL-2.99-cycle-exists", "lost-update"]),
    ("update-atomic", &["lost-update"]),
    ("strict-serializable", &["G1", "G1c-realtime", "G2-realtime", "PL-SS-cycle-exists"]),
    ("strong-session-PL-1", &["strong-session-PL-1-cycle-exists", "G0-process"]),
    ("strong-session-PL-2", &["strong-session-PL-2-cycle-exists", "G1c-process"]),
    ("strong-PL-1", &["strong-PL-1-cycle-exists", "G0-realtime"]),
    ("strong-PL-2", &["strong-PL-2-cycle-exists", "G1c-realtime"]),
    (
        "strong-session-snapshot-isolation",
        &[
            "internal",
            "G1-process",
            "G-nonadjacent-process",
            "strong-session-snapshot-isolation-cycle-exists",
        ],
    ),
    (
        "strong-snapshot-isolation",
        &["internal", "G1-realtime", "G-nonadjacent-realtime", "strong-snapshot-isolation-cycle-exists"],
    ),
    (
        "strong-session-serializable",
        &["G1-process", "G2-process", "strong-session-serializable-cycle-exists"],
    ),
    ("update-serializable", &["G1", "G-update"]),
];

/// Anomaly → the anomalies its presence implies.
const IMPLIED: &[(&str, &[&str])] = &[
    ("G0", &["G1c", "G0-process"]),
    ("G0-process", &["G1c-process", "G0-realtime"]),
    ("G0-realtime", &["G1c-realtime"]),
    ("G1a", &["G1"]),
    ("G1b", &["G1"]),
    ("G1c", &["G1", "G1c-process"]),
    ("G1c-process", &["G1c-realtime", "G1-process"]),
    ("G1c-realtime", &["G1-realtime"]),
    ("G1", &["G1-process"]),
    ("G1-process", &["G1-realtime"]),
    ("G-single-item", &["G-single", "G-single-item-process", "G-nonadjacent-item"]),
    ("G-single-item-process", &["G-single-process", "G-single-item-realtime", "G-nonadjacent-item-process"]),
    ("G-single-item-realtime", &["G-single-realtime", "G-nonadjacent-item-realtime"]),
    ("G-single", &["G-nonadjacent", "GSIb", "G-single-process"]),
    ("G-single-process", &["G-nonadjacent-process", "G-single-realtime"]),
    ("G-single-realtime", &["G-nonadjacent-realtime"]),
    ("G-nonadjacent-item", &["G-nonadjacent", "G2-item", "G-nonadjacent-item-process"]),
    (
        "G-nonadjacent-item-process",
        &["G-nonadjacent-process", "G2-item-process", "G-nonadjacent-item-realtime"],
    ),
    ("G-nonadjacent-item-realtime", &["G2-item-realtime", "G-nonadjacent-realtime"]),
    ("G-nonadjacent", &["G2", "G-nonadjacent-process"]),
    ("G-nonadjacent-process", &["G2-process", "G-nonadjacent-realtime"]),
    ("G-nonadjacent-realtime", &["G2-realtime"]),
    ("G2", &["G2-process"]),
    ("G2-item", &["G2", "G2-item-process"]),
    ("G2-item-process", &["G2-process", "G2-item-realtime"]),
    ("G2-item-realtime", &["G2-realtime"]),
    ("G2-process", &["G2-realtime"]),
    ("GSIa", &["GSI"]),
    ("GSIb", &["GSI"]),
    ("incompatible-order", &["G1a"]),
    ("future-read", &["G1c"]),
    ("dirty-update", &["G1a"]),
    ("lost-update", &["write-skew", "G2-item"]),
    ("write-skew", &["G2"]),
];

/// Extra severity edges (worse → less bad) that only order the cycle search.
const SEVERITY: &[(&str, &[&str])] = &[
    ("G0", &["G1c"]),
    ("G0-process", &["G1c-process"]),
    ("G0-realtime", &["G1c-realtime"]),
    ("G1c", &["G-single", "G2-item"]),
    ("G1c-process", &["G-single-process", "G2-item-process"]),
    ("G1c-realtime", &["G-single-realtime", "G2-item-realtime"]),
    ("G2", &["G0-process"]),
    ("G2-process", &["G0-realtime"]),
];

/// The cycle anomalies searched for, before their process and real-time variants. `G-single`,
/// `G-nonadjacent` and `G2` need predicate reads, which neither workload has.
pub const CYCLE_BASES: [&str; 5] = ["G0", "G1c", "G-single-item", "G-nonadjacent-item", "G2-item"];

/// The canonical name of a model (itself if it has no alias).
pub fn canonical(name: &str) -> &str {
    CANONICAL.iter().find(|(f, _)| *f == name).map_or(name, |(_, c)| c)
}

/// The friendly name of a canonical model name, as Elle prints it.
pub fn friendly(name: &str) -> &str {
    match name {
        "PL-3" => "serializable",
        "PL-SS" => "strict-serializable",
        _ => CANONICAL.iter().find(|(_, c)| *c == name).map_or(name, |(f, _)| f),
    }
}

/// Edges of a table with both ends passed through `f`.
fn edges<'a>(table: &'a [(&'a str, &'a [&'a str])], f: fn(&str) -> &str) -> Vec<(&'a str, &'a str)> {
    table.iter().flat_map(|(a, bs)| bs.iter().map(move |b| (f(a), f(b)))).collect()
}

/// Everything reachable from `start` (included) following `next`.
fn reach<'a>(
    start: impl IntoIterator<Item = &'a str>,
    next: &[(&'a str, &'a str)],
    forward: bool,
) -> BTreeSet<&'a str> {
    let mut seen: BTreeSet<&str> = start.into_iter().collect();
    let mut todo: Vec<&str> = seen.iter().copied().collect();
    while let Some(v) = todo.pop() {
        for &(a, b) in next {
            let (from, to) = if forward { (a, b) } else { (b, a) };
            if from == v && seen.insert(to) {
                todo.push(to);
            }
        }
    }
    seen
}

/// Every model name Elle knows, canonical and friendly.
pub fn all_models() -> BTreeSet<&'static str> {
    let mut all: BTreeSet<&str> = edges(IMPLIES, canonical).into_iter().flat_map(|(a, b)| [a, b]).collect();
    all.extend(CANONICAL.iter().flat_map(|(f, c)| [*f, *c]));
    all
}

/// The models to check, canonical, parsed from `--consistency-models`. Like Maelstrom, the
/// value is split only at commas with whitespace on both sides.
///
/// # Errors
/// A sentence naming a model Elle does not know.
pub fn parse(text: &str) -> Result<Vec<&'static str>, String> {
    let known = all_models();
    text.split(" , ")
        .map(|name| {
            let name = name.trim();
            match known.get(name) {
                Some(m) => Ok(canonical(m)),
                None => Err(format!(
                    "unknown consistency model {name:?} (Elle knows {})",
                    known.iter().copied().collect::<Vec<_>>().join(", ")
                )),
            }
        })
        .collect()
}

/// The anomalies that must be absent for all of `models` to hold: those the models and every
/// model they imply prohibit, and every anomaly implying one of those.
pub fn prohibited(models: &[&str]) -> HashSet<&'static str> {
    let implied = reach(models.iter().map(|m| canonical(m)), &edges(IMPLIES, canonical), true);
    let direct = edges(PROHIBITS, canonical);
    let bad: Vec<&str> = direct.iter().filter(|(m, _)| implied.contains(m)).map(|(_, a)| *a).collect();
    reach(bad, &edges(IMPLIED, |a| a), false).into_iter().collect()
}

/// Every anomaly the given ones imply (themselves included).
pub fn implied_by<'a>(anomalies: impl IntoIterator<Item = &'a str>) -> BTreeSet<&'a str> {
    reach(anomalies, &edges(IMPLIED, |a| a), true)
}

/// The extra order the dependency graph needs: real time if a prohibited anomaly has a
/// `-realtime` form, else process order if one has a `-process` form.
pub fn order_needed(prohibited: &HashSet<&str>) -> Order {
    if prohibited.iter().any(|a| a.ends_with("-realtime")) {
        Order::Realtime
    } else if prohibited.iter().any(|a| a.ends_with("-process")) {
        Order::Process
    } else {
        Order::None
    }
}

/// The models (canonical) that cannot hold when any of `models` cannot: they and every model
/// implying one of them.
pub fn ruled_out_with<'a>(models: impl IntoIterator<Item = &'a str>) -> BTreeSet<&'a str> {
    reach(models.into_iter().map(canonical), &edges(IMPLIES, canonical), false)
}

/// The models (canonical) that cannot hold given `anomalies`: those prohibiting one of them or
/// an anomaly they imply, and every model implying one of those.
pub fn impossible(anomalies: &[&str]) -> BTreeSet<&'static str> {
    let present = implied_by(anomalies.iter().copied());
    let direct = edges(PROHIBITS, canonical);
    let ruled: Vec<&'static str> =
        direct.iter().filter(|(_, a)| present.contains(a)).map(|(m, _)| *m).collect();
    ruled_out_with(ruled)
}

/// `(not, also-not)`: the weakest models the anomalies rule out, and the stronger ones, under
/// their friendly names.
pub fn boundary(anomalies: &[&str]) -> (Vec<&'static str>, Vec<&'static str>) {
    let impossible = impossible(anomalies);
    let implies = edges(IMPLIES, canonical);
    // The weakest: those implying no other impossible model.
    let below: HashMap<&str, BTreeSet<&str>> =
        impossible.iter().map(|m| (*m, reach([*m], &implies, true))).collect();
    let mut not = Vec::new();
    let mut also_not = Vec::new();
    for m in &impossible {
        let weaker = below.get(m).is_some_and(|b| b.iter().any(|w| w != m && impossible.contains(w)));
        if weaker {
            also_not.push(friendly(m));
        } else {
            not.push(friendly(m));
        }
    }
    not.sort_unstable();
    not.dedup();
    also_not.sort_unstable();
    also_not.dedup();
    (not, also_not)
}

/// Every cycle anomaly searched for, in Elle's search order: by depth in the graph of implied
/// and severity edges (the worst first), then by name.
pub fn cycle_search_order() -> Vec<String> {
    let names: Vec<String> = CYCLE_BASES
        .iter()
        .flat_map(|b| [b.to_string(), format!("{b}-process"), format!("{b}-realtime")])
        .collect();
    let mut all = edges(IMPLIED, |a| a);
    all.extend(edges(SEVERITY, |a| a));
    let depth = depths(&all);
    let mut sorted = names;
    sorted.sort_by(|a, b| {
        let da = depth.get(a.as_str()).copied().unwrap_or(0);
        let db = depth.get(b.as_str()).copied().unwrap_or(0);
        da.cmp(&db).then_with(|| a.cmp(b))
    });
    sorted
}

/// Layered depth of each vertex of a DAG: 0 for those nothing points at, then one more per
/// layer removed.
fn depths<'a>(dag: &[(&'a str, &'a str)]) -> HashMap<&'a str, usize> {
    let mut left: Vec<(&str, &str)> = dag.to_vec();
    let mut vertices: BTreeSet<&str> = dag.iter().flat_map(|(a, b)| [*a, *b]).collect();
    let mut out = HashMap::new();
    let mut depth = 0;
    while !vertices.is_empty() {
        let top: Vec<&str> = vertices.iter().copied().filter(|v| !left.iter().any(|(_, b)| b == v)).collect();
        if top.is_empty() {
            break;
        }
        for v in &top {
            out.insert(*v, depth);
            vertices.remove(v);
        }
        left.retain(|(a, _)| !top.contains(a));
        depth += 1;
    }
    out
}
