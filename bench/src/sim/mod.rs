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
