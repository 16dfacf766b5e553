//! The figures of a judged run, typed ([`Report`]), and the short console [`summary`]: the
//! verdict and, for an invalid run, what went wrong in plain words. A report comes from this
//! workbench's [`Results`] or from the real Maelstrom's results (`crate::maelstrom`).

use super::results::Results;
use crate::core::checkers::latency::Latencies;
use crate::core::checkers::set_full::BroadcastCounts;
use crate::core::checkers::verdict::{Quantiles, Validity};
use crate::core::run::Notice;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// A judged run's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Top-level `valid?`.
    pub valid: Validity,
    /// Every reason for an invalid or unknown verdict, in plain words.
    pub problems: Vec<String>,
    /// Node misbehaviour the run noticed (bad lines, late replies).
    pub notices: Vec<Notice>,
    /// `net.servers.msgs-per-op`.
    pub msgs_per_op: Option<f64>,
    /// `net.servers.bytes-per-op` (none from the real Maelstrom, which does not weigh messages).
    pub bytes_per_op: Option<f64>,
    /// `net.servers.send-bytes` (none from the real Maelstrom).
    pub server_bytes: Option<u64>,
    /// Set-full (broadcast, g-set) stable latency in ms.
    pub stable_latency: Option<Quantiles<u64>>,
    /// Broadcast values by outcome.
    pub broadcast: Option<BroadcastCounts>,
    /// The latency of `ok` operations per `f` (`perf.latency`).
    pub latency: Latencies,
    /// The anomalies the workload's checker named (txn's `anomaly-types`, kafka's
    /// `bad-error-types`).
    pub anomalies: Vec<String>,
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
    /// What the nemesis did, in plain words (see `faults_in_words`); empty without one.
    pub faults: String,
    /// What a valid verdict rests little on (`evidence`), in plain words.
    pub weak_points: Vec<String>,
}

impl Report {
    /// The figures of this workbench's results.
    pub fn from_results(r: &Results, title: String, dir: PathBuf) -> Self {
        let workload = &r.checks.workload.result;
        let broadcast = workload.broadcast();
        Report {
            valid: r.valid(),
            problems: r.checks.problems(),
            notices: r.run.notices.clone(),
            msgs_per_op: r.msgs_per_op(),
            bytes_per_op: r.bytes_per_op(),
            server_bytes: Some(r.bytes.servers),
            stable_latency: workload.set_full().and_then(|b| b.stable_latency()),
            broadcast: broadcast.map(|b| b.counts()),
            latency: r.checks.latency.clone(),
            anomalies: workload.anomalies(),
            availability: r.checks.availability.result.ok_fraction,
            wall: r.run.wall,
            dir,
            seed: r.run.seed,
            title,
            messages: (r.net.servers.send, r.net.clients.send),
            faults: faults_in_words(&r.run.nemesis),
            weak_points: r.checks.weak_points(),
        }
    }
}

/// The nemesis log in plain words: `3 partitions; 2 kills (n1 twice, n3), each node restarted
/// with init; 1 pause (n2)`; empty when it did nothing.
pub fn faults_in_words(log: &[(Duration, String)]) -> String {
    let mut parts = Vec::new();
    let partitions = log.iter().filter(|(_, a)| a.starts_with("start-partition")).count();
    if partitions > 0 {
        parts.push(format!("{partitions} partition{}", if partitions == 1 { "" } else { "s" }));
    }
    for (start, noun, after) in
        [("kill ", "kill", ", each node restarted with init"), ("pause ", "pause", "")]
    {
        let mut victims: Vec<(&str, usize)> = Vec::new();
        let mut steps = 0;
        for (_, action) in log {
            let Some(nodes) = action.strip_prefix(start) else { continue };
            steps += 1;
            for n in nodes.split_whitespace() {
                match victims.iter_mut().find(|(v, _)| *v == n) {
                    Some((_, k)) => *k += 1,
                    None => victims.push((n, 1)),
                }
            }
        }
        if steps > 0 {
            victims.sort_unstable();
            let who: Vec<String> = victims
                .iter()
                .map(|(n, k)| match k {
                    1 => (*n).to_owned(),
                    2 => format!("{n} twice"),
                    k => format!("{n} {k} times"),
                })
                .collect();
            let plural = if steps == 1 { "" } else { "s" };
            parts.push(format!("{steps} {noun}{plural} ({}){after}", who.join(", ")));
        }
    }
    parts.join("; ")
}

/// The verdict's word.
pub fn word(v: Validity) -> &'static str {
    match v {
        Validity::Valid => "valid",
        Validity::Invalid => "INVALID",
        Validity::Unknown => "unknown",
    }
}

/// The console summary.
pub fn summary(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}: verdict: {}", r.title, word(r.valid));
    match r.msgs_per_op {
        Some(m) => {
            let _ = writeln!(s, "msgs-per-op (servers): {m:.2}");
        }
        None => {
            let _ = writeln!(s, "msgs-per-op (servers): n/a (no operations)");
        }
    }
    if let Some(b) = r.bytes_per_op {
        let per_msg = match (r.server_bytes, r.messages.0) {
            (Some(bytes), msgs) if msgs > 0 => format!(" ({:.0} per message)", bytes as f64 / msgs as f64),
            _ => String::new(),
        };
        let _ = writeln!(s, "bytes-per-op (servers): {b:.0}{per_msg}");
    }
    if let Some(q) = r.stable_latency {
        let _ = writeln!(s, "stable latency p50/p99/max: {}/{}/{} ms", q.p50, q.p99, q.max);
    }
    if let Some(b) = r.broadcast {
        let _ = writeln!(
            s,
            "broadcast values: {} sent, {} stable, {} lost, {} never read",
            b.sent, b.stable, b.lost, b.never_read
        );
    }
    let lat = r.latency.describe();
    if !lat.is_empty() {
        let _ = writeln!(s, "latency of ok operations: {}", lat.join("; "));
    }
    let _ = writeln!(s, "availability: {:.4}", r.availability);
    if !r.faults.is_empty() {
        let _ = writeln!(s, "faults: {}", r.faults);
    }
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
    if r.valid == Validity::Valid && !r.weak_points.is_empty() {
        let _ = writeln!(s, "the verdict rests on little (--strict would fail this run):");
        for w in &r.weak_points {
            let _ = writeln!(s, "  - {w}");
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
