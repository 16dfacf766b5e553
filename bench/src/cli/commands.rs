//! The `test`, `challenge`, `challenges`, `report`, `check` and `serve` commands: argument checks,
//! repeated runs, the challenge table. Each returns an [`Outcome`] or the [`BenchError`] that
//! stopped it; `main` turns either into the exit code.

use crate::cli::challenge::{self, Challenge};
use crate::cli::config::TestArgs;
use crate::cli::error::{warn, BenchError};
use crate::cli::outcome::Outcome;
use crate::cli::stdout;
use crate::core::checkers::verdict::Validity;
use crate::core::run::TestConfig;
use crate::output::html;
use crate::output::verdict::{self, Report};
use crate::shell::session::run_test;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// A seed from the clock, for runs without `--seed`.
pub fn clock_seed() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64) % 1_000_000_000
}

/// Runs `cfg` up to `--test-count` times; returns the last report.
fn run_tests(cfg: &TestConfig) -> Result<Report, BenchError> {
    crate::shell::process::check_binary(&cfg.bin).map_err(BenchError::Binary)?;
    let mut k = 0;
    loop {
        let mut cfg = cfg.clone();
        cfg.run.seed = cfg.run.seed.wrapping_add(u64::from(k));
        eprintln!("glomers-bench: {}", cfg.run.describe());
        let r = run_test(&cfg, true).map_err(|crash| BenchError::Aborted { crash, replay: None })?;
        k += 1;
        if r.valid != Validity::Valid || k >= cfg.test_count {
            return Ok(r);
        }
        stdout::print(&verdict::summary(&r));
    }
}

/// `glomers-bench test`.
///
/// # Errors
/// Bad flags, a binary that cannot run, or a run that crashed.
pub fn test(args: &TestArgs) -> Result<Outcome, BenchError> {
    let r = run_tests(&args.validate(clock_seed())?)?;
    stdout::print(&verdict::summary(&r));
    Ok(r.valid.into())
}

/// A challenge's outcome, for one row of the table.
enum Row {
    Judged {
        verdict: Validity,
        report: Box<Report>,
        why: Vec<String>,
        wall: f64,
    },
    /// It could not be judged: its binary is not built, or a run crashed.
    Failed(BenchError),
}

impl Row {
    /// What the row adds to the table's outcome; a binary not built is left out, so the
    /// table can be run with some nodes missing.
    fn outcome(&self) -> Outcome {
        match self {
            Row::Judged { verdict, .. } => (*verdict).into(),
            Row::Failed(BenchError::NotBuilt(_)) => Outcome::Valid,
            Row::Failed(e) => e.outcome(),
        }
    }
}

