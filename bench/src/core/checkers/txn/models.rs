//! Consistency models the checker can decide, which anomalies each prohibits (docs/protocol.md §7.6,
//! after Adya and Elle), and which models a set of anomalies rules out (`not`, `also-not`).
//!
//! A model here is a *level* (read-uncommitted = PL-1, read-committed = PL-2, serializable =
//! PL-3) and an *order* it adds (none; each process's order, the `strong-session-` models;
//! real-time order, the `strong-` models and strict-serializable). A model prohibits an anomaly
//! when its level prohibits the anomaly's base form and its order covers the anomaly's
//! `-process`/`-realtime` suffix. Models outside this lattice (snapshot isolation, repeatable
//! read, …) are not decided: the verdict is then unknown, never a false "valid".

use super::graph::Order;

/// Isolation levels, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// PL-1: no write cycles.
    ReadUncommitted,
    /// PL-2: no aborted or intermediate reads, no circular information flow.
    ReadCommitted,
    /// PL-3: no dependency cycles at all.
    Serializable,
}

/// A consistency model this checker decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Model {
    /// Its name as printed.
    pub name: &'static str,
    /// Isolation level.
    pub level: Level,
    /// Extra order it respects.
    pub order: Order,
}

/// Every decidable model, under its friendly name.
pub const ALL: [Model; 9] = [
    Model { name: "read-uncommitted", level: Level::ReadUncommitted, order: Order::None },
    Model { name: "read-committed", level: Level::ReadCommitted, order: Order::None },
    Model { name: "serializable", level: Level::Serializable, order: Order::None },
    Model { name: "strong-session-read-uncommitted", level: Level::ReadUncommitted, order: Order::Process },
    Model { name: "strong-session-read-committed", level: Level::ReadCommitted, order: Order::Process },
    Model { name: "strong-session-serializable", level: Level::Serializable, order: Order::Process },
    Model { name: "strong-read-uncommitted", level: Level::ReadUncommitted, order: Order::Realtime },
    Model { name: "strong-read-committed", level: Level::ReadCommitted, order: Order::Realtime },
    Model { name: "strict-serializable", level: Level::Serializable, order: Order::Realtime },
];

/// Names Elle knows that this checker does not decide.
const UNDECIDED: &[&str] = &[
    "snapshot-isolation",
    "repeatable-read",
    "cursor-stability",
    "consistent-view",
    "monotonic-atomic-view",
    "monotonic-view",
    "monotonic-snapshot-read",
    "forward-consistent-view",
    "update-serializable",
    "read-atomic",
    "causal-cerone",
    "parallel-snapshot-isolation",
    "prefix",
    "update-atomic",
    "strong-snapshot-isolation",
    "strong-session-snapshot-isolation",
    "PL-2.99",
    "PL-SI",
];

/// Parses `--consistency-models`. Like Maelstrom, the value is split only at commas with
/// whitespace on both sides.
///
/// # Errors
/// A sentence naming a model that is unknown, or known but not decided by this checker.
pub fn parse(text: &str) -> Result<Vec<Model>, String> {
    text.split(" , ")
        .map(|name| {
            let name = name.trim();
            let canonical = match name {
                "PL-1" => "read-uncommitted",
                "PL-2" => "read-committed",
                "PL-3" | "conflict-serializable" => "serializable",
                "PL-SS" | "strong-serializable" => "strict-serializable",
                other => other,
            };
            if let Some(m) = ALL.iter().find(|m| m.name == canonical) {
                return Ok(*m);
            }
            if UNDECIDED.contains(&name) {
                Err(format!(
                    "consistency model {name:?} is not decided by this checker (it decides {})",
                    decided()
                ))
            } else {
                Err(format!("unknown consistency model {name:?} (this checker decides {})", decided()))
            }
        })
        .collect()
}

fn decided() -> String {
    ALL.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
}

/// The extra order the models need in the dependency graph.
pub fn order_needed(models: &[Model]) -> Order {
    models.iter().map(|m| m.order).max().unwrap_or(Order::None)
}

/// The level that first prohibits an anomaly's base form, if any level does.
fn level_of(base: &str) -> Option<Level> {
    match base {
        "G0" | "cyclic-versions" | "duplicate-elements" | "PL-1-cycle-exists" => Some(Level::ReadUncommitted),
        "G1" | "G1a" | "G1b" | "G1c" | "future-read" | "dirty-update" | "incompatible-order"
        | "PL-2-cycle-exists" => Some(Level::ReadCommitted),
        "internal" | "lost-update" | "G-single" | "G-nonadjacent" | "G2-item" | "G2"
        | "PL-3-cycle-exists" => Some(Level::Serializable),
        _ => None,
    }
}

/// Whether `model` prohibits `anomaly`.
pub fn prohibits(model: &Model, anomaly: &str) -> bool {
    let (base, order) = if let Some(b) = anomaly.strip_suffix("-realtime") {
        (b, Order::Realtime)
    } else if let Some(b) = anomaly.strip_suffix("-process") {
        (b, Order::Process)
    } else {
        (anomaly, Order::None)
    };
    level_of(base).is_some_and(|l| l <= model.level) && order <= model.order
}

/// `(not, also-not)`: the weakest models the anomalies rule out, and the stronger ones.
pub fn boundary(anomalies: &[&str]) -> (Vec<&'static str>, Vec<&'static str>) {
    let impossible: Vec<&Model> = ALL.iter().filter(|m| anomalies.iter().any(|a| prohibits(m, a))).collect();
    let weaker = |a: &Model, b: &Model| a != b && a.level <= b.level && a.order <= b.order;
    let mut not = Vec::new();
    let mut also_not = Vec::new();
    for m in &impossible {
        if impossible.iter().any(|w| weaker(w, m)) {
            also_not.push(m.name);
        } else {
            not.push(m.name);
        }
    }
    not.sort_unstable();
    also_not.sort_unstable();
    (not, also_not)
}
