//! The simulator as a library, for a node of your own built on `glomers_engine`: the same
//! virtual time, network, services, faults and checkers as `glomers-bench sim`, one seed or
//! thousands, each failing seed with the command that replays it.
//!
//! A `#[test]` that runs 200 seeds of a workload and fails with the seeds that were not valid:
//! ```no_run
//! # use glomers_engine::{Init, Message, Node, Out, RpcError};
//! # struct MyNode;
//! # impl Node for MyNode {
//! #     type Body = serde_json::Value;
//! #     fn init(_: &Init) -> Result<Self, RpcError> { Ok(MyNode) }
//! #     fn on_message(&self, _: Message<Self::Body>, _: &mut Out<Self>) -> Result<(), RpcError> { Ok(()) }
//! # }
//! use glomers_bench::sim::Sim;
//!
//! let flags = "-w broadcast --node-count 5 --time-limit 10 --nemesis partition --seeds 1..200";
//! Sim::node::<MyNode>().run(flags.split_whitespace()).expect("the flags are valid").assert_valid();
//! ```
//! And a binary (`src/bin/sim.rs`) with `glomers-bench sim`'s whole command line, its node
//! fixed to yours:
//! ```no_run
//! # use glomers_engine::{Init, Message, Node, Out, RpcError};
//! # struct MyNode;
//! # impl Node for MyNode {
//! #     type Body = serde_json::Value;
//! #     fn init(_: &Init) -> Result<Self, RpcError> { Ok(MyNode) }
//! #     fn on_message(&self, _: Message<Self::Body>, _: &mut Out<Self>) -> Result<(), RpcError> { Ok(()) }
//! # }
//! fn main() -> std::process::ExitCode {
//!     glomers_bench::sim::main::<MyNode>()
//! }
//! ```
//! `glomers-bench sim` itself is [`Sim::nodes`] with [`registry::NODES`], the nodes of
//! `nodes/`. The flags, the run and the table are `crate::cli::sim`'s; `docs/simulator.md` at
//! the top of the repository describes what a simulated run models.

pub mod registry;

pub use crate::core::checkers::verdict::Validity;
pub use crate::shell::sim::{Factory, SeedCrash, SeedResult, SimNode};

use crate::cli::entry;
use crate::cli::error::BenchError;
use crate::cli::outcome::Outcome;
use crate::cli::sim::{self as command, SimCommand};
use crate::shell::sim::{run_seeds, table, Replay};
use clap::{Args, Command};
use glomers_engine::Node;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The program of a replay command when none is set: the binary `src/bin/sim.rs` makes.
const REPLAY_PREFIX: &str = "cargo run --bin sim --";

/// A simulator for some nodes: runs seeds from a `sim` command line and returns their
/// verdicts ([`Sim::run`]), or is a whole `sim` command ([`Sim::main`]).
#[derive(Clone, Debug)]
pub struct Sim {
    /// What `--impl` chooses from.
    nodes: Vec<SimNode>,
    /// What a replay command starts with, before the flags (for [`Sim::run`]).
    replay: String,
}

impl Sim {
    /// A simulator of the engine node `N` (built by `Node::init`), for any workload.
    pub fn node<N: Node>() -> Sim {
        Sim::nodes([SimNode::of::<N>()])
    }

    /// A simulator of these nodes: `--impl` chooses, and by default the first that implements
    /// the workload runs. A [`SimNode`] with its own [`Factory`] runs a node that is built some
    /// other way than `Node::init` (with settings, say).
    pub fn nodes(nodes: impl Into<Vec<SimNode>>) -> Sim {
        Sim { nodes: nodes.into(), replay: REPLAY_PREFIX.to_owned() }
    }

    /// Replay commands of [`Sim::run`] start with `prefix` (by default `cargo run --bin sim
    /// --`, for a binary in `src/bin/sim.rs` whose `main` is [`main`]).
    #[must_use]
    pub fn replay_with(mut self, prefix: impl Into<String>) -> Sim {
        self.replay = prefix.into();
        self
    }

