//! The `test`, `challenge`, `challenges`, `report` and `serve` commands: argument checks, repeated runs, the
//! challenge table, and exit codes (MAELSTROM.md §8.2: 0 valid, 1 invalid, 2 unknown, 254 bad
//! arguments, 255 crashed).

use crate::cli::challenge::{self, Challenge};
use crate::cli::config::TestArgs;
use crate::core::checkers::verdict::Validity;
use crate::core::workloads;
use crate::output::html;
use crate::output::verdict::{self, Report};
use crate::shell::session::{run_test, Crash};
use clap::Parser;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Exit code for bad arguments.
pub const BAD_ARGS: u8 = 254;
/// Exit code for a crashed run.
pub const CRASHED: u8 = 255;

/// The exit code of a verdict.
pub fn exit_code(v: Validity) -> u8 {
    match v {
        Validity::Valid => 0,
        Validity::Invalid => 1,
        Validity::Unknown => 2,
    }
}

/// A seed from the clock, for runs without `--seed`.
pub fn clock_seed() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64) % 1_000_000_000
}

/// Why a test could not produce a verdict.
enum NoVerdict {
    /// Bad arguments, a missing binary or an unsupported workload (254).
    Refused(String),
    /// The run crashed (255).
    Crashed(String),
}

/// Runs `args` up to `--test-count` times; returns the last report.
fn run_tests(args: &TestArgs, quiet: bool) -> Result<Report, NoVerdict> {
    if args.bin.is_none() {
        return Err(NoVerdict::Refused("--bin is required: the node program to test".into()));
    }
    let cfg = args.validate(clock_seed()).map_err(NoVerdict::Refused)?;
    workloads::check_supported(&cfg.run.workload).map_err(NoVerdict::Refused)?;
    crate::shell::process::check_binary(&cfg.bin).map_err(NoVerdict::Refused)?;
    let mut last = None;
    for k in 0..cfg.test_count {
        let mut cfg = cfg.clone();
        cfg.run.seed = cfg.run.seed.wrapping_add(u64::from(k));
        eprintln!("glomers-bench: {}", cfg.run.describe());
        let r = run_test(&cfg, !quiet).map_err(|Crash(m)| NoVerdict::Crashed(m))?;
        let valid = r.valid;
        last = Some(r);
        if valid != Validity::Valid {
            break;
        }
        if k + 1 < cfg.test_count && !quiet {
            if let Some(r) = &last {
                print!("{}", verdict::summary(r));
            }
        }
    }
    last.ok_or_else(|| NoVerdict::Crashed("no test ran".into()))
}

/// `glomers-bench test`.
pub fn test(args: &TestArgs) -> u8 {
    match run_tests(args, false) {
        Ok(r) => {
            print!("{}", verdict::summary(&r));
            exit_code(r.valid)
        }
        Err(NoVerdict::Refused(m)) => {
            eprintln!("glomers-bench: {m}");
            BAD_ARGS
        }
        Err(NoVerdict::Crashed(m)) => {
            eprintln!("glomers-bench: the run crashed: {m}");
            CRASHED
        }
    }
}

/// A challenge's outcome, for one row of the table.
enum Row {
    Judged { verdict: Validity, report: Box<Report>, why: Vec<String>, wall: f64 },
    Crashed(String),
    NotBuilt(PathBuf),
    NotSupported,
}

