//! The flags of a run (docs/protocol.md §5.5), in three groups that the commands flatten:
//! [`RunArgs`] (what to run; `test` and `sim`), [`ProcessArgs`] (node processes; `test` only)
//! and the simulator's own flags (`cli/sim.rs`). Maelstrom's names and defaults; validated into
//! a `TestConfig` or a `RunSetup`. Unknown flags are errors; node arguments come after `--`.

use crate::cli::error::BenchError;
use crate::core::checkers::{Availability, Criteria};
use crate::core::nemesis::Nemesis;
use crate::core::run::{RunConfig, RunSetup, TestConfig};
use crate::core::topology::Topology;
use crate::core::workloads::{WorkloadKind, WorkloadOpts};
use clap::{Args, Command, FromArgMatches};
use glomers_harness::net::{Latency, LatencyDist};
use std::path::PathBuf;
use std::time::Duration;

/// What to run: the flags `test` and `sim` share.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// The workload; required (Maelstrom's default is lin-kv), so that a forgotten -w never
    /// runs a test the user did not ask for.
    #[arg(short = 'w', long, required = true, value_enum)]
    pub workload: Option<WorkloadKind>,
    /// Nodes n0…n(N-1); overrides --nodes.
    #[arg(long)]
    pub node_count: Option<usize>,
    /// Explicit node names, comma-separated (default n1…n5).
    #[arg(long)]
    pub nodes: Option<String>,
    /// One node name; repeat for more (like --nodes).
    #[arg(short = 'n', long = "node")]
    pub node: Vec<String>,
    /// Worker count: an integer, or Kn for K × node count.
    #[arg(long, default_value = "1n")]
    pub concurrency: String,
    /// Operations per second for the whole cluster.
    #[arg(long, default_value_t = 5.0)]
    pub rate: f64,
    /// Length of the main phase, in seconds.
    #[arg(long, default_value_t = 60.0)]
    pub time_limit: f64,
    /// Mean network latency in ms.
    #[arg(long, default_value_t = 0)]
    pub latency: u64,
    /// constant, uniform or exponential.
    #[arg(long, default_value = "constant")]
    pub latency_dist: String,
    /// Faults to inject, comma-separated: partition, kill (SIGKILL, then a fresh process that
    /// gets init again), pause (SIGSTOP, then SIGCONT).
    #[arg(long, value_name = "FAULTS")]
    pub nemesis: Option<String>,
    /// Mean seconds between nemesis steps.
    #[arg(long, default_value_t = 10.0)]
    pub nemesis_interval: f64,
    /// total, or a minimum fraction of operations that must succeed.
    #[arg(long)]
    pub availability: Option<String>,
    /// Judge strictly: a run whose valid verdict rests on little (values never read, final
    /// reads that failed, an operation that almost never succeeded) is not valid.
    #[arg(long)]
    pub strict: bool,
    /// Broadcast topology: grid, line, tree, tree2, tree3, tree4, total.
    #[arg(long, default_value = "grid")]
    pub topology: String,
    /// Copy node logs (stderr) to the console.
    #[arg(long)]
    pub log_stderr: bool,
    /// Seed for every random choice (default: from the clock; printed in the summary).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Where results go.
    #[arg(long, default_value = "store")]
    pub store: PathBuf,
    /// txn-rw-register and txn-list-append: the consistency models to check (any model Elle
    /// knows; several separated by " , ").
    #[arg(long, default_value = "strict-serializable")]
    pub consistency_models: String,
    /// kafka and the txn workloads: keys active at once (default 10).
    #[arg(long)]
    pub key_count: Option<u64>,
    /// txn-rw-register and txn-list-append: most micro-operations per transaction.
    #[arg(long, default_value_t = 4)]
    pub max_txn_length: u64,
    /// kafka and the txn workloads: writes (or appends) to a key before it is retired.
    #[arg(long, default_value_t = 16)]
    pub max_writes_per_key: u64,
    /// g-set: the fraction (0 to 1) of adds that repeat an element added before; Maelstrom never
    /// repeats one, so a node that mishandles a repeated add passes there.
    #[arg(long, value_name = "FRACTION")]
    pub repeat_adds: Option<f64>,
    /// lin-kv: how long the linearizability checker may search, in ms, before its verdict is
    /// unknown.
    #[arg(long, default_value_t = crate::core::workloads::CHECKER_BUDGET.as_millis() as u64)]
    pub checker_budget_ms: u64,
}

