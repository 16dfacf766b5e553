//! The broadcast checker: Jepsen's `set-full` with broadcast as add (MAELSTROM.md §7.3).
//!
//! Each broadcast value is an element; only `ok` reads count, ordered by invocation. An element is
//! stable, lost or never-read from its *known*, *last-present* and *last-absent* events; stable
//! latency measures how long after it became known some read still missed it.

use super::secs;
use crate::core::history::{Event, History, Kind};
use crate::core::workloads::{Checked, Validity};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

#[derive(Default)]
struct Element<'a> {
    /// The broadcast invocation.
    add: Option<&'a Event>,
    /// The completion that first made it known (an ok broadcast or the first read containing it).
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
fn quantiles(sorted: &[u64]) -> Value {
    let n = sorted.len();
    let mut m = serde_json::Map::new();
    for (name, q) in [("0", 0.0), ("0.5", 0.5), ("0.95", 0.95), ("0.99", 0.99), ("1", 1.0)] {
        let i = ((n as f64 * q).floor() as usize).min(n.saturating_sub(1));
        if let Some(v) = sorted.get(i) {
            m.insert(name.to_owned(), json!(v));
        }
    }
    Value::Object(m)
}

/// Every broadcast value in invocation order (as its JSON text and value), and its element.
type Elements<'a> = (HashMap<String, Element<'a>>, Vec<(String, Value)>);

fn elements(history: &History) -> Elements<'_> {
    let mut elements: HashMap<String, Element<'_>> = HashMap::new();
    let mut order: Vec<(String, Value)> = Vec::new();
    let mut open: HashMap<u64, &Event> = HashMap::new();
    for e in &history.events {
        match (e.kind, e.f.as_str()) {
            (Kind::Invoke, f) => {
                open.insert(e.process, e);
                if f == "broadcast" {
                    let key = e.value.to_string();
                    order.push((key.clone(), e.value.clone()));
                    elements.entry(key).or_default().add = Some(e);
                }
            }
            (kind, f) => {
                let Some(inv) = open.remove(&e.process) else { continue };
                if kind != Kind::Ok {
                    continue;
                }
                if f == "broadcast" {
                    if let Some(el) = elements.get_mut(&e.value.to_string()) {
                        el.known = el.known.or(Some(e));
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

/// The stable latency of every stable value, in ms, sorted (for the report's distribution plot).
pub fn stable_latencies(history: &History) -> Vec<u64> {
    let (elements, _) = elements(history);
    let mut l: Vec<u64> = elements.values().filter(|el| el.is_stable()).map(Element::latency_ms).collect();
    l.sort_unstable();
    l
}

/// Checks a broadcast history.
pub fn check(history: &History) -> Checked {
    let (elements, order) = elements(history);
    let (mut stable, mut lost, mut never) = (Vec::new(), Vec::new(), Vec::new());
    let mut problems = Vec::new();
    for (key, value) in &order {
        let Some(el) = elements.get(key) else { continue };
        let idx = |e: Option<&Event>| e.map(|e| e.index);
        let is_stable = el.is_stable();
        let is_lost = match (el.known, el.last_absent) {
            (Some(k), Some(a)) => idx(el.last_present) < Some(a.index) && k.index < a.index,
            _ => false,
        };
        if is_stable {
            stable.push((value, el.latency_ms(), el));
        } else if is_lost {
            lost.push((value, el.latency_ms()));
            problems.push(explain_lost(value, el));
        } else {
            never.push(value);
        }
    }
    let mut stable_lat: Vec<u64> = stable.iter().map(|(_, l, _)| *l).collect();
    stable_lat.sort_unstable();
    let mut lost_lat: Vec<u64> = lost.iter().map(|(_, l)| *l).collect();
    lost_lat.sort_unstable();
    let mut stale: Vec<&(&Value, u64, &Element<'_>)> = stable.iter().filter(|(_, l, _)| *l > 0).collect();
    stale.sort_by_key(|s| std::cmp::Reverse(s.1));
    let worst: Vec<Value> = stale
        .iter()
        .take(8)
        .map(|(v, l, el)| {
            json!({"element": v, "outcome": "stable", "stable-latency": l,
                   "known-time": el.known.map(|k| k.time.as_nanos() as u64),
                   "last-absent-time": el.last_absent.map(|a| a.time.as_nanos() as u64)})
        })
        .collect();
    let valid = if !lost.is_empty() {
        Validity::Invalid
    } else if stable.is_empty() {
        problems.push("no broadcast value was ever read back, so nothing can be judged".to_owned());
        Validity::Unknown
    } else {
        Validity::Valid
    };
    let mut lost_values: Vec<&Value> = lost.iter().map(|(v, _)| *v).collect();
    lost_values.sort_by_key(|v| v.as_i64());
    let mut result = json!({
        "valid?": valid.to_json(),
        "attempt-count": order.len(),
        "stable-count": stable.len(),
        "lost-count": lost.len(),
        "lost": lost_values,
        "never-read-count": never.len(),
        "never-read": never,
        "stale-count": stale.len(),
        "stale": stale.iter().map(|(v, _, _)| *v).collect::<Vec<_>>(),
        "worst-stale": worst,
        "stable-latencies": quantiles(&stable_lat),
        "duplicated-count": 0,
        "duplicated": {},
    });
    if !lost.is_empty() {
        if let Some(o) = result.as_object_mut() {
            o.insert("lost-latencies".into(), quantiles(&lost_lat));
        }
    }
    Checked { valid, result, problems }
}

/// "value 417, acknowledged by n3 at 4.2 s, missing from the final read of n4 at 31.0 s".
fn explain_lost(value: &Value, el: &Element<'_>) -> String {
    let known = match el.known {
        Some(k) if k.f == "broadcast" => format!("acknowledged by {} at {}", k.node, secs(k)),
        Some(k) => format!("first read on {} at {}", k.node, secs(k)),
        None => "never acknowledged".to_owned(),
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
    let sent = match (el.add, el.known) {
        (Some(a), Some(k)) if k.f != "broadcast" => {
            format!(" (its broadcast to {} at {} had no certain outcome)", a.node, secs(a))
        }
        _ => String::new(),
    };
    format!("value {value}, {known}, {absent}{seen}{sent}")
}
