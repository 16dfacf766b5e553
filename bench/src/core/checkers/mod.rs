//! Checkers: each workload's own (MAELSTROM.md §7) plus the sections every run gets — `stats`,
//! `availability` and `exceptions` (§8.1). Checkers are pure functions of a [`History`].

pub mod echo;
pub mod g_counter;
pub mod kafka;
pub mod latency;
pub mod set_full;
pub mod txn;
pub mod unique_ids;

use crate::core::history::{Event, History, Kind};
use crate::core::workloads::{Checked, Validity};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// `--availability`: none, `total`, or a minimum fraction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Availability {
    /// Always valid.
    Any,
    /// Every operation must be `ok`.
    Total,
    /// `ok-fraction` must reach this.
    AtLeast(f64),
}

/// `:stats` (§8.1): completions overall and per `f`; each `f` needs at least one `ok`.
pub fn stats(history: &History) -> Checked {
    #[derive(Default)]
    struct C {
        count: u64,
        ok: u64,
        fail: u64,
        info: u64,
    }
    let mut all = C::default();
    let mut by_f: BTreeMap<&str, C> = BTreeMap::new();
    // Kafka's client crashes are not operations on the system (§7.5): stats ignores them.
    for e in history.completions().filter(|e| e.f != "crash") {
        for c in [&mut all, by_f.entry(e.f.as_str()).or_default()] {
            c.count += 1;
            match e.kind {
                Kind::Ok => c.ok += 1,
                Kind::Fail => c.fail += 1,
                _ => c.info += 1,
            }
        }
    }
    let section = |c: &C| {
        json!({"valid?": c.ok > 0, "count": c.count, "ok-count": c.ok,
               "fail-count": c.fail, "info-count": c.info})
    };
    let mut problems = Vec::new();
    let mut m = Map::new();
    for (f, c) in &by_f {
        if c.ok == 0 {
            problems.push(format!("no {f} operation ever succeeded ({} attempted)", c.count));
        }
        m.insert((*f).to_owned(), section(c));
    }
    let valid = if problems.is_empty() { Validity::Valid } else { Validity::Invalid };
    let mut result = section(&all);
    if let Some(obj) = result.as_object_mut() {
        obj.insert("valid?".into(), valid.to_json());
        obj.insert("by-f".into(), Value::Object(m));
    }
    Checked { valid, result, problems }
}

/// `:availability` (§5.4): `ok-fraction` = ok completions ÷ invocations.
pub fn availability(history: &History, want: Availability) -> Checked {
    let invokes = history.events.iter().filter(|e| e.kind == Kind::Invoke).count();
    let oks = history.events.iter().filter(|e| e.kind == Kind::Ok).count();
    let fraction = if invokes == 0 { 1.0 } else { oks as f64 / invokes as f64 };
    let ok = match want {
        Availability::Any => true,
        Availability::Total => oks == invokes,
        Availability::AtLeast(p) => fraction >= p,
    };
    let problems = if ok {
        Vec::new()
    } else {
        let first_bad = history.completions().find(|e| e.kind != Kind::Ok);
        vec![format!(
            "availability {:.4} is below the required {}: {} of {invokes} operations did not succeed{}",
            fraction,
            match want {
                Availability::AtLeast(p) => p.to_string(),
                _ => "1 (total)".to_owned(),
            },
            invokes - oks,
            first_bad.map(|e| format!(", the first: {}", describe_outcome(e))).unwrap_or_default()
        )]
    };
    let valid = if ok { Validity::Valid } else { Validity::Invalid };
    Checked { valid, result: json!({"valid?": ok, "ok-fraction": fraction}), problems }
}

/// `:exceptions`: exception messages grouped by class (the text before the first `:`).
pub fn exceptions(history: &History) -> Value {
    let mut by_class: BTreeMap<String, (u64, String)> = BTreeMap::new();
    for e in history.completions() {
        if let Some(x) = &e.exception {
            let class = x.split(':').next().unwrap_or("exception").to_owned();
            by_class.entry(class).or_insert((0, x.clone())).0 += 1;
        }
    }
    if by_class.is_empty() {
        return json!({"valid?": true});
    }
    let list: Vec<Value> = by_class
        .into_iter()
        .map(|(class, (count, example))| json!({"class": class, "count": count, "example": example}))
        .collect();
    json!({"valid?": true, "exceptions": list})
}

/// Seconds since the origin, for messages: `4.2 s`.
pub fn secs(e: &Event) -> String {
    format!("{:.1} s", e.time.as_secs_f64())
}

/// How an operation ended, in plain words: `echo info from n1 at 5.0 s: no reply within 5 s`.
pub fn describe_outcome(e: &Event) -> String {
    let why = match (&e.exception, &e.error) {
        (Some(x), _) => format!(": {x}"),
        (None, Some(err)) if err == "net-timeout" => ": no reply within 5 s".to_owned(),
        (None, Some(err)) => format!(": error {err}"),
        _ => String::new(),
    };
    format!("{} {} from {} at {}{}", e.f, e.kind.name(), e.node, secs(e), why)
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