/// Node processes: the flags only `test` has.
#[derive(Args, Debug, Clone)]
pub struct ProcessArgs {
    /// The node program.
    #[arg(long)]
    pub bin: PathBuf,
    /// Repeat the test; stops at the first result that is not valid.
    #[arg(long, default_value_t = 1)]
    pub test_count: u32,
    /// Accepted; ignored (every message is in the journal anyway).
    #[arg(long)]
    pub log_net_send: bool,
    /// Accepted; ignored (every message is in the journal anyway).
    #[arg(long)]
    pub log_net_recv: bool,
    /// Jepsen's SSH and logging options: accepted, meaningless here.
    #[arg(long, hide = true)]
    pub username: Option<String>,
    /// Ignored (Jepsen SSH option).
    #[arg(long, hide = true)]
    pub password: Option<String>,
    /// Ignored (Jepsen SSH option).
    #[arg(long, hide = true)]
    pub no_ssh: bool,
    /// Ignored (Jepsen option).
    #[arg(long, hide = true)]
    pub leave_db_running: bool,
    /// Ignored (Jepsen option).
    #[arg(long, hide = true)]
    pub logging_json: bool,
    /// Arguments passed to every node, after `--`.
    #[arg(last = true, value_name = "NODE_ARGS")]
    pub node_args: Vec<String>,
}

/// Options of `glomers-bench test`.
#[derive(Args, Debug, Clone)]
pub struct TestArgs {
    /// What to run.
    #[command(flatten)]
    pub run: RunArgs,
    /// The node processes.
    #[command(flatten)]
    pub process: ProcessArgs,
}

/// Parses `flags` as one group of flags alone would be (no program name): a test's flags, and
/// the defaults a challenge's run starts from.
///
/// # Errors
/// clap's error for a flag that is unknown, misspelt or missing.
pub fn parse_flags<T: Args + FromArgMatches>(flags: &[&str]) -> Result<T, clap::Error> {
    let cmd = T::augment_args(Command::new("glomers-bench").no_binary_name(true));
    T::from_arg_matches(&cmd.try_get_matches_from(flags)?)
}

fn secs(flag: &str, s: f64) -> Result<Duration, BenchError> {
    Duration::try_from_secs_f64(s)
        .map_err(|_| bad(format!("{flag} must be a non-negative number of seconds, got {s}")))
}

fn bad(message: impl Into<String>) -> BenchError {
    BenchError::BadArgs(message.into())
}

impl RunArgs {
    /// Parses these flags alone (see [`parse_flags`]).
    ///
    /// # Errors
    /// clap's error for a flag that is unknown, misspelt or missing.
    pub fn from_flags(flags: &[&str]) -> Result<RunArgs, clap::Error> {
        parse_flags(flags)
    }

