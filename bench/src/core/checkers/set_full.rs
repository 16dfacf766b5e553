//! Jepsen's `set-full` checker, for broadcast (broadcast as add, docs/protocol.md §7.3) and g-set
//! (§7.8).
//!
//! Each added value is an element; only `ok` reads count, ordered by invocation. An element is
//! stable, lost or never-read from its *known*, *last-present* and *last-absent* events; stable
//! latency measures how long after it became known some read still missed it.

use super::secs;
use super::verdict::{Checked, Quantiles, Section, Validity};
use crate::core::history::{Event, History, Kind};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// Stale values `worst-stale` details.
const WORST_SHOWN: usize = 8;

/// What the set-full checker found (its name is broadcast's, the first workload to use it).
#[derive(Debug, Clone, PartialEq)]
pub struct BroadcastResult {
    /// Distinct values whose add was attempted.
    pub attempted: usize,
    /// Values some read saw after the last read that missed them.
    pub stable: usize,
    /// Values lost: known, then missed by every later read (sorted).
    pub lost: Vec<Value>,
    /// Values no read ever saw, in invocation order.
    pub never_read: Vec<Value>,
    /// Stable values some read missed after they were known, the stalest first.
    pub stale: Vec<Stale>,
    /// The stable latency of every stable value, in ms, sorted.
    pub stable_latencies: Vec<u64>,
    /// The latency of every lost value, in ms, sorted.
    pub lost_latencies: Vec<u64>,
}

/// A stable value that some read missed after it was known.
#[derive(Debug, Clone, PartialEq)]
pub struct Stale {
    /// The broadcast value.
    pub value: Value,
    /// How long after it became known a read still missed it, in ms.
    pub latency_ms: u64,
    /// When it became known.
    pub known: Option<Duration>,
    /// When the last read that missed it was invoked.
    pub last_absent: Option<Duration>,
}

/// The counts the console summary shows for broadcast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BroadcastCounts {
    /// Values sent.
    pub sent: u64,
    /// Values stable.
    pub stable: u64,
    /// Values lost.
    pub lost: u64,
    /// Values never read.
    pub never_read: u64,
}

impl BroadcastResult {
    /// Stable latency p50, p99 and max in ms; `None` when no value was stable.
    pub fn stable_latency(&self) -> Option<Quantiles<u64>> {
        let q = |q| quantile(&self.stable_latencies, q);
        Some(Quantiles { p50: q(0.5)?, p99: q(0.99)?, max: q(1.0)? })
    }

    /// The counts of values by outcome.
    pub fn counts(&self) -> BroadcastCounts {
        BroadcastCounts {
            sent: self.attempted as u64,
            stable: self.stable as u64,
            lost: self.lost.len() as u64,
            never_read: self.never_read.len() as u64,
        }
    }
}

impl Section for BroadcastResult {
    fn to_results_json(&self, valid: Validity) -> Value {
        let nanos = |t: Option<Duration>| t.map(|t| t.as_nanos() as u64);
        let worst: Vec<Value> = self
            .stale
            .iter()
            .take(WORST_SHOWN)
            .map(|s| {
                json!({"element": s.value, "outcome": "stable", "stable-latency": s.latency_ms,
                       "known-time": nanos(s.known), "last-absent-time": nanos(s.last_absent)})
            })
            .collect();
        let mut result = json!({
            "valid?": valid.to_json(),
            "attempt-count": self.attempted,
            "stable-count": self.stable,
            "lost-count": self.lost.len(),
            "lost": self.lost,
            "never-read-count": self.never_read.len(),
            "never-read": self.never_read,
            "stale-count": self.stale.len(),
            "stale": self.stale.iter().map(|s| &s.value).collect::<Vec<_>>(),
            "worst-stale": worst,
            "stable-latencies": quantiles_json(&self.stable_latencies),
            "duplicated-count": 0,
            "duplicated": {},
        });
        if !self.lost.is_empty() {
            if let Some(o) = result.as_object_mut() {
                o.insert("lost-latencies".into(), quantiles_json(&self.lost_latencies));
            }
        }
        result
    }
}

