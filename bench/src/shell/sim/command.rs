//! `glomers-bench sim -w W --node NAME [test flags] [--seed S | --seeds A..B]`.
//!
//! One seed writes the same results directory as `test` (history, journal, results.json,
//! run.json with the replay command, the report); many
//! seeds run on every core, judged in memory, and print one table with each failing seed's
//! replay command. Exit codes are `test`'s.

use super::seeds::{run_seeds, table, Spec};
use super::simulate;
use crate::cli::commands::{clock_seed, exit_code, BAD_ARGS, CRASHED};
use crate::cli::config::{TestArgs, TestConfig};
use crate::core::checkers::verdict::Validity;
use crate::core::faults::Faults;
use crate::core::workloads;
use crate::output::html::shell_word;
use crate::output::verdict;
use crate::output::verdict::TimeBase;
use crate::shell::rundir::RunDir;
use clap::Args;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

/// The most extra delay `--reorder` may add: a minute, far beyond any client timeout.
const MAX_REORDER_MS: u64 = 60_000;

/// Options of `glomers-bench sim`: those of `test` (but `--bin`, and Maelstrom's `--node`
/// naming one node, which is `--node-name` here), plus the node to run and the seeds.
#[derive(Args, Debug, Clone)]
#[command(mut_arg("node", |a| a.long("node-name").short(None)))]
pub struct SimArgs {
    /// The flags of `test`.
    #[command(flatten)]
    pub test: TestArgs,
    /// Which node of nodes/ to run in-process: echo, unique-ids, broadcast, g-counter, kafka,
    /// kafka-lin-kv, txn.
    #[arg(long = "node", value_name = "NAME", id = "node_impl")]
    pub node_impl: String,
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

impl SimArgs {
    /// The extra faults these flags ask for.
    ///
    /// # Errors
    /// A message naming the bad flag.
    pub fn faults(&self, nemesis: bool) -> Result<Faults, String> {
        if !(0.0..=1.0).contains(&self.duplicate) {
            return Err(format!("--duplicate must be a probability in [0, 1], got {}", self.duplicate));
        }
        if (self.one_way || self.flap.is_some()) && !nemesis {
            return Err("--one-way and --flap change partitions: they need --nemesis partition".into());
        }
        if self.flap == Some(0) {
            return Err("--flap must be above 0 ms".into());
        }
        if self.reorder > MAX_REORDER_MS {
            return Err(format!("--reorder must be at most {MAX_REORDER_MS} ms, got {}", self.reorder));
        }
        if self.clock_skew >= 1_000_000 {
            return Err(format!("--clock-skew must be below 1000000 ppm, got {}", self.clock_skew));
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
pub fn parse_seeds(text: &str) -> Result<RangeInclusive<u64>, String> {
    let bad = || format!("--seeds must look like 1..1000, got {text:?}");
    let (a, b) = match text.split_once("..") {
        Some((a, b)) => (a, b.strip_prefix('=').unwrap_or(b)),
        None => (text, text),
    };
    let (a, b): (u64, u64) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
    if a > b {
        return Err(format!("--seeds {text}: the first seed is above the last"));
    }
    Ok(a..=b)
}

/// The command that replays `seed`: this command line with `--seed` in place of `--seeds`.
fn replay_command(argv: &[String], seed: u64) -> String {
    let mut out = Vec::new();
    let mut skip = false;
    for a in argv {
        if skip {
            skip = false;
            continue;
        }
        if matches!(a.as_str(), "--seeds" | "--seed" | "--jobs") {
            skip = true;
            continue;
        }
        if a.starts_with("--seeds=") || a.starts_with("--seed=") || a.starts_with("--jobs=") {
            continue;
        }
        out.push(shell_word(a));
    }
    // Before a `--` (node arguments), so the flag stays a flag.
    let at = out.iter().position(|a| a == "--").unwrap_or(out.len());
    out.insert(at, format!("--seed {seed}"));
    out.join(" ")
}

/// `glomers-bench sim`; `argv` is the whole command line, for replay commands.
pub fn main(args: &SimArgs, argv: &[String]) -> u8 {
    match sim(args, argv) {
        Ok(code) => code,
        Err((code, m)) => {
            eprintln!("glomers-bench: {m}");
            code
        }
    }
}

fn sim(args: &SimArgs, argv: &[String]) -> Result<u8, (u8, String)> {
    let refuse = |m: String| (BAD_ARGS, m);
    let mut cfg = args.test.validate(clock_seed()).map_err(refuse)?;
    cfg.run.faults = args.faults(cfg.run.nemesis).map_err(refuse)?;
    if cfg.run.faults.any() {
        eprintln!("glomers-bench: extra faults: {}", cfg.run.faults.describe());
    }
    workloads::check_supported(&cfg.run.workload).map_err(refuse)?;
    let node = glomers_nodes::registry::factory(&args.node_impl).ok_or_else(|| {
        refuse(format!("no node called {:?}; known: {}", args.node_impl, glomers_nodes::registry::names()))
    })?;
    let spec = Spec { run: cfg.run.clone(), availability: cfg.availability, node };
    let Some(seeds) = &args.seeds else {
        return one(&spec, &cfg, argv);
    };
    let seeds = parse_seeds(seeds).map_err(refuse)?;
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
    eprintln!(
        "glomers-bench: sim {} with node {} on {} node(s), seeds {}..{} on {jobs} thread(s)",
        cfg.run.workload,
        args.node_impl,
        cfg.run.nodes.len(),
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
    let results = run_seeds(&spec, seeds, jobs, &progress);
    print!("{}", table(&results, start.elapsed(), &|s| replay_command(argv, s)));
    let worst = results.iter().fold(0u8, |code, r| {
        code.max(match &r.verdict {
            Ok(Validity::Valid) => 0,
            Ok(Validity::Unknown) => 1,
            Ok(Validity::Invalid) => 2,
            Err(_) => 3,
        })
    });
    Ok(match worst {
        0 => 0,
        1 => exit_code(Validity::Unknown),
        2 => exit_code(Validity::Invalid),
        _ => CRASHED,
    })
}

/// One seed, into a results directory like `test`'s (its `run.json` reproduces it with the
/// replay command); with `--log-stderr`, node logs are copied to the console too, as `test
/// --log-stderr` does.
fn one(spec: &Spec, cfg: &TestConfig, argv: &[String]) -> Result<u8, (u8, String)> {
    let crash = |m: String| (CRASHED, m);
    let seed = spec.run.seed;
    let replay = replay_command(argv, seed);
    let mut dir = RunDir::create(&cfg.store, &spec.run.workload).map_err(crash)?;
    eprintln!("glomers-bench: sim {}", spec.run.describe());
    let start = Instant::now();
    let (mut run, mut nodes) = spec.start(seed).map_err(crash)?;
    // Each node's log goes to node-logs/<id>.log, as a process's stderr would.
    let mut logs: Vec<Option<BufWriter<File>>> =
        spec.run.nodes.iter().map(|n| File::create(dir.node_log(n)).ok().map(BufWriter::new)).collect();
    let ended = simulate(
        &mut run,
        &mut nodes,
        |chunk| dir.journal(&chunk),
        |i, lines| {
            if let Some(Some(f)) = logs.get_mut(i) {
                let _ = f.write_all(&lines);
            }
            if cfg.log_stderr {
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
        Err(m) => {
            dir.abandon(&run);
            return Err(crash(m));
        }
    };
    let wall = start.elapsed();
    let r = dir
        .finish(&run, cfg, &replay, wall, TimeBase::Virtual)
        .map_err(|m| crash(format!("the run crashed: {m}\nreplay: {replay}")))?;
    print!("{}", verdict::summary(&r));
    println!("virtual time: {:.1} s, simulated in {:.3} s", ended.as_secs_f64(), wall.as_secs_f64());
    if r.valid != Validity::Valid {
        println!("replay: {replay}");
    }
    Ok(exit_code(r.valid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges_and_replay_commands() {
        assert_eq!(parse_seeds("1..1000"), Ok(1..=1000));
        assert_eq!(parse_seeds("5..=6"), Ok(5..=6));
        assert_eq!(parse_seeds("7"), Ok(7..=7));
        assert!(parse_seeds("9..3").is_err() && parse_seeds("x..3").is_err() && parse_seeds("").is_err());
        let argv: Vec<String> =
            ["glomers-bench", "sim", "-w", "broadcast", "--seeds", "1..9", "--jobs=2", "--node", "broadcast"]
                .map(String::from)
                .to_vec();
        assert_eq!(replay_command(&argv, 4), "glomers-bench sim -w broadcast --node broadcast --seed 4");
        let argv: Vec<String> = ["b", "--seed", "3", "--store", "a b", "--", "x"].map(String::from).to_vec();
        assert_eq!(replay_command(&argv, 8), "b --store 'a b' --seed 8 -- x");
    }
}