    /// Validates the flags; `seed` is used when `--seed` is absent.
    ///
    /// # Errors
    /// [`BenchError::BadArgs`] naming the bad flag.
    pub fn validate(&self, seed: u64) -> Result<RunSetup, BenchError> {
        let workload = self.workload.ok_or_else(|| bad("-w/--workload is required"))?;
        let nodes: Vec<String> = match (self.node_count, &self.nodes) {
            (Some(0), _) => return Err(bad("--node-count must be at least 1")),
            (Some(n), _) => (0..n).map(|i| format!("n{i}")).collect(),
            (None, None) if !self.node.is_empty() => self.node.clone(),
            (None, Some(list)) => {
                list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
            }
            (None, None) => (1..=5).map(|i| format!("n{i}")).collect(),
        };
        if nodes.is_empty() {
            return Err(bad("--nodes names no node"));
        }
        if (1..nodes.len())
            .any(|i| nodes.get(i).is_some_and(|n| nodes.get(..i).is_some_and(|seen| seen.contains(n))))
        {
            return Err(bad(format!("node names must be distinct: {nodes:?}")));
        }
        if nodes.iter().any(|n| n.starts_with('c') || glomers_harness::services::NAMES.contains(&n.as_str()))
        {
            return Err(bad(format!("node names must not start with 'c' or be a service name: {nodes:?}")));
        }
        let concurrency = parse_concurrency(&self.concurrency, nodes.len())?;
        if !(self.rate >= 0.0 && self.rate.is_finite()) {
            return Err(bad(format!("--rate must be a non-negative number, got {}", self.rate)));
        }
        let dist = match self.latency_dist.as_str() {
            "constant" => LatencyDist::Constant,
            "uniform" => LatencyDist::Uniform,
            "exponential" => LatencyDist::Exponential,
            d => {
                return Err(bad(format!(
                    "--latency-dist must be constant, uniform or exponential, got {d:?}"
                )))
            }
        };
        if dist != LatencyDist::Constant && self.latency == 0 {
            return Err(bad(format!(
                "--latency-dist {} needs --latency above 0 (Maelstrom would hang or crash with 0)",
                self.latency_dist
            )));
        }
        let nemesis = Nemesis::parse(self.nemesis.as_deref().unwrap_or("")).map_err(bad)?;
        let availability = match self.availability.as_deref() {
            None => Availability::Any,
            Some("total") => Availability::Total,
            Some(p) => match p.parse::<f64>() {
                Ok(x) if (0.0..=1.0).contains(&x) => Availability::AtLeast(x),
                _ => {
                    return Err(bad(format!("--availability must be total or a number in [0, 1], got {p:?}")))
                }
            },
        };
        let topology = Topology::parse(&self.topology).ok_or_else(|| {
            bad(format!(
                "--topology must be grid, line, tree, tree2, tree3, tree4 or total, got {:?}",
                self.topology
            ))
        })?;
        let repeat_adds = match self.repeat_adds {
            None => 0.0,
            Some(_) if workload != WorkloadKind::GSet => {
                return Err(bad(format!("--repeat-adds applies to g-set only, not {workload}")))
            }
            Some(f) if (0.0..=1.0).contains(&f) => f,
            Some(f) => return Err(bad(format!("--repeat-adds must be a fraction in [0, 1], got {f}"))),
        };
        if nemesis.any() && self.nemesis_interval <= 0.0 {
            return Err(bad("--nemesis-interval must be above 0 seconds"));
        }
        Ok(RunSetup {
            run: RunConfig {
                workload,
                nodes,
                concurrency,
                rate: self.rate,
                time_limit: secs("--time-limit", self.time_limit)?,
                latency: Latency { dist, mean_ms: self.latency },
                nemesis,
                nemesis_interval: secs("--nemesis-interval", self.nemesis_interval)?,
                topology,
                seed: self.seed.unwrap_or(seed),
                opts: WorkloadOpts {
                    key_count: self.key_count,
                    max_writes_per_key: self.max_writes_per_key,
                    max_txn_length: self.max_txn_length,
                    consistency_models: self.consistency_models.clone(),
                    repeat_adds,
                    checker_budget: Duration::from_millis(self.checker_budget_ms),
                },
                faults: crate::core::faults::Faults::default(),
            },
            criteria: Criteria { availability, strict: self.strict },
            log_stderr: self.log_stderr,
            store: self.store.clone(),
        })
    }
}

impl TestArgs {
    /// Parses these flags alone (see [`parse_flags`]).
    ///
    /// # Errors
    /// clap's error for a flag that is unknown, misspelt or missing.
    pub fn from_flags(flags: &[&str]) -> Result<TestArgs, clap::Error> {
        parse_flags(flags)
    }

    /// Validates the flags; `seed` is used when `--seed` is absent.
    ///
    /// # Errors
    /// [`BenchError::BadArgs`] naming the bad flag.
    pub fn validate(&self, seed: u64) -> Result<TestConfig, BenchError> {
        let setup = self.run.validate(seed)?;
        if self.process.test_count == 0 {
            return Err(bad("--test-count must be at least 1"));
        }
        Ok(TestConfig::new(
            setup,
            self.process.bin.clone(),
            self.process.node_args.clone(),
            self.process.test_count,
        ))
    }
}

