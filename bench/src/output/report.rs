//! Judging a finished run and reporting it: `results.json` with Maelstrom's names and nesting
//! (MAELSTROM.md §8.1), and the short console summary with the verdict and, for an invalid run,
//! what went wrong in plain words.

use crate::core::checkers::{self, Availability};
use crate::core::history::Kind;
use crate::core::run::{Notice, Run};
use crate::core::workloads::Validity;
use glomers_harness::net::Counts;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// A judged run.
#[derive(Debug, Clone)]
pub struct Report {
    /// Top-level `valid?`.
    pub valid: Validity,
    /// The whole results map.
    pub results: Value,
    /// Every reason for an invalid or unknown verdict, in plain words.
    pub problems: Vec<String>,
    /// Node misbehaviour the run noticed (bad lines, late replies).
    pub notices: Vec<Notice>,
    /// `net.servers.msgs-per-op`.
    pub msgs_per_op: Option<f64>,
    /// Broadcast stable latency p50, p99 and max in ms.
    pub stable_latency: Option<(u64, u64, u64)>,
    /// `availability.ok-fraction`.
    pub availability: f64,
    /// Wall time of the whole test.
    pub wall: Duration,
    /// Where the results are.
    pub dir: PathBuf,
    /// The seed, for a replay.
    pub seed: u64,
    /// Workload name and node count, for the summary's first line.
    pub title: String,
    /// Messages sent: (servers, clients).
    pub messages: (u64, u64),
}

fn net_section(c: Counts, invokes: u64, per_op: bool) -> Value {
    let mut v = json!({"send-count": c.send, "recv-count": c.recv, "msg-count": c.send});
    if per_op {
        if let Some(o) = v.as_object_mut() {
            let mpo = if invokes == 0 { Value::Null } else { json!(c.send as f64 / invokes as f64) };
            o.insert("msgs-per-op".into(), mpo);
        }
    }
    v
}

/// Runs every checker over a finished run.
pub fn judge(run: &Run, want: Availability, wall: Duration, dir: PathBuf) -> Report {
    let history = run.history();
    let invokes = history.events.iter().filter(|e| e.kind == Kind::Invoke).count() as u64;
    let workload = run.workload().check(history);
    let stats = checkers::stats(history);
    let avail = checkers::availability(history, want);
    let net = run.net_stats();
    let valid = workload.valid.and(stats.valid).and(avail.valid);
    let nemesis: Vec<Value> = run
        .nemesis_log()
        .iter()
        .map(|(t, what)| json!({"time": t.as_nanos() as u64, "action": what}))
        .collect();
    let notices: Vec<Value> = run
        .notices()
        .iter()
        .map(|n| json!({"time": n.at.as_nanos() as u64, "node": n.node, "text": n.text}))
        .collect();
    let results = json!({
        "perf": {"valid?": true, "latency": checkers::latency::by_f(history)},
        "timeline": {"valid?": true},
        "exceptions": checkers::exceptions(history),
        "stats": stats.result,
        "availability": avail.result,
        "net": {
            "all": net_section(net.all, invokes, true),
            "clients": net_section(net.clients, invokes, false),
            "servers": net_section(net.servers, invokes, true),
            "valid?": true,
        },
        "workload": workload.result,
        "valid?": valid.to_json(),
        "glomers": {
            "seed": run.config().seed,
            "wall-time": wall.as_secs_f64(),
            "nemesis": nemesis,
            "notices": notices,
        },
    });
    let lat = &results["workload"]["stable-latencies"];
    let stable_latency = match (lat["0.5"].as_u64(), lat["0.99"].as_u64(), lat["1"].as_u64()) {
        (Some(a), Some(b), Some(c)) => Some((a, b, c)),
        _ => None,
    };
    let mut problems = workload.problems;
    problems.extend(stats.problems);
    problems.extend(avail.problems);
    Report {
        valid,
        msgs_per_op: results["net"]["servers"]["msgs-per-op"].as_f64(),
        availability: results["availability"]["ok-fraction"].as_f64().unwrap_or(0.0),
        results,
        problems,
        notices: run.notices().to_vec(),
        stable_latency,
        wall,
        dir,
        seed: run.config().seed,
        title: format!("{} on {} node(s)", run.config().workload, run.config().nodes.len()),
        messages: (net.servers.send, net.clients.send),
    }
}

/// The p50, p99 and max latency in ms of `ok` operations `f`, from `perf.latency`.
pub fn op_latency(r: &Report, f: &str) -> Option<(f64, f64, f64)> {
    let l = &r.results["perf"]["latency"][f];
    Some((l["0.5"].as_f64()?, l["0.99"].as_f64()?, l["1"].as_f64()?))
}

/// The verdict's word.
pub fn verdict(v: Validity) -> &'static str {
    match v {
        Validity::Valid => "valid",
        Validity::Invalid => "INVALID",
        Validity::Unknown => "unknown",
    }
}

/// The console summary.
pub fn summary(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}: verdict: {}", r.title, verdict(r.valid));
    match r.msgs_per_op {
        Some(m) => {
            let _ = writeln!(s, "msgs-per-op (servers): {m:.2}");
        }
        None => {
            let _ = writeln!(s, "msgs-per-op (servers): n/a (no operations)");
        }
    }
    if let Some((p50, p99, max)) = r.stable_latency {
        let _ = writeln!(s, "stable latency p50/p99/max: {p50}/{p99}/{max} ms");
    }
    let w = &r.results["workload"];
    if let (Some(n), Some(stable), Some(lost), Some(never)) = (
        w["attempt-count"].as_u64(),
        w["stable-count"].as_u64(),
        w["lost-count"].as_u64(),
        w["never-read-count"].as_u64(),
    ) {
        let _ = writeln!(s, "broadcast values: {n} sent, {stable} stable, {lost} lost, {never} never read");
    }
    let lat = checkers::latency::describe(&r.results["perf"]["latency"]);
    if !lat.is_empty() {
        let _ = writeln!(s, "latency of ok operations: {}", lat.join("; "));
    }
    let _ = writeln!(s, "availability: {:.4}", r.availability);
    let _ = writeln!(s, "wall time: {:.1} s", r.wall.as_secs_f64());
    let (servers, clients) = r.messages;
    let per_s = (servers + clients) as f64 / r.wall.as_secs_f64().max(1e-9);
    let _ = writeln!(s, "messages: {servers} between servers, {clients} with clients ({per_s:.0}/s routed)");
    let _ = writeln!(s, "seed: {} (rerun with --seed {})", r.seed, r.seed);
    let _ = writeln!(s, "results: {}", r.dir.display());
    if !r.notices.is_empty() {
        let _ = writeln!(s, "node problems:");
        for n in &r.notices {
            let _ = writeln!(s, "  at {:.1} s: {}", n.at.as_secs_f64(), n.text);
        }
    }
    if r.valid != Validity::Valid && !r.problems.is_empty() {
        let _ = writeln!(s, "why:");
        for p in r.problems.iter().take(10) {
            let _ = writeln!(s, "  - {p}");
        }
        if r.problems.len() > 10 {
            let _ = writeln!(s, "  … and {} more (see results.json)", r.problems.len() - 10);
        }
    }
    s
}