fn test_args(c: &Challenge, flags: &[&str], bin: &Path, store: &Path) -> Result<TestArgs, String> {
    #[derive(Parser)]
    struct One {
        #[command(flatten)]
        args: TestArgs,
    }
    let bin = bin.to_string_lossy().into_owned();
    let store = store.to_string_lossy().into_owned();
    let argv = ["glomers-bench", "-w", c.workload, "--bin", &bin, "--store", &store]
        .into_iter()
        .chain(flags.iter().copied());
    One::try_parse_from(argv).map(|o| o.args).map_err(|e| e.to_string())
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
    if matches!(runner, Runner::Bench(_)) && workloads::check_supported(c.workload).is_err() {
        return Row::NotSupported;
    }
    if crate::shell::process::check_binary(bin).is_err() {
        return Row::NotBuilt(bin.to_path_buf());
    }
    let start = Instant::now();
    let mut last: Option<(Validity, Report, Vec<String>)> = None;
    for flags in c.runs {
        let r = match runner {
            Runner::Bench(store) => {
                let args = match test_args(c, flags, bin, store) {
                    Ok(a) => a,
                    Err(e) => return Row::Crashed(e),
                };
                match run_tests(&args, false) {
                    Ok(r) => r,
                    Err(NoVerdict::Refused(m) | NoVerdict::Crashed(m)) => return Row::Crashed(m),
                }
            }
            Runner::Maelstrom(maelstrom) => match crate::maelstrom::run(maelstrom, c.workload, bin, flags) {
                Ok(r) => r,
                Err(m) => return Row::Crashed(m),
            },
        };
        print!("{}", verdict::summary(&r));
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
    match last {
        Some((verdict, report, why)) => {
            Row::Judged { verdict, report: Box::new(report), why, wall: start.elapsed().as_secs_f64() }
        }
        None => Row::NotSupported,
    }
}

fn default_bin(c: &Challenge) -> PathBuf {
    Path::new("target/release").join(c.node)
}

/// `glomers-bench challenge ID`.
pub fn challenge(id: &str, bin: Option<PathBuf>, runner: Runner<'_>) -> u8 {
    let Some(c) = challenge::find(id) else {
        let ids: Vec<&str> = challenge::ALL.iter().map(|c| c.id).collect();
        eprintln!("glomers-bench: unknown challenge {id:?}; known: {}", ids.join(", "));
        return BAD_ARGS;
    };
    let bin = bin.unwrap_or_else(|| default_bin(c));
    eprintln!("glomers-bench: challenge {} ({}) with {}", c.id, c.name, bin.display());
    match run_challenge(c, &bin, runner) {
        Row::Judged { verdict, why, report, .. } => {
            if let Some(t) = &c.targets {
                println!("targets: {}", challenge::against_targets(t, &report));
            }
            for w in &why {
                println!("target missed: {w}");
            }
            println!("challenge {}: {}", c.id, verdict::word(verdict));
            exit_code(verdict)
        }
        Row::Crashed(m) => {
            eprintln!("glomers-bench: the run crashed: {m}");
            CRASHED
        }
        Row::NotBuilt(p) => {
            eprintln!("glomers-bench: {} is not built (cargo build --release -p glomers-nodes)", p.display());
            BAD_ARGS
        }
        Row::NotSupported => {
            eprintln!("glomers-bench: workload {} is not supported yet", c.workload);
            BAD_ARGS
        }
    }
}

/// `glomers-bench challenges`: every challenge in order, then one table.
pub fn challenges(bin_dir: &Path, runner: Runner<'_>) -> u8 {
    let mut rows = Vec::new();
    for c in &challenge::ALL {
        eprintln!("glomers-bench: challenge {} ({})", c.id, c.name);
        rows.push((c, run_challenge(c, &bin_dir.join(c.node), runner)));
    }
    println!(
        "{:<4} {:<26} {:<18} {:>11} {:>20} {:>12} {:>9}",
        "id", "challenge", "verdict", "msgs-per-op", "latency p50/p99/max", "availability", "wall"
    );
    let mut code = 0;
    let mut html_rows = Vec::new();
    for (c, row) in &rows {
        let (verdict, mpo, lat, avail, wall) = match row {
            Row::Judged { verdict, report, wall, .. } => {
                code = code.max(match verdict {
                    Validity::Invalid => 2,
                    Validity::Unknown => 1,
                    Validity::Valid => 0,
                });
                (
                    verdict::word(*verdict).to_owned(),
                    report.msgs_per_op.map_or("n/a".into(), |m| format!("{m:.2}")),
                    match report.stable_latency {
                        Some(q) => format!("{}/{}/{} ms", q.p50, q.p99, q.max),
                        None => report
                            .latency
                            .quantiles(challenge::headline_op(c.workload))
                            .map_or("-".into(), |q| format!("{:.1}/{:.1}/{:.0} ms", q.p50, q.p99, q.max)),
                    },
                    format!("{:.4}", report.availability),
                    format!("{wall:.1} s"),
                )
            }
            Row::Crashed(_) => {
                code = 3;
                ("crashed".into(), "-".into(), "-".into(), "-".into(), "-".into())
            }
            Row::NotBuilt(_) => ("not built".into(), "-".into(), "-".into(), "-".into(), "-".into()),
            Row::NotSupported => ("not supported yet".into(), "-".into(), "-".into(), "-".into(), "-".into()),
        };
        println!(
            "{:<4} {:<26} {:<18} {:>11} {:>20} {:>12} {:>9}",
            c.id, c.name, verdict, mpo, lat, avail, wall
        );
        let (notes, run) = match row {
            Row::Judged { why, report, .. } => (why.clone(), Some(report.dir.clone())),
            Row::Crashed(m) => (vec![format!("crashed: {m}")], None),
            _ => (Vec::new(), None),
        };
        html_rows.push(html::index::ChallengeRow {
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
                println!("challenge table: {}", path.display());
                // The index links the table once it exists.
                if let Err(e) = html::index::write_index(store) {
                    eprintln!("glomers-bench: {e}");
                }
            }
            Err(e) => eprintln!("glomers-bench: cannot write {}: {e}", path.display()),
        }
    }
    for (c, row) in &rows {
        match row {
            Row::Judged { why, .. } => why.iter().for_each(|w| println!("{}: target missed: {w}", c.id)),
            Row::Crashed(m) => println!("{}: crashed: {m}", c.id),
            _ => {}
        }
    }
    match code {
        3 => CRASHED,
        2 => 1,
        1 => 2,
        _ => 0,
    }
}

/// `glomers-bench report DIR...`: renders each run directory's report again (every run of a store
/// given as a directory), then the stores' indexes.
pub fn report(dirs: &[PathBuf]) -> u8 {
    let mut code = 0;
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
            eprintln!("glomers-bench: {} is neither a run directory nor a store with runs", dir.display());
            code = BAD_ARGS;
            continue;
        }
        for run in runs {
            let start = Instant::now();
            match html::render_run(&run) {
                Ok(path) => say(&format!("{} ({:.2} s)", path.display(), start.elapsed().as_secs_f64())),
                Err(e) => {
                    eprintln!("glomers-bench: {e}");
                    code = code.max(1);
                }
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
            Ok(path) => say(&path.display().to_string()),
            Err(e) => eprintln!("glomers-bench: {e}"),
        }
    }
    code
}

/// A line on stdout; a closed pipe (`| head`) is not an error worth a panic.
fn say(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// `glomers-bench serve`: serves the store until interrupted.
pub fn serve(store: &Path, port: u16) -> u8 {
    if !store.is_dir() {
        eprintln!(
            "glomers-bench: {} is not a directory (run a test first, or pass --store)",
            store.display()
        );
        return BAD_ARGS;
    }
    match html::serve::serve(store, port) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("glomers-bench: cannot serve on 127.0.0.1:{port}: {e}");
            CRASHED
        }
    }
}