    /// Runs the seeds `flags` ask for and judges each in memory: `flags` are `glomers-bench
    /// sim`'s (without the program name), `--seeds A..B` for many seeds, `--seed S` or neither
    /// (a seed from the clock) for one. Nothing is printed or written; `--store` and
    /// `--log-stderr` are accepted and unused. With `--challenge`, every run of the challenge
    /// runs every seed.
    ///
    /// # Errors
    /// [`BenchError::BadArgs`] with clap's message for an unknown or malformed flag, and the
    /// command's own errors for flags that do not fit together.
    pub fn run<I, S>(&self, flags: I) -> Result<Report, BenchError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let args: Vec<String> = flags.into_iter().map(Into::into).collect();
        let cmd = self.command(Command::new("sim").no_binary_name(true));
        let cmd = cmd
            .try_get_matches_from(&args)
            .and_then(|m| <SimCommand as clap::FromArgMatches>::from_arg_matches(&m))
            .map_err(|e| BenchError::BadArgs(e.render().to_string().trim_end().to_owned()))?;
        let planned = command::plan(&cmd, &self.nodes, &Replay { prefix: self.replay.clone(), args })?;
        let seeds = command::seeds(&cmd)?;
        let start = Instant::now();
        let mut results = Vec::new();
        for p in &planned {
            let seeds = seeds.clone().unwrap_or(p.spec.run.seed..=p.spec.run.seed);
            results.extend(run_seeds(&p.spec, seeds, command::jobs(&cmd), &|_| {}));
        }
        Ok(Report { seeds: results, wall: start.elapsed() })
    }

    /// `glomers-bench sim` with these nodes, on this process's command line: the same flags,
    /// help, output and exit codes (254 for a bad flag), the program's name in its usage line.
    pub fn main(&self) -> ExitCode {
        let argv = entry::argv();
        let program = argv.first().and_then(|p| std::path::Path::new(p).file_name());
        let program = program.map_or_else(|| "sim".to_owned(), |p| p.to_string_lossy().into_owned());
        let names: Vec<&str> = self.nodes.iter().map(|n| n.name).collect();
        let cmd = self.command(Command::new("sim").bin_name(program)).about(format!(
            "Run a workload (or a challenge's runs) against {} in-process, under virtual time, \
             for one seed or many.",
            names.join(", ")
        ));
        match entry::parse::<SimCommand>(cmd, std::env::args_os()) {
            Ok(cmd) => entry::exit(self.command_line(&cmd, &argv)),
            Err(code) => code,
        }
    }

    /// Runs `glomers-bench sim` as parsed (`cmd`, from `argv`) with these nodes; what
    /// `glomers-bench` itself does for `sim`.
    ///
    /// # Errors
    /// Bad flags (before anything runs), or a run that crashed or could not be written.
    pub fn command_line(&self, cmd: &SimCommand, argv: &[String]) -> Result<Outcome, BenchError> {
        command::sim(cmd, argv, &self.nodes)
    }

    /// `sim`'s flags on `cmd`, with `--impl` choosing among these nodes.
    fn command(&self, cmd: Command) -> Command {
        command::with_nodes(SimCommand::augment_args(cmd.term_width(entry::HELP_WIDTH)), &self.nodes)
    }

    /// `--impl` of `sim` in `cmd` (a `glomers-bench` with a `sim` subcommand) choosing among
    /// these nodes.
    pub fn subcommand(&self, cmd: Command) -> Command {
        cmd.mut_subcommand("sim", |sim| command::with_nodes(sim, &self.nodes))
    }
}

/// Runs `glomers-bench sim`'s command line with the engine node `N`: the whole `main` of a
/// binary that simulates your node. See [`Sim::main`].
pub fn main<N: Node>() -> ExitCode {
    Sim::node::<N>().main()
}

/// Every seed of a [`Sim::run`], in seed order.
#[derive(Debug, Clone)]
pub struct Report {
    /// Each seed's verdict, measurements and replay command.
    pub seeds: Vec<SeedResult>,
    /// Wall time for all of them.
    pub wall: Duration,
}

impl Report {
    /// The seeds whose verdict is not valid (invalid, unknown, or crashed).
    pub fn failures(&self) -> impl Iterator<Item = &SeedResult> {
        self.seeds.iter().filter(|r| !r.is_valid())
    }

