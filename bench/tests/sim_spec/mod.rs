//! Shared by the simulator's end-to-end tests (`sim.rs`, `sim_controls.rs`): the spec that
//! `glomers-bench sim` would build from a command line, with any node.

#![allow(dead_code)] // each test binary uses its own subset

use glomers_bench::cli::config::TestArgs;
use glomers_bench::shell::sim::{run_seeds, SeedResult, Spec};

/// The spec `glomers-bench sim` would build from these flags, with node `make`.
pub fn spec(workload: &str, flags: &[&str], make: glomers_nodes::registry::Factory) -> Spec {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: TestArgs,
    }
    let argv = ["sim", "-w", workload].into_iter().chain(flags.iter().copied());
    let cfg = Cli::try_parse_from(argv).expect("flags parse").args.validate(1).expect("flags are valid");
    Spec { run: cfg.run, availability: cfg.availability, node: make }
}

/// A node of `nodes/` by its registry name.
pub fn node(name: &str) -> glomers_nodes::registry::Factory {
    glomers_nodes::registry::factory(name).expect("node exists")
}

/// Runs seeds 1..=n of `s` on 2 threads, in seed order.
pub fn seeds(s: &Spec, n: u64) -> Vec<SeedResult> {
    run_seeds(s, 1..=n, 2, &|_| {})
}
