//! `glomers-bench sim -w W [run flags] [--impl NAME] [--seed S | --seeds A..B]`, or
//! `sim --challenge ID` with a challenge's exact flags.
//!
//! One seed writes the same results directory as `test` (history, journal, results.json,
//! run.json with the replay command, the report); many
//! seeds run on every core, judged in memory, and print one table with each failing seed's
//! replay command. Exit codes are `test`'s.
//!
//! Which nodes `--impl` chooses from is a table the caller gives ([`SimNode`]s): the nodes of
//! `nodes/` for `glomers-bench sim`, a user's own for their `main` (see `crate::sim`).

use crate::cli::challenge;
use crate::cli::commands::clock_seed;
use crate::cli::config::RunArgs;
use crate::cli::error::BenchError;
use crate::cli::outcome::Outcome;
use crate::cli::stdout;
use crate::core::checkers::verdict::Validity;
use crate::core::faults::Faults;
use crate::core::run::{RunSetup, TestConfig};
use crate::output::verdict::{self, TimeBase};
use crate::shell::rundir::RunDir;
use crate::shell::sim::{choose, run_seeds, simulate, table, Replay, SimNode, Spec};
use clap::builder::PossibleValuesParser;
use clap::{Args, Command};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The most extra delay `--reorder` may add: a minute, far beyond any client timeout.
const MAX_REORDER_MS: u64 = 60_000;

/// Options of `glomers-bench sim`: what to run (as `test`), and the simulator's own flags.
#[derive(Args, Debug, Clone)]
#[command(mut_arg("workload", |a| a.required(false).required_unless_present("challenge")))]
pub struct SimCommand {
    /// What to run.
    #[command(flatten)]
    pub run: RunArgs,
    /// The simulator's flags.
    #[command(flatten)]
    pub sim: SimArgs,
}

/// The flags only `sim` has.
#[derive(Args, Debug, Clone)]
pub struct SimArgs {
    /// The node to run in-process (default: the first of these that implements the workload).
    #[arg(long = "impl", value_name = "NAME")]
    pub node_impl: Option<String>,
    /// Run this challenge's exact flags (every run of it; a Gossip Glomers id or a Maelstrom guide
    /// workload: lin-kv, g-set, pn-counter, txn-list-append) instead of run flags;
    /// only --seed/--seeds, --store, --log-stderr, --impl and the faults may be added.
    #[arg(long, value_name = "ID", conflicts_with_all = RUN_SHAPE)]
    pub challenge: Option<String>,
    /// Run every seed of A..B (inclusive) and print a table instead of one results directory.
    #[arg(long, value_name = "A..B", conflicts_with = "seed")]
    pub seeds: Option<String>,
    /// Threads for --seeds (default: every core).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Fault: deliver each message between servers twice with this probability (0 to 1).
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub duplicate: f64,
    /// Fault: delay each message between servers by up to this many extra ms (reordering).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub reorder: u64,
    /// Fault: partitions cut one direction only of each pair (needs --nemesis partition).
    #[arg(long)]
    pub one_way: bool,
    /// Fault: heal and re-apply each partition every MS ms while it lasts (needs --nemesis
    /// partition).
    #[arg(long, value_name = "MS")]
    pub flap: Option<u64>,
    /// Fault: each node's timers run off by up to this many parts per million, from clocks
    /// up to 1 s apart.
    #[arg(long, value_name = "PPM", default_value_t = 0)]
    pub clock_skew: u32,
}

/// The flags of [`RunArgs`] that shape a run, which a challenge sets itself.
const RUN_SHAPE: [&str; 18] = [
    "workload",
    "node_count",
    "nodes",
    "node",
    "concurrency",
    "rate",
    "time_limit",
    "latency",
    "latency_dist",
    "nemesis",
    "nemesis_interval",
    "availability",
    "topology",
    "consistency_models",
    "key_count",
    "max_txn_length",
    "max_writes_per_key",
    "repeat_adds",
];