    /// The table `sim --seeds` prints: counts, distributions across seeds, failures.
    pub fn table(&self) -> String {
        table(&self.seeds, self.wall)
    }

    /// Asserts that every seed ran, was valid, and did some work.
    ///
    /// # Panics
    /// When a seed's verdict is not valid, or no operation of the workload's headline kind
    /// (`broadcast`, `add`, `send`, …) succeeded in it (a node that answers nothing can be
    /// valid), or no seed ran: the message names each such seed, why, and the command that
    /// replays it.
    #[track_caller]
    pub fn assert_valid(&self) {
        let mut bad = String::new();
        let mut count = 0;
        for r in &self.seeds {
            let why = match &r.verdict {
                Ok(Validity::Valid) if r.headline_ok > 0 => continue,
                Ok(Validity::Valid) => "valid, but no operation succeeded".to_owned(),
                Ok(v) => format!("{}: {}", crate::output::verdict::word(*v), cause(r)),
                Err(_) => format!("crashed: {}", cause(r)),
            };
            count += 1;
            let _ = writeln!(bad, "  seed {}: {why}\n    replay: {}", r.seed, r.replay);
        }
        assert!(!self.seeds.is_empty(), "no seed ran");
        assert!(count == 0, "{count} of {} seeds failed:\n{bad}", self.seeds.len());
    }
}

fn cause(r: &SeedResult) -> &str {
    r.cause.as_deref().unwrap_or("(no reason given)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo_only() -> Sim {
        Sim::nodes(registry::node("echo").into_iter().collect::<Vec<_>>()).replay_with("my-sim")
    }

    #[test]
    fn run_returns_each_seed_with_its_verdict_and_replay_command() {
        let report = echo_only().run("-w echo --node-count 1 --time-limit 1 --seeds 1..3".split(' '));
        let report = report.expect("the flags are valid");
        let got: Vec<(u64, bool, &str)> =
            report.seeds.iter().map(|r| (r.seed, r.is_valid(), r.replay.as_str())).collect();
        let want = |s| format!("my-sim -w echo --node-count 1 --time-limit 1 --seed {s}");
        let (r1, r2, r3) = (want(1), want(2), want(3));
        assert_eq!(got, [(1, true, r1.as_str()), (2, true, r2.as_str()), (3, true, r3.as_str())]);
        assert!(report.failures().next().is_none() && report.table().starts_with("seeds run: 3, valid: 3"));
        report.assert_valid();
    }

    #[test]
    fn a_workload_no_node_implements_and_a_bad_flag_are_errors() {
        let err = |flags: &str| echo_only().run(flags.split(' ')).map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(err("-w broadcast"), Err("no node here implements workload broadcast".to_owned()));
        assert!(err("-w echo --impl broadcast").is_err_and(|e| e.contains("invalid value 'broadcast'")));
        assert!(err("-w echo --nope").is_err_and(|e| e.contains("unexpected argument '--nope'")));
    }

    #[test]
    fn assert_valid_names_each_failing_seed_and_its_replay() {
        // Two valid seeds, edited: one judged invalid, one that did nothing.
        let mut report = echo_only().run("-w echo --node-count 1 --time-limit 1 --seeds 4..5".split(' '));
        let report = report.as_mut().expect("the flags are valid");
        report.seeds[0].headline_ok = 0;
        report.seeds[1].verdict = Ok(Validity::Invalid);
        report.seeds[1].cause = Some("wrong echo".into());
        let panic = std::panic::catch_unwind(|| report.assert_valid()).expect_err("it panics");
        let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        let replay = "my-sim -w echo --node-count 1 --time-limit 1 --seed";
        assert_eq!(
            text,
            format!(
                "2 of 2 seeds failed:\n  seed 4: valid, but no operation succeeded\n    replay: {replay} 4\n  \
                 seed 5: INVALID: wrong echo\n    replay: {replay} 5\n"
            )
        );
        report.seeds.clear();
        assert!(std::panic::catch_unwind(|| report.assert_valid()).is_err(), "no seed ran");
    }
}
