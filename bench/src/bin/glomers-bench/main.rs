//! `glomers-bench`: the glomers workbench.
//!
//! Subcommands: `test` runs one Maelstrom workload against a node binary and judges it; `sim`
//! runs it against a node of `nodes/` in-process under virtual time, for one seed or many; `challenge`
//! and `challenges` run the Gossip Glomers challenges with their exact flags; `flood` load-tests
//! one node binary with echo requests (msgs/s, CPU per message, peak RSS, latency at a fixed rate);
//! `report` renders runs' HTML reports again; `check` judges a stored run again; `serve` serves
//! the store on 127.0.0.1.

#![warn(missing_docs)]

mod flood;

use clap::{CommandFactory, Parser, Subcommand};
use glomers_bench::cli::commands;
use glomers_bench::cli::config::TestArgs;
use glomers_bench::cli::entry::{self, HELP_WIDTH};
use glomers_bench::cli::error::BenchError;
use glomers_bench::cli::outcome::Outcome;
use glomers_bench::cli::sim::SimCommand;
use glomers_bench::sim::{registry, Sim};
use std::path::PathBuf;
use std::process::ExitCode;

/// Command line of `glomers-bench`.
#[derive(Parser)]
#[command(
    name = "glomers-bench",
    version,
    about = "Run and judge Gossip Glomers nodes natively",
    term_width = HELP_WIDTH
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// What to do.
#[derive(Subcommand)]
enum Command {
    /// Flood one echo node with requests and report throughput, CPU, memory and latency.
    Flood(flood::FloodArgs),
    /// Run a workload against node processes and judge it like Maelstrom.
    Test(Box<TestArgs>),
    /// Run a workload (or a challenge's runs) against a node of nodes/ in-process, under virtual
    /// time, for one seed or many.
    Sim(Box<SimCommand>),
    /// Run one Gossip Glomers challenge (1, 2, 3a-3e, 4, 5a-5c, 6a-6c) or Maelstrom guide
    /// workload (lin-kv, g-set, pn-counter, txn-list-append) with its exact flags.
    Challenge {
        /// Challenge id, or the guide workload's name.
        id: String,
        /// Node binary (default target/release/<node>).
        #[arg(long)]
        bin: Option<PathBuf>,
        /// Where results go.
        #[arg(long, default_value = "store")]
        store: PathBuf,
        /// Run the real Maelstrom at this path instead (`maelstrom test` with the same flags;
        /// its results.edn is read from ./store/latest).
        #[arg(long)]
        maelstrom: Option<PathBuf>,
    },
    /// Run every challenge, then the Maelstrom guide's workloads, and print one table.
    Challenges {
        /// Directory holding the node binaries.
        #[arg(long, default_value = "target/release")]
        bin_dir: PathBuf,
        /// Where results go.
        #[arg(long, default_value = "store")]
        store: PathBuf,
        /// Run the real Maelstrom at this path instead.
        #[arg(long)]
        maelstrom: Option<PathBuf>,
    },
    /// Render the HTML report of runs again: run directories, or stores (every run in them).
    Report {
        /// Run directories (store/<workload>/<time>) or store roots.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
    /// Judge a stored run again from its history with today's checkers (Maelstrom's analyze):
    /// rewrite its results and report, and print what changed.
    Check {
        /// The run directory (store/latest, or store/<workload>/<time>).
        dir: PathBuf,
        /// Judge strictly: a valid verdict that rests on little is not valid (default: as the
        /// run was judged).
        #[arg(long)]
        strict: bool,
    },
    /// Serve the store (reports, index, raw files) on 127.0.0.1.
    Serve {
        /// TCP port.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// The store to serve.
        #[arg(long, default_value = "store")]
        store: PathBuf,
    },
}

/// The real Maelstrom when a path is given, else this workbench.
fn runner<'a>(store: &'a std::path::Path, maelstrom: Option<&'a std::path::Path>) -> commands::Runner<'a> {
    maelstrom.map_or(commands::Runner::Bench(store), commands::Runner::Maelstrom)
}

/// Runs the command the user asked for; `sim` with the simulator of the nodes of nodes/.
fn run(command: Command, sim: &Sim) -> Result<Outcome, BenchError> {
    match command {
        Command::Flood(args) => flood::main(&args),
        Command::Test(args) => commands::test(&args),
        Command::Sim(args) => sim.command_line(&args, &entry::argv()),
        Command::Challenge { id, bin, store, maelstrom } => {
            commands::challenge(&id, bin, runner(&store, maelstrom.as_deref()))
        }
        Command::Challenges { bin_dir, store, maelstrom } => {
            commands::challenges(&bin_dir, runner(&store, maelstrom.as_deref()))
        }
        Command::Report { dirs } => commands::report(&dirs),
        Command::Check { dir, strict } => commands::check(&dir, strict),
        Command::Serve { port, store } => commands::serve(&store, port),
    }
}

fn main() -> ExitCode {
    // `sim` is the simulator's library API with the nodes of nodes/, as a user's own `main` is
    // with theirs.
    let sim = Sim::nodes(registry::NODES);
    match entry::parse::<Cli>(sim.subcommand(Cli::command()), std::env::args_os()) {
        Ok(cli) => entry::exit(run(cli.command, &sim)),
        Err(code) => code,
    }
}