/// Who runs a challenge: this workbench, or the real Maelstrom at a path.
#[derive(Clone, Copy)]
pub enum Runner<'a> {
    /// `glomers-bench test`, results under this store.
    Bench(&'a Path),
    /// `maelstrom test` (results under `store/` in the current directory).
    Maelstrom(&'a Path),
}

fn run_challenge(c: &Challenge, bin: &Path, runner: Runner<'_>) -> Row {
    match judge_challenge(c, bin, runner) {
        Ok(row) => row,
        Err(e) => Row::Failed(e),
    }
}

fn judge_challenge(c: &Challenge, bin: &Path, runner: Runner<'_>) -> Result<Row, BenchError> {
    if crate::shell::process::check_binary(bin).is_err() {
        return Err(BenchError::NotBuilt(bin.to_path_buf()));
    }
    let start = Instant::now();
    let mut last = None;
    for spec in c.runs {
        let r = match runner {
            Runner::Bench(store) => {
                let mut run = spec.run_args(c.workload);
                run.store = store.to_path_buf();
                let setup = run.validate(clock_seed())?;
                run_tests(&TestConfig::new(setup, bin.to_path_buf(), Vec::new(), 1))?
            }
            // A run with a flag of glomers-bench's own is left to the workbench.
            Runner::Maelstrom(_) if spec.is_bench_only() => continue,
            Runner::Maelstrom(maelstrom) => {
                crate::maelstrom::run(maelstrom, c.workload, bin, &spec.to_argv())
                    .map_err(BenchError::Maelstrom)?
            }
        };
        stdout::print(&verdict::summary(&r));
        let (verdict, why) = match &c.targets {
            Some(t) => challenge::targets_verdict(t, &r),
            None => (r.valid, Vec::new()),
        };
        let stop = verdict != Validity::Valid;
        last = Some((verdict, r, why));
        if stop {
            break;
        }
    }
    let (verdict, report, why) = last.expect("every row has a run that is not bench-only");
    Ok(Row::Judged { verdict, report: Box::new(report), why, wall: start.elapsed().as_secs_f64() })
}

fn default_bin(c: &Challenge) -> PathBuf {
    Path::new("target/release").join(c.workload.default_node())
}

/// `glomers-bench challenge ID`.
///
/// # Errors
/// An unknown challenge, a binary not built, bad flags, or a run that crashed.
pub fn challenge(id: &str, bin: Option<PathBuf>, runner: Runner<'_>) -> Result<Outcome, BenchError> {
    let c = challenge::find(id).ok_or_else(|| BenchError::UnknownChallenge(id.to_owned()))?;
    let bin = bin.unwrap_or_else(|| default_bin(c));
    eprintln!("glomers-bench: challenge {} ({}) with {}", c.id, c.name, bin.display());
    match run_challenge(c, &bin, runner) {
        Row::Judged { verdict, why, report, .. } => {
            if let Some(t) = &c.targets {
                stdout::println(&format!("targets: {}", challenge::against_targets(t, &report)));
            }
            for w in &why {
                stdout::println(&format!("target missed: {w}"));
            }
            stdout::println(&format!("challenge {}: {}", c.id, verdict::word(verdict)));
            Ok(verdict.into())
        }
        Row::Failed(e) => Err(e),
    }
}

/// The table's columns of one row: verdict, msgs-per-op, bytes-per-op (servers; `-` from the
/// real Maelstrom, which does not weigh messages), latency, availability, wall.
fn columns(c: &Challenge, row: &Row) -> [String; 6] {
    let dash = || "-".to_owned();
    match row {
        Row::Judged { verdict, report, wall, .. } => [
            verdict::word(*verdict).to_owned(),
            report.msgs_per_op.map_or("n/a".into(), |m| format!("{m:.2}")),
            report.bytes_per_op.map_or_else(dash, |b| format!("{b:.0}")),
            match report.stable_latency {
                Some(q) => format!("{}/{}/{} ms", q.p50, q.p99, q.max),
                None => report
                    .latency
                    .quantiles(c.workload.headline_op())
                    .map_or_else(dash, |q| format!("{:.1}/{:.1}/{:.0} ms", q.p50, q.p99, q.max)),
            },
            format!("{:.4}", report.availability),
            format!("{wall:.1} s"),
        ],
        Row::Failed(BenchError::NotBuilt(_)) => ["not built".into(), dash(), dash(), dash(), dash(), dash()],
        Row::Failed(_) => ["crashed".into(), dash(), dash(), dash(), dash(), dash()],
    }
}

/// `glomers-bench challenges`: every challenge in order, then one table.
///
/// # Errors
/// None of its own: each challenge's failure is a row of the table.
pub fn challenges(bin_dir: &Path, runner: Runner<'_>) -> Result<Outcome, BenchError> {
    let mut rows = Vec::new();
    for c in &challenge::ALL {
        eprintln!("glomers-bench: challenge {} ({})", c.id, c.name);
        rows.push((c, run_challenge(c, &bin_dir.join(c.workload.default_node()), runner)));
    }
    let line = |cols: [&str; 8]| {
        let [id, name, verdict, mpo, bpo, lat, avail, wall] = cols;
        stdout::println(&format!(
            "{id:<15} {name:<26} {verdict:<18} {mpo:>11} {bpo:>12} {lat:>20} {avail:>12} {wall:>9}"
        ));
    };
    line([
        "id",
        "challenge",
        "verdict",
        "msgs-per-op",
        "bytes-per-op",
        "latency p50/p99/max",
        "availability",
        "wall",
    ]);
    let mut outcome = Outcome::Valid;
    let mut html_rows = Vec::new();
    let mut section = None;
    for (c, row) in &rows {
        if section != Some(c.section) {
            // Each section under its heading, so the guide's rows are never read as challenges.
            stdout::println(&format!("-- {}", c.section.title()));
            section = Some(c.section);
        }
        outcome = outcome.and(row.outcome());
        let [verdict, mpo, bpo, lat, avail, wall] = columns(c, row);
        line([c.id, c.name, &verdict, &mpo, &bpo, &lat, &avail, &wall]);
        let (notes, run) = match row {
            Row::Judged { why, report, .. } => (why.clone(), Some(report.dir.clone())),
            Row::Failed(e) => (vec![e.to_string()], None),
        };
        html_rows.push(html::index::ChallengeRow {
            section: c.section.title(),
            id: c.id.to_owned(),
            name: c.name.to_owned(),
            verdict,
            msgs_per_op: mpo,
            latency: lat,
            availability: avail,
            wall,
            notes,
            run,
        });
    }
    if let Runner::Bench(store) = runner {
        let path = store.join("challenges.html");
        match std::fs::write(&path, html::index::challenges_page(store, &html_rows)) {
            Ok(()) => {
                stdout::println(&format!("challenge table: {}", path.display()));
                // The index links the table once it exists.
                if let Err(e) = html::index::write_index(store) {
                    warn(&BenchError::Render(e));
                }
            }
            Err(cause) => warn(&BenchError::Io { path, cause }),
        }
    }
    for (c, row) in &rows {
        match row {
            Row::Judged { why, .. } => {
                why.iter().for_each(|w| stdout::println(&format!("{}: target missed: {w}", c.id)))
            }
            Row::Failed(BenchError::NotBuilt(_)) => {}
            Row::Failed(e) => stdout::println(&format!("{}: {e}", c.id)),
        }
    }
    Ok(outcome)
}

/// `glomers-bench report DIR...`: renders each run directory's report again (every run of a store
/// given as a directory), then the stores' indexes.
///
/// # Errors
/// None of its own: each directory that fails is reported and counted in the outcome.
pub fn report(dirs: &[PathBuf]) -> Result<Outcome, BenchError> {
    let mut outcome = Outcome::Valid;
    let mut fail = |e: BenchError| {
        warn(&e);
        outcome = outcome.and(e.outcome());
    };
    let mut stores: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        // Canonical, so `store/latest` names its run and its store.
        let dir = &dir.canonicalize().unwrap_or_else(|_| dir.clone());
        let runs: Vec<PathBuf> = if dir.join("results.json").is_file() {
            vec![dir.clone()]
        } else {
            html::index::runs(dir).iter().map(|r| dir.join(&r.workload).join(&r.time)).collect()
        };
        if runs.is_empty() {
            fail(BenchError::NotARun(dir.clone()));
            continue;
        }
        for run in runs {
            let start = Instant::now();
            match html::render_run(&run) {
                Ok(path) => {
                    stdout::println(&format!("{} ({:.2} s)", path.display(), start.elapsed().as_secs_f64()))
                }
                Err(e) => fail(BenchError::Render(e)),
            }
            if let Some(store) = html::store_of(&run) {
                if !stores.iter().any(|s| s == store) {
                    stores.push(store.to_path_buf());
                }
            }
        }
    }
    for store in &stores {
        match html::index::write_index(store) {
            Ok(path) => stdout::println(&path.display().to_string()),
            Err(e) => fail(BenchError::Render(e)),
        }
    }
    Ok(outcome)
}

