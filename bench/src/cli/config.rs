//! The `test` command line (MAELSTROM.md §5.5): Maelstrom's flags with the same names and
//! defaults, validated into a [`TestConfig`]. Flags for workloads not implemented yet are accepted
//! and ignored.

use crate::core::checkers::Availability;
use crate::core::run::RunConfig;
use crate::core::topology::Topology;
use crate::core::workloads::WorkloadOpts;
use clap::Args;
use glomers_harness::net::{Latency, LatencyDist};
use std::path::PathBuf;
use std::time::Duration;

/// Options of `glomers-bench test`.
#[derive(Args, Debug, Clone)]
pub struct TestArgs {
    /// Workload: echo, unique-ids, broadcast, g-counter (kafka, txn-rw-register: not yet).
    #[arg(short = 'w', long, default_value = "lin-kv")]
    pub workload: String,
    /// The node program (`test`: required; `sim` runs `--node` in-process instead).
    #[arg(long)]
    pub bin: Option<PathBuf>,
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
    /// Faults to inject: partition.
    #[arg(long)]
    pub nemesis: Option<String>,
    /// Mean seconds between nemesis steps.
    #[arg(long, default_value_t = 10.0)]
    pub nemesis_interval: f64,
    /// total, or a minimum fraction of operations that must succeed.
    #[arg(long)]
    pub availability: Option<String>,
    /// Broadcast topology: grid, line, tree, tree2, tree3, tree4, total.
    #[arg(long, default_value = "grid")]
    pub topology: String,
    /// Copy node stderr to the console.
    #[arg(long)]
    pub log_stderr: bool,
    /// Repeat the test; stops at the first result that is not valid.
    #[arg(long, default_value_t = 1)]
    pub test_count: u32,
    /// Seed for every random choice (default: from the clock; printed in the summary).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Where results go.
    #[arg(long, default_value = "store")]
    pub store: PathBuf,
    /// txn-rw-register: the consistency model to check (one name).
    #[arg(long, default_value = "strict-serializable")]
    pub consistency_models: String,
    /// kafka and txn-rw-register: keys active at once (default 10).
    #[arg(long)]
    pub key_count: Option<u64>,
    /// txn-rw-register: most micro-operations per transaction.
    #[arg(long, default_value_t = 4)]
    pub max_txn_length: u64,
    /// kafka and txn-rw-register: writes to a key before it is retired.
    #[arg(long, default_value_t = 16)]
    pub max_writes_per_key: u64,
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
    /// Arguments passed to every node.
    #[arg(num_args = 0.., trailing_var_arg = true, allow_hyphen_values = true)]
    pub node_args: Vec<String>,
}

/// A validated test configuration.
#[derive(Debug, Clone)]
pub struct TestConfig {
    /// What the run core needs.
    pub run: RunConfig,
    /// The node program (empty for a simulation).
    pub bin: PathBuf,
    /// Its arguments.
    pub node_args: Vec<String>,
    /// `--availability`.
    pub availability: Availability,
    /// `--log-stderr`.
    pub log_stderr: bool,
    /// `--test-count`.
    pub test_count: u32,
    /// Results directory root.
    pub store: PathBuf,
}

fn secs(flag: &str, s: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(s)
        .map_err(|_| format!("{flag} must be a non-negative number of seconds, got {s}"))
}