impl SimArgs {
    /// The extra faults these flags ask for.
    ///
    /// # Errors
    /// [`BenchError::BadArgs`] naming the bad flag.
    pub fn faults(&self, partitions: bool) -> Result<Faults, BenchError> {
        let bad = |m: String| Err(BenchError::BadArgs(m));
        if !(0.0..=1.0).contains(&self.duplicate) {
            return bad(format!("--duplicate must be a probability in [0, 1], got {}", self.duplicate));
        }
        if (self.one_way || self.flap.is_some()) && !partitions {
            return bad("--one-way and --flap change partitions: they need --nemesis partition".into());
        }
        if self.flap == Some(0) {
            return bad("--flap must be above 0 ms".into());
        }
        if self.reorder > MAX_REORDER_MS {
            return bad(format!("--reorder must be at most {MAX_REORDER_MS} ms, got {}", self.reorder));
        }
        if self.clock_skew >= 1_000_000 {
            return bad(format!("--clock-skew must be below 1000000 ppm, got {}", self.clock_skew));
        }
        Ok(Faults {
            duplicate: self.duplicate,
            reorder: Duration::from_millis(self.reorder),
            one_way: self.one_way,
            flap: self.flap.map(Duration::from_millis),
            clock_skew_ppm: self.clock_skew,
        })
    }
}

/// Parses `A..B` (or `A..=B`, or one number) into an inclusive range.
///
/// # Errors
/// [`BenchError::BadArgs`] when it is not a range of seeds.
pub fn parse_seeds(text: &str) -> Result<RangeInclusive<u64>, BenchError> {
    let bad = || BenchError::BadArgs(format!("--seeds must look like 1..1000, got {text:?}"));
    let (a, b) = match text.split_once("..") {
        Some((a, b)) => (a, b.strip_prefix('=').unwrap_or(b)),
        None => (text, text),
    };
    let (a, b): (u64, u64) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
    if a > b {
        return Err(BenchError::BadArgs(format!("--seeds {text}: the first seed is above the last")));
    }
    Ok(a..=b)
}

/// `sim`'s flags on `cmd` with `--impl` choosing among `nodes` (its help lists them).
pub fn with_nodes(cmd: Command, nodes: &[SimNode]) -> Command {
    let names: Vec<&'static str> = nodes.iter().map(|n| n.name).collect();
    cmd.mut_arg("node_impl", |a| a.value_parser(PossibleValuesParser::new(names)))
}

/// What one run of the simulator needs, checked before anything runs.
pub(crate) struct Planned {
    /// The run and the node.
    pub(crate) spec: Spec,
    /// The node's name.
    node: &'static str,
    /// `--store`.
    store: PathBuf,
    /// `--log-stderr`.
    log_stderr: bool,
}

/// The runs these flags ask for, with a node of `nodes`: one, or each run of `--challenge`;
/// every flag checked. Each seed is replayed by `replay` with `--seed` in place of `--seeds`.
pub(crate) fn plan(cmd: &SimCommand, nodes: &[SimNode], replay: &Replay) -> Result<Vec<Planned>, BenchError> {
    let runs = match &cmd.sim.challenge {
        None => vec![cmd.run.clone()],
        Some(id) => {
            let c = challenge::find(id).ok_or_else(|| BenchError::UnknownChallenge(id.clone()))?;
            c.runs
                .iter()
                .map(|spec| RunArgs {
                    seed: cmd.run.seed,
                    store: cmd.run.store.clone(),
                    log_stderr: cmd.run.log_stderr,
                    ..spec.run_args(c.workload)
                })
                .collect()
        }
    };
    let seed = clock_seed();
    runs.iter()
        .map(|run| {
            let RunSetup { run: mut cfg, criteria, log_stderr, store } = run.validate(seed)?;
            cfg.faults = cmd.sim.faults(cfg.nemesis.partition)?;
            let workload = cfg.workload;
            let node = choose(nodes, workload, cmd.sim.node_impl.as_deref()).map_err(|choices| {
                BenchError::NodeMismatch { workload, node: cmd.sim.node_impl.clone(), choices }
            })?;
            let spec = Spec { run: cfg, criteria, node: node.make, replay: replay.clone() };
            Ok(Planned { spec, node: node.name, store, log_stderr })
        })
        .collect()
}

/// `--seeds`, when given.
///
/// # Errors
/// [`BenchError::BadArgs`] when it is not a range of seeds.
pub(crate) fn seeds(cmd: &SimCommand) -> Result<Option<RangeInclusive<u64>>, BenchError> {
    cmd.sim.seeds.as_deref().map(parse_seeds).transpose()
}

/// `glomers-bench sim`, with a node of `nodes`; `argv` is the whole command line, for replay
/// commands.
///
/// # Errors
/// Bad flags (before anything runs), or a run that crashed or could not be written.
pub fn sim(cmd: &SimCommand, argv: &[String], nodes: &[SimNode]) -> Result<Outcome, BenchError> {
    let planned = plan(cmd, nodes, &Replay { prefix: String::new(), args: argv.to_vec() })?;
    let seeds = seeds(cmd)?;
    let mut outcome = Outcome::Valid;
    for Planned { spec, node, store, log_stderr } in &planned {
        if spec.run.faults.any() {
            eprintln!("glomers-bench: extra faults: {}", spec.run.faults.describe());
        }
        outcome = outcome.and(match &seeds {
            None => one(spec, store, *log_stderr)?,
            Some(seeds) => many(spec, node, seeds.clone(), jobs(cmd)),
        });
    }
    Ok(outcome)
}

