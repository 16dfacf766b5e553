//! The run over time, computed from the history and the nemesis log: operations with their
//! latencies, partition intervals, and per-second quantiles and throughput.

use crate::core::history::{History, Kind};
use serde_json::Value;
use std::collections::BTreeMap;

/// How an operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// It happened.
    Ok,
    /// It certainly did not.
    Fail,
    /// Unknown (timeout or indefinite error).
    Info,
}

impl Outcome {
    /// How a completion of `kind` ended (an invocation is no outcome; it reads as info).
    pub fn of(kind: Kind) -> Outcome {
        match kind {
            Kind::Ok => Outcome::Ok,
            Kind::Fail => Outcome::Fail,
            _ => Outcome::Info,
        }
    }

    /// Jepsen's word.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Fail => "fail",
            Outcome::Info => "info",
        }
    }
}

/// One completed client operation, as a point of the latency plot.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Index of its invocation in the history.
    pub invoke: usize,
    /// The operation's function.
    pub f: String,
    /// Invocation time, seconds since the run began.
    pub start_s: f64,
    /// Completion time minus invocation time, in ms.
    pub latency_ms: f64,
    /// How it ended.
    pub outcome: Outcome,
}

/// Every completed operation; operations never completed are left out.
pub fn points(history: &History) -> Vec<Point> {
    history
        .pairs()
        .into_iter()
        .filter_map(|p| {
            let c = p.complete?;
            let outcome = Outcome::of(c.kind);
            Some(Point {
                invoke: p.invoke.index,
                f: p.invoke.f.clone(),
                start_s: p.invoke.time.as_secs_f64(),
                latency_ms: c.time.saturating_sub(p.invoke.time).as_secs_f64() * 1e3,
                outcome,
            })
        })
        .collect()
}

/// A fault interval: a partition from its start to its heal, or nodes from their kill to their
/// restart or from their pause to their resume, in seconds, with the nemesis's description.
#[derive(Debug, Clone, PartialEq)]
pub struct Partition {
    /// The fault: `partition`, `kill` or `pause`.
    pub kind: &'static str,
    /// When it began.
    pub start_s: f64,
    /// When it healed.
    pub end_s: f64,
    /// Its shape, e.g. `majorities-ring: n0 drops n2,n4; …`, or the nodes, e.g. `n1 n3`.
    pub what: String,
}

/// The fault kinds and the words of the nemesis log that start and end them.
const KINDS: [(&str, &str, &str); 3] = [
    ("partition", "start-partition", "stop-partition"),
    ("kill", "kill ", "restart "),
    ("pause", "pause ", "resume "),
];

/// The fault intervals in `results.glomers.nemesis`, in order of their starts; one still
/// open ends at `end_s`.
pub fn partitions(results: &Value, end_s: f64) -> Vec<Partition> {
    let mut out = Vec::new();
    let mut open: [Option<(f64, String)>; 3] = Default::default();
    for step in results["glomers"]["nemesis"].as_array().into_iter().flatten() {
        let t = step["time"].as_u64().unwrap_or(0) as f64 / 1e9;
        let action = step["action"].as_str().unwrap_or("");
        for ((kind, start, stop), slot) in KINDS.iter().zip(open.iter_mut()) {
            let begins = action.strip_prefix(start);
            if begins.is_some() || action.starts_with(stop) {
                if let Some((s, w)) = slot.take() {
                    out.push(Partition { kind, start_s: s, end_s: t, what: w });
                }
                *slot = begins.map(|what| (t, what.trim().to_owned()));
            }
        }
    }
    for ((kind, _, _), slot) in KINDS.iter().zip(open) {
        if let Some((s, w)) = slot {
            out.push(Partition { kind, start_s: s, end_s: end_s.max(s), what: w });
        }
    }
    out.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    out
}

/// Jepsen's quantile of sorted values: `s[min(n-1, floor(n·q))]`.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let i = ((sorted.len() as f64 * q).floor() as usize).min(sorted.len().checked_sub(1)?);
    sorted.get(i).copied()
}

/// Latency quantiles of one second.
#[derive(Debug, Clone, PartialEq)]
pub struct Second {
    /// The second (its start).
    pub t: f64,
    /// p50, p95, p99 and max, in ms.
    pub q: [f64; 4],
}

/// The quantiles p50/p95/p99/max of the latencies of operations invoked in each second, over
/// operations with a definite outcome (ok or fail; an info's latency is only the timeout).
pub fn quantiles_per_second(points: &[Point]) -> Vec<Second> {
    let mut by: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for p in points.iter().filter(|p| p.outcome != Outcome::Info) {
        by.entry(p.start_s as u64).or_default().push(p.latency_ms);
    }
    by.into_iter()
        .filter_map(|(s, mut v)| {
            v.sort_by(f64::total_cmp);
            let q = |x| quantile(&v, x);
            Some(Second { t: s as f64, q: [q(0.5)?, q(0.95)?, q(0.99)?, q(1.0)?] })
        })
        .collect()
}

/// Completions per second (by invocation second) for each function, all outcomes together.
pub fn throughput(points: &[Point]) -> BTreeMap<String, Vec<u64>> {
    let mut out: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for p in points {
        let s = p.start_s as usize;
        let v = out.entry(p.f.clone()).or_default();
        if v.len() <= s {
            v.resize(s + 1, 0);
        }
        if let Some(c) = v.get_mut(s) {
            *c += 1;
        }
    }
    out
}
