//! Many seeds: each seed is one whole simulated run, judged in memory; workers take seeds in
//! turn on every core, and the results come back in seed order with a table across them.

use super::{simulate, Factory, Replay, Stuck};
use crate::core::checkers::verdict::{Quantiles, Validity};
use crate::core::checkers::Criteria;
use crate::core::history::Kind;
use crate::core::run::{Failure, Run, RunConfig};
use crate::output::verdict::{self, TimeBase};
use glomers_engine::driver::{Clock, Driver};
use glomers_harness::Rng;
use std::collections::HashMap;
use std::fmt;
use std::fmt::Write as _;
use std::ops::RangeInclusive;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a simulation needs besides the seed.
#[derive(Clone)]
pub struct Spec {
    /// The run, its seed included (replaced per seed).
    pub run: RunConfig,
    /// `--availability` and `--strict`.
    pub criteria: Criteria,
    /// Makes each node.
    pub node: Factory,
    /// How a seed of it is replayed.
    pub replay: Replay,
}

impl Spec {
    /// A fresh run and its nodes for `seed`.
    pub fn start(&self, seed: u64) -> (Run, Vec<Box<dyn Driver>>) {
        let mut cfg = self.run.clone();
        cfg.seed = seed;
        let clocks = cfg.faults.clocks(cfg.nodes.len(), seed);
        let nodes =
            (0..cfg.nodes.len()).map(|i| (self.node)(clocks.get(i).copied().unwrap_or_default())).collect();
        (Run::start(cfg, Duration::ZERO), nodes)
    }

    /// What makes node `i` afresh after each kill in the run seeded `seed`: its clock as
    /// before, with a boot id drawn from a stream of its own (so restarts change nothing else
    /// about the run).
    pub fn restarts(&self, seed: u64) -> impl FnMut(usize) -> Box<dyn Driver> + '_ {
        let clocks = self.run.faults.clocks(self.run.nodes.len(), seed);
        let mut boots = Rng::new(seed ^ 0xb007_1d5e);
        move |i| {
            let clock = clocks.get(i).copied().unwrap_or_default();
            (self.node)(Clock { boot: boots.next_u64(), ..clock })
        }
    }
}

/// Why a seed's run has no verdict.
#[derive(Debug, Clone, PartialEq)]
pub enum SeedCrash {
    /// The simulator could not go on.
    Stuck(Stuck),
    /// The run aborted: init or setup failed.
    Aborted(Failure),
}

impl fmt::Display for SeedCrash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeedCrash::Stuck(stuck) => stuck.fmt(f),
            SeedCrash::Aborted(failure) => failure.fmt(f),
        }
    }
}

impl std::error::Error for SeedCrash {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SeedCrash::Stuck(stuck) => Some(stuck),
            SeedCrash::Aborted(failure) => Some(failure),
        }
    }
}

/// The outcome of one seed.
#[derive(Debug, Clone)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// The command that replays it.
    pub replay: String,
    /// The verdict, or why the run has none (it crashed).
    pub verdict: Result<Validity, SeedCrash>,
    /// The first reason for a verdict other than valid, on one line.
    pub cause: Option<String>,
    /// The anomalies the checker named (`anomaly-types` or `bad-error-types` in results.json).
    pub anomalies: Vec<String>,
    /// `net.servers.msgs-per-op`.
    pub msgs_per_op: Option<f64>,
    /// `availability.ok-fraction`: the fraction of operations that succeeded.
    pub availability: Option<f64>,
    /// `net.servers.bytes-per-op`.
    pub bytes_per_op: Option<f64>,
    /// Broadcast stable latency (ms).
    pub stable_latency: Option<Quantiles<u64>>,
    /// Operation latency (invoke to completion) p50 and p99, in ms.
    pub op_latency: Option<(f64, f64)>,
    /// How many of the workload's headline operations (`echo`, `add`, `send`, …) succeeded: a run
    /// that issued nothing is valid, and this tells it apart.
    pub headline_ok: usize,
    /// Wall time this seed took.
    pub wall: Duration,
}

impl SeedResult {
    /// Whether the seed's verdict is valid.
    pub fn is_valid(&self) -> bool {
        matches!(self.verdict, Ok(Validity::Valid))
    }
}

/// Simulates one seed and judges it in memory.
pub fn run_seed(spec: &Spec, seed: u64) -> SeedResult {
    let start = Instant::now();
    let (mut run, mut nodes) = spec.start(seed);
    let outcome = simulate(&mut run, &mut nodes, spec.restarts(seed), drop, |_, _| {})
        .map_err(SeedCrash::Stuck)
        .and_then(|_| {
            let judged =
                verdict::judge(&run, spec.criteria, start.elapsed(), Path::new(""), TimeBase::Virtual)
                    .map_err(SeedCrash::Aborted)?;
            Ok(judged.report)
        });
    let wall = start.elapsed();
    match outcome {
        Ok(r) => SeedResult {
            seed,
            replay: spec.replay.command(seed),
            verdict: Ok(r.valid),
            cause: (r.valid != Validity::Valid)
                .then(|| r.problems.first().cloned().or_else(|| r.notices.first().map(|n| n.text.clone())))
                .flatten()
                .map(|c| one_line(&c)),
            anomalies: r.anomalies,
            msgs_per_op: r.msgs_per_op,
            availability: Some(r.availability),
            bytes_per_op: r.bytes_per_op,
            stable_latency: r.stable_latency,
            op_latency: op_latency(&run),
            headline_ok: r.latency.0.get(spec.run.workload.headline_op()).map_or(0, |l| l.count),
            wall,
        },
        Err(e) => SeedResult {
            seed,
            replay: spec.replay.command(seed),
            cause: Some(one_line(&e.to_string())),
            verdict: Err(e),
            anomalies: Vec::new(),
            msgs_per_op: None,
            availability: None,
            bytes_per_op: None,
            stable_latency: None,
            op_latency: None,
            headline_ok: 0,
            wall,
        },
    }
}

fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    let mut cut: String = line.chars().take(160).collect();
    if cut.len() < line.len() {
        cut.push('…');
    }
    cut
}

/// Operation latency p50 and p99 over the main phase's completed operations, in ms.
fn op_latency(run: &Run) -> Option<(f64, f64)> {
    let mut open: HashMap<u64, Duration> = HashMap::new();
    let mut lat = Vec::new();
    for e in &run.history().events {
        match e.kind {
            Kind::Invoke => {
                open.insert(e.process, e.time);
            }
            Kind::Ok | Kind::Fail | Kind::Info => {
                if let Some(t) = open.remove(&e.process) {
                    lat.push(e.time.saturating_sub(t).as_secs_f64() * 1000.0);
                }
            }
        }
    }
    lat.sort_by(f64::total_cmp);
    Some((quantile(&lat, 0.5)?, quantile(&lat, 0.99)?))
}

/// The `q` quantile of sorted values (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let i = ((q * n as f64).ceil() as usize).clamp(1, n) - 1;
    sorted.get(i).copied()
}

/// Simulates every seed of `seeds` on `jobs` threads; results in seed order. `progress` is
/// called after each seed with how many are done.
pub fn run_seeds(
    spec: &Spec,
    seeds: RangeInclusive<u64>,
    jobs: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<SeedResult> {
    let next = AtomicU64::new(*seeds.start());
    let done = AtomicU64::new(0);
    let out = Mutex::new(Vec::new());
    let last = *seeds.end();
    if seeds.is_empty() {
        return Vec::new();
    }
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed > last || seed < *seeds.start() {
                    break;
                }
                let r = run_seed(spec, seed);
                if let Ok(mut v) = out.lock() {
                    v.push(r);
                }
                progress(done.fetch_add(1, Ordering::Relaxed) + 1);
            });
        }
    });
    let mut v = out.into_inner().unwrap_or_default();
    v.sort_by_key(|r| r.seed);
    v
}

/// The table across seeds: how many ran, each failure with its seed, cause and replay command,
/// and the distributions of msgs-per-op, bytes-per-op and latency across seeds.
pub fn table(results: &[SeedResult], wall: Duration) -> String {
    let mut s = String::new();
    let valid = results.iter().filter(|r| r.is_valid()).count();
    let crashed = results.iter().filter(|r| r.verdict.is_err()).count();
    let _ = writeln!(
        s,
        "seeds run: {}, valid: {valid}, not valid: {}, crashed: {crashed} ({:.2} s wall)",
        results.len(),
        results.len() - valid - crashed,
        wall.as_secs_f64()
    );
    let dist = |name: &str, values: Vec<f64>, unit: &str, s: &mut String| {
        let mut v = values;
        v.sort_by(f64::total_cmp);
        if let (Some(min), Some(p50), Some(p95), Some(max)) =
            (v.first(), quantile(&v, 0.5), quantile(&v, 0.95), v.last())
        {
            let _ = writeln!(
                s,
                "{name:<28} min {min:>9.2}  p50 {p50:>9.2}  p95 {p95:>9.2}  max {max:>9.2} {unit}"
            );
        }
    };
    let _ = writeln!(s, "across seeds:");
    dist("msgs-per-op (servers)", results.iter().filter_map(|r| r.msgs_per_op).collect(), "", &mut s);
    dist("availability", results.iter().filter_map(|r| r.availability).collect(), "", &mut s);
    dist("bytes-per-op (servers)", results.iter().filter_map(|r| r.bytes_per_op).collect(), "", &mut s);
    dist("op latency p50", results.iter().filter_map(|r| r.op_latency.map(|l| l.0)).collect(), "ms", &mut s);
    dist("op latency p99", results.iter().filter_map(|r| r.op_latency.map(|l| l.1)).collect(), "ms", &mut s);
    let stable = |f: fn(Quantiles<u64>) -> u64| -> Vec<f64> {
        results.iter().filter_map(|r| r.stable_latency.map(|l| f(l) as f64)).collect()
    };
    dist("stable latency p50", stable(|l| l.p50), "ms", &mut s);
    dist("stable latency p99", stable(|l| l.p99), "ms", &mut s);
    dist("stable latency max", stable(|l| l.max), "ms", &mut s);
    dist("wall per seed", results.iter().map(|r| r.wall.as_secs_f64() * 1000.0).collect(), "ms", &mut s);
    let failures: Vec<&SeedResult> = results.iter().filter(|r| !r.is_valid()).collect();
    if !failures.is_empty() {
        let _ = writeln!(s, "failures:");
        for r in failures.iter().take(20) {
            let word = match &r.verdict {
                Ok(v) => verdict::word(*v),
                Err(_) => "crashed",
            };
            let _ = writeln!(
                s,
                "  seed {}: {word}: {}",
                r.seed,
                r.cause.as_deref().unwrap_or("(no reason given)")
            );
            let _ = writeln!(s, "    replay: {}", r.replay);
        }
        if failures.len() > 20 {
            let _ = writeln!(s, "  … and {} more", failures.len() - 20);
        }
    }
    s
}