#[derive(Default)]
struct Element<'a> {
    /// The first add's invocation.
    add: Option<&'a Event>,
    /// The first `ok` completion of an add.
    acked: Option<&'a Event>,
    /// The completion that first made it known (an ok add or the first read containing it).
    known: Option<&'a Event>,
    /// Invocation of the latest-invoked read that contained it.
    last_present: Option<&'a Event>,
    /// Invocation of the latest-invoked read that did not.
    last_absent: Option<&'a Event>,
}

fn later<'a>(current: Option<&'a Event>, candidate: &'a Event) -> Option<&'a Event> {
    match current {
        Some(c) if c.index >= candidate.index => Some(c),
        _ => Some(candidate),
    }
}

/// Jepsen's quantile: `s[min(n-1, floor(n·q))]` over sorted values.
fn quantile(sorted: &[u64], q: f64) -> Option<u64> {
    let i = ((sorted.len() as f64 * q).floor() as usize).min(sorted.len().saturating_sub(1));
    sorted.get(i).copied()
}

/// Jepsen's quantile map, `{"0": min, "0.5": …, "1": max}` (empty without values).
fn quantiles_json(sorted: &[u64]) -> Value {
    let mut m = serde_json::Map::new();
    for (name, q) in [("0", 0.0), ("0.5", 0.5), ("0.95", 0.95), ("0.99", 0.99), ("1", 1.0)] {
        if let Some(v) = quantile(sorted, q) {
            m.insert(name.to_owned(), json!(v));
        }
    }
    Value::Object(m)
}

/// Every added value in the order of its first add (as its JSON text and value), and its
/// element.
type Elements<'a> = (HashMap<String, Element<'a>>, Vec<(String, Value)>);

/// The elements of a history whose adds are the operations named `add_f`. An element added
/// twice (g-set's `--repeat-adds`) is one element: known from its first `ok` add.
fn elements<'a>(history: &'a History, add_f: &str) -> Elements<'a> {
    let mut elements: HashMap<String, Element<'_>> = HashMap::new();
    let mut order: Vec<(String, Value)> = Vec::new();
    let mut open: HashMap<u64, &Event> = HashMap::new();
    for e in &history.events {
        match (e.kind, e.f.as_str()) {
            (Kind::Invoke, f) => {
                open.insert(e.process, e);
                if f == add_f {
                    let key = e.value.to_string();
                    let el = elements.entry(key.clone()).or_default();
                    if el.add.is_none() {
                        el.add = Some(e);
                        order.push((key, e.value.clone()));
                    }
                }
            }
            (kind, f) => {
                let Some(inv) = open.remove(&e.process) else { continue };
                if kind != Kind::Ok {
                    continue;
                }
                if f == add_f {
                    if let Some(el) = elements.get_mut(&e.value.to_string()) {
                        el.known = el.known.or(Some(e));
                        el.acked = el.acked.or(Some(e));
                    }
                } else if f == "read" {
                    let present: HashSet<String> = e
                        .value
                        .as_array()
                        .map(|xs| xs.iter().map(Value::to_string).collect())
                        .unwrap_or_default();
                    for (key, el) in elements.iter_mut() {
                        if present.contains(key) {
                            el.known = el.known.or(Some(e));
                            el.last_present = later(el.last_present, inv);
                        } else {
                            el.last_absent = later(el.last_absent, inv);
                        }
                    }
                }
            }
        }
    }
    (elements, order)
}

impl Element<'_> {
    /// Read by some read invoked after every read that missed it.
    fn is_stable(&self) -> bool {
        let idx = |e: Option<&Event>| e.map(|e| e.index);
        self.last_present.is_some() && idx(self.last_absent) < idx(self.last_present)
    }

    /// How long after it became known a read still missed it, in ms.
    fn latency_ms(&self) -> u64 {
        match (self.last_absent, self.known) {
            (Some(a), Some(k)) => {
                let t = (a.time + Duration::from_nanos(1)).saturating_sub(k.time);
                t.as_millis() as u64
            }
            _ => 0,
        }
    }
}

