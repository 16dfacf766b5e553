//! Checkers: each workload's own (docs/protocol.md §7) plus the sections every run gets — `stats`,
//! `availability`, `exceptions`, the latencies of `perf`, and `evidence`, how much the verdict
//! rests on (§8.1). Checkers are pure functions
//! of a [`History`] returning typed results ([`verdict`]); each result becomes its section of
//! `results.json` only when that file is written. Checkers know nothing of workloads.

pub(crate) mod echo;
pub(crate) mod evidence;
pub(crate) mod g_counter;
pub(crate) mod kafka;
pub(crate) mod latency;
pub(crate) mod linearizable;
pub(crate) mod set_full;
pub(crate) mod txn;
pub(crate) mod unique_ids;
pub mod verdict;

use crate::core::history::{Event, History, Kind};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use verdict::{Checked, Section, Validity};

/// What a workload's checker found, typed by workload.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkloadResult {
    /// `echo`.
    Echo(echo::EchoResult),
    /// `unique-ids`.
    UniqueIds(unique_ids::UniqueIdsResult),
    /// `broadcast`.
    Broadcast(set_full::BroadcastResult),
    /// `g-counter`.
    GCounter(g_counter::GCounterResult),
    /// `g-set`: Jepsen's set-full, as broadcast.
    GSet(set_full::BroadcastResult),
    /// `pn-counter`: the g-counter checker, deltas of either sign.
    PnCounter(g_counter::GCounterResult),
    /// `kafka`.
    Kafka(kafka::KafkaResult),
    /// `txn-rw-register`.
    Txn(txn::TxnResult),
    /// `lin-kv`.
    LinKv(linearizable::LinKvResult),
}

impl WorkloadResult {
    /// Broadcast's result, whose value counts the console shows.
    pub fn broadcast(&self) -> Option<&set_full::BroadcastResult> {
        match self {
            WorkloadResult::Broadcast(b) => Some(b),
            _ => None,
        }
    }

    /// The set-full result (broadcast, g-set), the only kind with stable latencies.
    pub fn set_full(&self) -> Option<&set_full::BroadcastResult> {
        match self {
            WorkloadResult::Broadcast(b) | WorkloadResult::GSet(b) => Some(b),
            _ => None,
        }
    }

    /// The anomalies the checker named: txn's `anomaly-types`, kafka's `bad-error-types`,
    /// `lost` for set-full, `final-read-out-of-range` for the counters, lin-kv's
    /// `nonlinearizable`.
    pub fn anomalies(&self) -> Vec<String> {
        match self {
            WorkloadResult::Kafka(k) => k.error_types.iter().map(|n| (*n).to_owned()).collect(),
            WorkloadResult::Txn(t) => t.anomaly_types().to_vec(),
            WorkloadResult::Broadcast(r) | WorkloadResult::GSet(r) if !r.lost.is_empty() => {
                vec!["lost".to_owned()]
            }
            WorkloadResult::GCounter(r) | WorkloadResult::PnCounter(r) if !r.errors.is_empty() => {
                vec!["final-read-out-of-range".to_owned()]
            }
            WorkloadResult::LinKv(l) => l.anomaly_types(),
            _ => Vec::new(),
        }
    }
}

impl Section for WorkloadResult {
    fn to_results_json(&self, valid: Validity) -> Value {
        match self {
            WorkloadResult::Echo(r) => r.to_results_json(valid),
            WorkloadResult::UniqueIds(r) => r.to_results_json(valid),
            WorkloadResult::Broadcast(r) => r.to_results_json(valid),
            WorkloadResult::GCounter(r) | WorkloadResult::PnCounter(r) => r.to_results_json(valid),
            WorkloadResult::GSet(r) => r.to_results_json(valid),
            WorkloadResult::Kafka(r) => r.to_results_json(valid),
            WorkloadResult::Txn(r) => r.to_results_json(valid),
            WorkloadResult::LinKv(r) => r.to_results_json(valid),
        }
    }
}

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

/// What a run is judged by besides its history: `--availability` and `--strict`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Criteria {
    /// `--availability`.
    pub availability: Availability,
    /// `--strict`: a valid verdict that rests on little (`evidence`) is not valid.
    pub strict: bool,
}