/// `--concurrency`: `Kn` is K × node count, a plain integer is literal.
fn parse_concurrency(s: &str, nodes: usize) -> Result<usize, BenchError> {
    let not_a_count = || bad(format!("--concurrency must be an integer or Kn (like 2n), got {s:?}"));
    let c = match s.strip_suffix('n') {
        Some(k) => k.parse::<usize>().map_err(|_| not_a_count())? * nodes,
        None => s.parse::<usize>().map_err(|_| not_a_count())?,
    };
    if c == 0 {
        return Err(bad("--concurrency must be at least 1"));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(flags: &[&str]) -> Result<TestConfig, String> {
        let argv: Vec<&str> = ["-w", "echo", "--bin", "/bin/true"].iter().chain(flags).copied().collect();
        TestArgs::from_flags(&argv).map_err(|e| e.to_string())?.validate(1).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_flags() {
        let c = parse(&[]).expect("defaults are valid");
        assert_eq!(c.run.nodes, ["n1", "n2", "n3", "n4", "n5"]);
        assert_eq!((c.run.concurrency, c.run.rate), (5, 5.0));
        assert_eq!(c.run.time_limit, Duration::from_secs(60));
        let c = parse(&["--node-count", "2", "--concurrency", "2n", "--", "echo", "--flag"]).expect("valid");
        assert_eq!(
            (c.run.concurrency, c.node_args.clone()),
            (4, vec!["echo".to_owned(), "--flag".to_owned()])
        );
        assert_eq!(parse(&["--node-count", "3", "--concurrency", "7"]).map(|c| c.run.concurrency), Ok(7));
        assert!(parse(&[
            "--consistency-models",
            "read-committed",
            "--key-count",
            "3",
            "--max-txn-length",
            "2"
        ])
        .is_ok());
    }

    #[test]
    fn rejects_zero_latency_for_random_distributions() {
        for d in ["uniform", "exponential"] {
            let e = parse(&["--latency-dist", d]).expect_err("latency 0");
            assert!(e.contains("needs --latency above 0"), "{e}");
            assert!(parse(&["--latency-dist", d, "--latency", "5"]).is_ok());
        }
        assert!(parse(&["--latency-dist", "gaussian", "--latency", "5"]).is_err());
        assert_eq!(
            parse(&["--nemesis", "kill, pause,partition"]).map(|c| c.run.nemesis.names()),
            Ok(vec!["partition", "kill", "pause"])
        );
        for (flag, why) in [("crash", "got \"crash\""), ("kill,kill", "names kill twice")] {
            let e = parse(&["--nemesis", flag]).expect_err(flag);
            assert!(e.contains(why), "{e}");
        }
        assert!(parse(&["--nemesis", "partition", "--nemesis-interval", "0"]).is_err());
        assert!(parse(&["--availability", "1.5"]).is_err());
        assert!(parse(&["--topology", "star"]).is_err());
        assert!(parse(&["--test-count", "0"]).is_err());
    }

    #[test]
    fn unknown_flags_are_errors_and_node_arguments_come_after_a_double_dash() {
        let e = parse(&["--time-limt", "1"]).expect_err("misspelt");
        assert!(e.contains("unexpected argument '--time-limt'") && e.contains("'--time-limit'"), "{e}");
        assert!(parse(&["echo"]).is_err(), "a node argument without --");
        let append = TestArgs::from_flags(&["-w", "txn-list-append", "--bin", "x"]).expect("built now");
        assert_eq!(append.run.workload, Some(WorkloadKind::TxnListAppend));
        let lin = TestArgs::from_flags(&[
            "-w",
            "lin-kv",
            "--bin",
            "x",
            "--concurrency",
            "10n",
            "--checker-budget-ms",
            "5",
        ]);
        assert_eq!(lin.map(|t| t.run.checker_budget_ms).ok(), Some(5));
        let e = TestArgs::from_flags(&["-w", "ech", "--bin", "x"]).expect_err("misspelt").to_string();
        assert!(e.contains("possible values: echo, unique-ids"), "{e}");
        assert!(TestArgs::from_flags(&["--bin", "x"]).is_err(), "-w is required");
    }

    #[test]
    fn repeat_adds_is_a_fraction_for_g_set_only() {
        let g_set = |f: &str| {
            let flag = format!("--repeat-adds={f}");
            TestArgs::from_flags(&["-w", "g-set", "--bin", "x", &flag])
                .map_err(|e| e.to_string())?
                .validate(1)
                .map(|c| c.run.opts.repeat_adds)
                .map_err(|e| e.to_string())
        };
        assert_eq!(g_set("0.25"), Ok(0.25));
        assert_eq!(g_set("1"), Ok(1.0));
        for f in ["1.5", "-0.1", "NaN", "inf"] {
            let e = g_set(f).expect_err(f);
            assert!(e.contains("--repeat-adds must be a fraction in [0, 1]"), "{f}: {e}");
        }
        assert!(g_set("half").is_err_and(|e| e.contains("invalid value 'half'")));
        let e = parse(&["--repeat-adds", "0.5"]).expect_err("echo has no adds");
        assert!(e.contains("--repeat-adds applies to g-set only, not echo"), "{e}");
        assert_eq!(parse(&[]).map(|c| c.run.opts.repeat_adds), Ok(0.0));
    }
}
