//! Shared by the simulator's end-to-end tests (`sim.rs`, `sim_controls.rs`): the spec that
//! `glomers-bench sim` would build from a command line, with any node.

#![allow(dead_code)] // each test binary uses its own subset

use glomers_bench::cli::config::RunArgs;
use glomers_bench::shell::sim::{run_seeds, Factory, Replay, SeedResult, Spec};
use glomers_bench::sim::registry;

/// The spec `glomers-bench sim` would build from these flags, with node `make`.
pub fn spec(workload: &str, flags: &[&str], make: Factory) -> Spec {
    let argv: Vec<&str> = ["-w", workload].iter().chain(flags).copied().collect();
    let setup = RunArgs::from_flags(&argv).expect("flags parse").validate(1).expect("flags are valid");
    let replay =
        Replay { prefix: "glomers-bench sim".into(), args: argv.iter().map(|a| (*a).into()).collect() };
    Spec { run: setup.run, criteria: setup.criteria, node: make, replay }
}

/// A node of `nodes/` by its name.
pub fn node(name: &str) -> Factory {
    registry::node(name).expect("node exists").make
}

/// Runs seeds 1..=n of `s` on 2 threads, in seed order.
pub fn seeds(s: &Spec, n: u64) -> Vec<SeedResult> {
    run_seeds(s, 1..=n, 2, &|_| {})
}