impl Criteria {
    /// Maelstrom's: no availability asked, not strict.
    pub const MAELSTROM: Criteria = Criteria { availability: Availability::Any, strict: false };
}

/// Completions of one kind of operation (or of all), by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Completions.
    pub count: u64,
    /// `ok` ones.
    pub ok: u64,
    /// `fail` ones.
    pub fail: u64,
    /// `info` ones.
    pub info: u64,
}

impl Counts {
    /// `{"valid?": ok > 0, "count", "ok-count", "fail-count", "info-count"}`.
    fn to_json(self) -> Value {
        json!({"valid?": self.ok > 0, "count": self.count, "ok-count": self.ok,
               "fail-count": self.fail, "info-count": self.info})
    }
}

/// What `:stats` found: completions overall and per `f`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Every completion.
    pub all: Counts,
    /// Completions per `f`.
    pub by_f: BTreeMap<String, Counts>,
}

impl Section for Stats {
    fn to_results_json(&self, valid: Validity) -> Value {
        let by_f: Map<String, Value> = self.by_f.iter().map(|(f, c)| (f.clone(), c.to_json())).collect();
        let mut result = self.all.to_json();
        if let Some(obj) = result.as_object_mut() {
            obj.insert("valid?".into(), valid.to_json());
            obj.insert("by-f".into(), Value::Object(by_f));
        }
        result
    }
}

/// `:stats` (§8.1): completions overall and per `f`; each `f` needs at least one `ok`.
pub fn stats(history: &History) -> Checked<Stats> {
    let mut s = Stats::default();
    // Kafka's client crashes are not operations on the system (§7.5): stats ignores them.
    for e in history.completions().filter(|e| e.f != "crash") {
        for c in [&mut s.all, s.by_f.entry(e.f.clone()).or_default()] {
            c.count += 1;
            match e.kind {
                Kind::Ok => c.ok += 1,
                Kind::Fail => c.fail += 1,
                _ => c.info += 1,
            }
        }
    }
    let problems: Vec<String> = s
        .by_f
        .iter()
        .filter(|(_, c)| c.ok == 0)
        .map(|(f, c)| format!("no {f} operation ever succeeded ({} attempted)", c.count))
        .collect();
    Checked { valid: Validity::from_ok(problems.is_empty()), result: s, problems }
}

/// What `:availability` found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AvailabilityResult {
    /// `ok` completions ÷ invocations (1 without invocations).
    pub ok_fraction: f64,
}

impl Section for AvailabilityResult {
    fn to_results_json(&self, valid: Validity) -> Value {
        json!({"valid?": valid.to_json(), "ok-fraction": self.ok_fraction})
    }
}

/// `:availability` (§5.4): `ok-fraction` = ok completions ÷ invocations.
pub fn availability(history: &History, want: Availability) -> Checked<AvailabilityResult> {
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
    Checked { valid: Validity::from_ok(ok), result: AvailabilityResult { ok_fraction: fraction }, problems }
}

/// One class of exception: how many, and the first message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionClass {
    /// Occurrences.
    pub count: u64,
    /// The first message of the class.
    pub example: String,
}

/// What `:exceptions` found: exception messages by class (the text before the first `:`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exceptions(pub BTreeMap<String, ExceptionClass>);

impl Exceptions {
    /// The `exceptions` section, always valid.
    pub fn to_results_json(&self) -> Value {
        if self.0.is_empty() {
            return json!({"valid?": true});
        }
        let list: Vec<Value> = self
            .0
            .iter()
            .map(|(class, c)| json!({"class": class, "count": c.count, "example": c.example}))
            .collect();
        json!({"valid?": true, "exceptions": list})
    }
}

/// `:exceptions`: exception messages grouped by class.
pub fn exceptions(history: &History) -> Exceptions {
    let mut by_class: BTreeMap<String, ExceptionClass> = BTreeMap::new();
    for e in history.completions() {
        if let Some(x) = &e.exception {
            let class = x.split(':').next().unwrap_or("exception").to_owned();
            by_class.entry(class).or_insert_with(|| ExceptionClass { count: 0, example: x.clone() }).count +=
                1;
        }
    }
    Exceptions(by_class)
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
mod tests;
