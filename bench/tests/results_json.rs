//! `results.json` pinned byte for byte: one short simulated run per workload (the real nodes of
//! `nodes/` under virtual time, so a seed replays exactly), judged and compared with the file
//! written before checker results became typed. A renamed key or a changed number fails here.

mod sim_spec;

use glomers_bench::output::verdict::{judge, TimeBase};
use glomers_bench::shell::sim::simulate;
use sim_spec::{node, spec};
use std::path::Path;
use std::time::Duration;

/// Simulates seed 7 of `workload` with `flags` and returns its results.json text.
fn results_json(workload: &str, node_name: &str, flags: &[&str]) -> String {
    let s = spec(workload, flags, node(node_name));
    let (mut run, mut nodes) = s.start(7).expect("workload supported");
    simulate(&mut run, &mut nodes, drop, |_, _| {}).expect("simulation ends");
    let judged =
        judge(&run, s.availability, Duration::ZERO, Path::new(""), TimeBase::Virtual).expect("judged");
    serde_json::to_string_pretty(&judged.results.to_json()).expect("serialisable")
}

fn pinned(name: &str, workload: &str, node_name: &str, flags: &[&str]) {
    let got = results_json(workload, node_name, flags);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/results_json").join(format!("{name}.json"));
    let want = std::fs::read_to_string(&path).expect("pinned file");
    assert!(got == want, "{name}: results.json changed:\n{got}");
}

#[test]
fn echo() {
    pinned("echo", "echo", "echo", &["--node-count", "2", "--time-limit", "2", "--rate", "10"]);
}

#[test]
fn unique_ids() {
    pinned(
        "unique-ids",
        "unique-ids",
        "unique-ids",
        &["--node-count", "2", "--time-limit", "2", "--rate", "10"],
    );
}

#[test]
fn broadcast_with_partitions() {
    let flags = [
        "--node-count",
        "3",
        "--time-limit",
        "3",
        "--rate",
        "10",
        "--nemesis",
        "partition",
        "--nemesis-interval",
        "1",
    ];
    pinned("broadcast", "broadcast", "broadcast", &flags);
}

#[test]
fn g_counter() {
    pinned(
        "g-counter",
        "g-counter",
        "g-counter",
        &["--node-count", "2", "--time-limit", "2", "--rate", "10"],
    );
}

#[test]
fn kafka() {
    pinned("kafka", "kafka", "kafka", &["--node-count", "2", "--time-limit", "2", "--rate", "10"]);
}

#[test]
fn txn_rw_register() {
    let flags =
        ["--node-count", "2", "--time-limit", "2", "--rate", "10", "--consistency-models", "read-committed"];
    pinned("txn-rw-register", "txn-rw-register", "txn", &flags);
}
