//! The txn-list-append controls (`bench/controls/src/txn_list_append.rs`) in the simulator over
//! many seeds: the correct one (one node holds every list) is valid under partitions; each
//! broken one is rejected with its anomaly named. Each test prints how many seeds it rejected.

mod sim_spec;

use glomers_bench::shell::sim::{SeedResult, Spec};
use sim_spec::{seeds, spec};
use std::collections::BTreeMap;

/// Seeds each broken control runs over.
const SEEDS: u64 = 200;

/// A txn-list-append run of control `name` on `nodes` nodes for `secs` seconds at rate 100,
/// checked under `model`, plus `extra` flags.
fn run(name: &str, nodes: &str, secs: &str, model: &str, extra: &[&str]) -> Spec {
    let mut flags = vec!["--node-count", nodes, "--time-limit", secs, "--rate", "100", "--concurrency", "2n"];
    flags.extend_from_slice(&["--consistency-models", model]);
    flags.extend_from_slice(extra);
    let make = glomers_controls::registry::factory(name).expect("control exists");
    spec("txn-list-append", &flags, make)
}

/// The seeds of `s` that were not valid, after printing how many and which anomalies they named.
fn rejected(name: &str, s: &Spec) -> Vec<SeedResult> {
    let bad: Vec<SeedResult> = seeds(s, SEEDS).into_iter().filter(|r| !r.is_valid()).collect();
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &bad {
        for a in &r.anomalies {
            *names.entry(a.as_str()).or_default() += 1;
        }
    }
    eprintln!("{name}: rejected on {}/{SEEDS} seeds; anomalies named (seeds): {names:?}", bad.len());
    bad
}

/// Asserts every rejected seed names `anomaly`.
fn all_name(bad: &[SeedResult], anomaly: &str) {
    let other = bad.iter().find(|r| !r.anomalies.iter().any(|a| a == anomaly));
    assert!(other.is_none(), "{anomaly} not named: {other:?}");
}

#[test]
fn one_owner_is_strict_serializable_under_partitions() {
    let s = run("txn-list-append", "5", "10", "strict-serializable", &["--nemesis", "partition"]);
    let results = seeds(&s, 50);
    let bad: Vec<&SeedResult> = results.iter().filter(|r| !r.is_valid()).collect();
    eprintln!("txn-list-append (one owner): valid on {}/50 seeds", 50 - bad.len());
    assert!(bad.is_empty(), "{bad:?}");
    assert!(results.iter().all(|r| r.headline_ok > 200), "{:?}", results.first());
}

#[test]
fn uncoordinated_nodes_are_rejected() {
    let bad = rejected(
        "txn-list-append-local",
        &run("txn-list-append-local", "2", "3", "strict-serializable", &[]),
    );
    assert!(bad.len() as u64 >= SEEDS - 5, "rejected on only {}/{SEEDS} seeds", bad.len());
    // Two nodes append to one key apart: their clients read lists neither of which extends the
    // other.
    all_name(&bad, "incompatible-order");
}

#[test]
fn a_doubled_append_is_duplicate_elements() {
    let bad =
        rejected("txn-list-append-double", &run("txn-list-append-double", "1", "2", "read-uncommitted", &[]));
    assert_eq!(bad.len() as u64, SEEDS);
    all_name(&bad, "duplicate-elements");
}

#[test]
fn a_read_of_an_aborted_append_is_g1a() {
    let bad =
        rejected("txn-list-append-aborted", &run("txn-list-append-aborted", "1", "2", "read-committed", &[]));
    assert!(bad.len() as u64 >= SEEDS - 5, "rejected on only {}/{SEEDS} seeds", bad.len());
    all_name(&bad, "G1a");
}

#[test]
fn a_read_of_an_intermediate_append_is_g1b() {
    let bad = rejected(
        "txn-list-append-intermediate",
        &run("txn-list-append-intermediate", "1", "3", "read-committed", &["--key-count", "3"]),
    );
    assert!(bad.len() as u64 >= SEEDS - 5, "rejected on only {}/{SEEDS} seeds", bad.len());
    all_name(&bad, "G1b");
}