/// `--jobs`, by default every core.
pub(crate) fn jobs(cmd: &SimCommand) -> usize {
    cmd.sim.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from))
}

/// Every seed of `seeds`, judged in memory, then the table.
fn many(spec: &Spec, node: &str, seeds: RangeInclusive<u64>, jobs: usize) -> Outcome {
    eprintln!(
        "glomers-bench: sim {} with node {node} on {} node(s), seeds {}..{} on {jobs} thread(s)",
        spec.run.workload,
        spec.run.nodes.len(),
        seeds.start(),
        seeds.end()
    );
    let start = Instant::now();
    let total = (seeds.end() - seeds.start()).saturating_add(1);
    let progress = |done: u64| {
        if done.is_multiple_of(100) && done < total {
            eprintln!("[{:6.1} s] {done}/{total} seeds", start.elapsed().as_secs_f64());
        }
    };
    let results = run_seeds(spec, seeds, jobs, &progress);
    stdout::print(&table(&results, start.elapsed()));
    results.iter().fold(Outcome::Valid, |worst, r| {
        worst.and(match r.verdict {
            Ok(v) => v.into(),
            Err(_) => Outcome::Crashed,
        })
    })
}

/// One seed, into a results directory like `test`'s (its `run.json` reproduces it with the
/// replay command); with `log_stderr`, node logs are copied to the console too, as `test
/// --log-stderr` does.
fn one(spec: &Spec, store_root: &Path, log_stderr: bool) -> Result<Outcome, BenchError> {
    let seed = spec.run.seed;
    let replay = spec.replay.command(seed);
    let cfg = TestConfig {
        run: spec.run.clone(),
        bin: PathBuf::new(),
        node_args: Vec::new(),
        criteria: spec.criteria,
        log_stderr,
        test_count: 1,
        store: store_root.to_path_buf(),
    };
    let mut dir = RunDir::create(store_root, spec.run.workload.name()).map_err(BenchError::RunDir)?;
    dir.say(&format!("glomers-bench: sim {}", spec.run.describe()));
    let start = Instant::now();
    let (mut run, mut nodes) = spec.start(seed);
    // Each node's log goes to node-logs/<id>.log, as a process's stderr would.
    let mut logs: Vec<Option<BufWriter<File>>> =
        spec.run.nodes.iter().map(|n| File::create(dir.node_log(n)).ok().map(BufWriter::new)).collect();
    let ended = simulate(
        &mut run,
        &mut nodes,
        spec.restarts(seed),
        |chunk| dir.journal(&chunk),
        |i, lines| {
            if let Some(Some(f)) = logs.get_mut(i) {
                let _ = f.write_all(&lines);
            }
            if log_stderr {
                let name = spec.run.nodes.get(i).map_or("?", String::as_str);
                for line in String::from_utf8_lossy(&lines).lines() {
                    eprintln!("[{name}] {line}");
                }
            }
        },
    );
    for f in logs.iter_mut().flatten() {
        let _ = f.flush();
    }
    let ended = match ended {
        Ok(t) => t,
        Err(stuck) => {
            dir.abandon(&run, &stuck.to_string());
            return Err(BenchError::Stuck(stuck));
        }
    };
    let wall = start.elapsed();
    let r = dir
        .finish(&run, &cfg, &replay, wall, TimeBase::Virtual)
        .map_err(|e| BenchError::Aborted { crash: e.into(), replay: Some(replay.clone()) })?;
    stdout::print(&verdict::summary(&r));
    stdout::println(&format!(
        "virtual time: {:.1} s, simulated in {:.3} s",
        ended.as_secs_f64(),
        wall.as_secs_f64()
    ));
    if r.valid != Validity::Valid {
        stdout::println(&format!("replay: {replay}"));
    }
    Ok(r.valid.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges() {
        assert_eq!(parse_seeds("1..1000").ok(), Some(1..=1000));
        assert_eq!(parse_seeds("5..=6").ok(), Some(5..=6));
        assert_eq!(parse_seeds("7").ok(), Some(7..=7));
        assert!(parse_seeds("9..3").is_err() && parse_seeds("x..3").is_err() && parse_seeds("").is_err());
    }
}
