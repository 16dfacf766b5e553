//! `results.json` pinned byte for byte: one short simulated run per workload (the real nodes of
//! `nodes/` under virtual time, so a seed replays exactly), judged and compared with the file
//! written before checker results became typed. A renamed key or a changed number fails here,
//! and so does a figure that the report (typed) and the file read back ([`Headline`]) disagree on.

mod sim_spec;

use glomers_bench::output::verdict::{judge, Headline, TimeBase};
use glomers_bench::shell::sim::simulate;
use sim_spec::{node, spec};
use std::path::Path;
use std::time::Duration;

/// Simulates seed 7 of `workload` with `flags` and returns its results.json text, after checking
/// that the figures read back from it are the report's.
fn results_json(workload: &str, node_name: &str, flags: &[&str]) -> String {
    let s = spec(workload, flags, node(node_name));
    let (mut run, mut nodes) = s.start(7);
    simulate(&mut run, &mut nodes, s.restarts(7), drop, |_, _| {}).expect("simulation ends");
    let judged = judge(&run, s.criteria, Duration::ZERO, Path::new(""), TimeBase::Virtual).expect("judged");
    let json = judged.results.to_json();
    let r = &judged.report;
    let typed = Headline {
        valid: r.valid,
        msgs_per_op: r.msgs_per_op,
        stable_latency: r.stable_latency,
        broadcast: r.broadcast,
        availability: r.availability,
        messages: r.messages,
        bytes_per_op: r.bytes_per_op,
        server_bytes: r.server_bytes,
    };
    assert_eq!(Headline::read(&json), typed, "{workload}");
    assert_eq!(typed.stable_latency.is_some(), workload == "broadcast", "{workload}");
    serde_json::to_string_pretty(&json).expect("serialisable")
}

/// Asserts the run's results.json is the pinned `tests/results_json/NAME.json`.
fn pinned(name: &str, workload: &str, node_name: &str, flags: &[&str]) {
    let got = results_json(workload, node_name, flags);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/results_json").join(format!("{name}.json"));
    if std::env::var_os("GOLDEN_UPDATE").is_some() {
        std::fs::write(&path, &got).expect("pinned file written");
    }
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