/// Checks a history whose adds are the operations named `add_f` (`broadcast`, or g-set's `add`).
pub fn check(history: &History, add_f: &str) -> Checked<BroadcastResult> {
    let (elements, order) = elements(history, add_f);
    let (mut stable, mut lost, mut never) = (Vec::new(), Vec::new(), Vec::new());
    let mut problems = Vec::new();
    for (key, value) in &order {
        let Some(el) = elements.get(key) else { continue };
        let idx = |e: Option<&Event>| e.map(|e| e.index);
        let is_lost = match (el.known, el.last_absent) {
            (Some(k), Some(a)) => idx(el.last_present) < Some(a.index) && k.index < a.index,
            _ => false,
        };
        if el.is_stable() {
            stable.push((value, el.latency_ms(), el));
        } else if is_lost {
            lost.push((value, el.latency_ms()));
            problems.push(explain_lost(value, el, add_f));
        } else {
            never.push(value.clone());
        }
    }
    let mut stable_latencies: Vec<u64> = stable.iter().map(|(_, l, _)| *l).collect();
    stable_latencies.sort_unstable();
    let mut lost_latencies: Vec<u64> = lost.iter().map(|(_, l)| *l).collect();
    lost_latencies.sort_unstable();
    let mut stale: Vec<Stale> = stable
        .iter()
        .filter(|(_, l, _)| *l > 0)
        .map(|(v, l, el)| Stale {
            value: (*v).clone(),
            latency_ms: *l,
            known: el.known.map(|k| k.time),
            last_absent: el.last_absent.map(|a| a.time),
        })
        .collect();
    stale.sort_by_key(|s| std::cmp::Reverse(s.latency_ms));
    let valid = if !lost.is_empty() {
        Validity::Invalid
    } else if stable.is_empty() {
        problems.push(format!("no {add_f} value was ever read back, so nothing can be judged"));
        Validity::Unknown
    } else {
        Validity::Valid
    };
    let mut lost_values: Vec<Value> = lost.iter().map(|(v, _)| (*v).clone()).collect();
    lost_values.sort_by_key(|v| v.as_i64());
    let result = BroadcastResult {
        attempted: order.len(),
        stable: stable.len(),
        lost: lost_values,
        never_read: never,
        stale,
        stable_latencies,
        lost_latencies,
    };
    Checked { valid, result, problems }
}

/// "value 417, acknowledged by n3 at 4.2 s, missing from the final read of n4 at 31.0 s".
fn explain_lost(value: &Value, el: &Element<'_>, add_f: &str) -> String {
    let known = match (el.acked, el.known) {
        (Some(ack), Some(k)) if k.f != add_f => {
            format!("acknowledged by {} at {} (first read on {} at {})", ack.node, secs(ack), k.node, secs(k))
        }
        (Some(ack), _) => format!("acknowledged by {} at {}", ack.node, secs(ack)),
        (None, Some(k)) => match el.add {
            Some(a) => format!(
                "first read on {} at {} (its {add_f} to {} at {} had no certain outcome)",
                k.node,
                secs(k),
                a.node,
                secs(a)
            ),
            None => format!("first read on {} at {}", k.node, secs(k)),
        },
        (None, None) => "never acknowledged".to_owned(),
    };
    let absent = el
        .last_absent
        .map(|a| {
            let which = if a.final_op { "the final read" } else { "a read" };
            format!("missing from {which} of {} at {}", a.node, secs(a))
        })
        .unwrap_or_default();
    let seen = el
        .last_present
        .map(|p| format!(" (last seen in a read of {} at {})", p.node, secs(p)))
        .unwrap_or_default();
    format!("value {value}, {known}, {absent}{seen}")
}