impl TestArgs {
    /// Validates the flags; `seed` is used when `--seed` is absent.
    ///
    /// # Errors
    /// A message naming the bad flag (exit code 254).
    pub fn validate(&self, seed: u64) -> Result<TestConfig, String> {
        let nodes: Vec<String> = match (self.node_count, &self.nodes) {
            (Some(0), _) => return Err("--node-count must be at least 1".into()),
            (Some(n), _) => (0..n).map(|i| format!("n{i}")).collect(),
            (None, None) if !self.node.is_empty() => self.node.clone(),
            (None, Some(list)) => {
                list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
            }
            (None, None) => (1..=5).map(|i| format!("n{i}")).collect(),
        };
        if nodes.is_empty() {
            return Err("--nodes names no node".into());
        }
        if (1..nodes.len())
            .any(|i| nodes.get(i).is_some_and(|n| nodes.get(..i).is_some_and(|seen| seen.contains(n))))
        {
            return Err(format!("node names must be distinct: {nodes:?}"));
        }
        if nodes.iter().any(|n| n.starts_with('c') || glomers_harness::services::NAMES.contains(&n.as_str()))
        {
            return Err(format!("node names must not start with 'c' or be a service name: {nodes:?}"));
        }
        let concurrency = parse_concurrency(&self.concurrency, nodes.len())?;
        if !(self.rate >= 0.0 && self.rate.is_finite()) {
            return Err(format!("--rate must be a non-negative number, got {}", self.rate));
        }
        let dist = match self.latency_dist.as_str() {
            "constant" => LatencyDist::Constant,
            "uniform" => LatencyDist::Uniform,
            "exponential" => LatencyDist::Exponential,
            d => return Err(format!("--latency-dist must be constant, uniform or exponential, got {d:?}")),
        };
        if dist != LatencyDist::Constant && self.latency == 0 {
            return Err(format!(
                "--latency-dist {} needs --latency above 0 (Maelstrom would hang or crash with 0)",
                self.latency_dist
            ));
        }
        let nemesis = match self.nemesis.as_deref() {
            None | Some("") => false,
            Some(list) => {
                for f in list.split(',').map(str::trim) {
                    if f != "partition" {
                        return Err(format!("--nemesis supports only partition, got {f:?}"));
                    }
                }
                true
            }
        };
        let availability = match self.availability.as_deref() {
            None => Availability::Any,
            Some("total") => Availability::Total,
            Some(p) => match p.parse::<f64>() {
                Ok(x) if (0.0..=1.0).contains(&x) => Availability::AtLeast(x),
                _ => return Err(format!("--availability must be total or a number in [0, 1], got {p:?}")),
            },
        };
        let topology = Topology::parse(&self.topology).ok_or_else(|| {
            format!(
                "--topology must be grid, line, tree, tree2, tree3, tree4 or total, got {:?}",
                self.topology
            )
        })?;
        if nemesis && self.nemesis_interval <= 0.0 {
            return Err("--nemesis-interval must be above 0 seconds".into());
        }
        if self.test_count == 0 {
            return Err("--test-count must be at least 1".into());
        }
        Ok(TestConfig {
            run: RunConfig {
                workload: self.workload.clone(),
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
                },
                faults: crate::core::faults::Faults::default(),
            },
            bin: self.bin.clone().unwrap_or_default(),
            node_args: self.node_args.clone(),
            availability,
            log_stderr: self.log_stderr,
            test_count: self.test_count,
            store: self.store.clone(),
        })
    }
}

/// `--concurrency`: `Kn` is K × node count, a plain integer is literal.
fn parse_concurrency(s: &str, nodes: usize) -> Result<usize, String> {
    let bad = || format!("--concurrency must be an integer or Kn (like 2n), got {s:?}");
    let c = match s.strip_suffix('n') {
        Some(k) => k.parse::<usize>().map_err(|_| bad())? * nodes,
        None => s.parse::<usize>().map_err(|_| bad())?,
    };
    if c == 0 {
        return Err("--concurrency must be at least 1".into());
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: TestArgs,
    }

    fn parse(flags: &[&str]) -> Result<TestConfig, String> {
        let argv = ["x", "--bin", "/bin/true"].iter().chain(flags);
        Cli::try_parse_from(argv).map_err(|e| e.to_string())?.args.validate(1)
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
        assert!(parse(&["--nemesis", "kill"]).is_err());
        assert!(parse(&["--nemesis", "partition", "--nemesis-interval", "0"]).is_err());
        assert!(parse(&["--availability", "1.5"]).is_err());
        assert!(parse(&["--topology", "star"]).is_err());
    }
}