/// `glomers-bench check DIR` (Maelstrom's `analyze`): judges a stored run again with today's
/// checkers (strictly with `strict`, else as the run was), rewrites its results and report, and
/// prints what changed.
///
/// # Errors
/// `dir` is not a run directory or does not say what ran (bad arguments), or its files cannot
/// be written.
pub fn check(dir: &Path, strict: bool) -> Result<Outcome, BenchError> {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let r = verdict::recheck(&dir, strict.then_some(true)).map_err(BenchError::Recheck)?;
    let changes = r.changes();
    let word = verdict::word(r.valid());
    if changes.is_empty() {
        stdout::println(&format!("{}: judged again: verdict {word}, nothing changed", dir.display()));
    } else {
        stdout::println(&format!("{}: judged again: verdict {word}; what changed:", dir.display()));
        changes.iter().for_each(|c| stdout::println(&format!("  - {c}")));
    }
    if r.valid() == Validity::Valid {
        let weak = r.after["evidence"]["weak-points"].as_array().cloned().unwrap_or_default();
        if !weak.is_empty() {
            stdout::println("the verdict rests on little (--strict would fail this run):");
            weak.iter().for_each(|w| stdout::println(&format!("  - {}", w["text"].as_str().unwrap_or("?"))));
        }
    }
    Ok(r.valid().into())
}

/// `glomers-bench serve`: serves the store until interrupted.
///
/// # Errors
/// The store is not a directory, or the server cannot start.
pub fn serve(store: &Path, port: u16) -> Result<Outcome, BenchError> {
    if !store.is_dir() {
        return Err(BenchError::NoStore(store.to_path_buf()));
    }
    html::serve::serve(store, port).map_err(|cause| BenchError::Serve { port, cause })?;
    Ok(Outcome::Valid)
}
