//! End-to-end tests of the txn-rw-register workload and checker against the `glomers-control`
//! txn modes: the correct store passes, each broken one is rejected with its anomaly named.

mod common;

use common::{test, Outcome};

/// A short single-node run of `mode` checked under `model`, plus `extra` flags.
fn run(name: &str, mode: &str, model: &str, extra: &[&str]) -> Outcome {
    let mut flags = vec![
        "--node-count",
        "1",
        "--time-limit",
        "3",
        "--rate",
        "200",
        "--concurrency",
        "10",
        "--consistency-models",
        model,
    ];
    flags.extend_from_slice(extra);
    test(name, "txn-rw-register", &flags, mode)
}

/// Asserts the run failed (exit 1) with `anomaly` in results.json and in the explanation.
fn rejected_with(o: &Outcome, anomaly: &str) {
    assert_eq!(o.code, 1, "{}", o.show());
    let r = o.results();
    assert_eq!(r["workload"]["valid?"], false, "{}", o.show());
    let types = r["workload"]["anomaly-types"].as_array().cloned().unwrap_or_default();
    assert!(types.iter().any(|t| t == anomaly), "{anomaly} not in {types:?}");
    assert!(r["workload"]["anomalies"][anomaly].as_array().is_some_and(|a| !a.is_empty()));
    assert!(o.stdout.contains(&format!("  - {anomaly}")), "{anomaly} not explained: {}", o.show());
}

#[test]
fn correct_store_passes_read_committed_and_strict_serializable() {
    for model in ["read-committed", "strict-serializable"] {
        let o = run(&format!("txn-{model}"), "txn", model, &["--availability", "total"]);
        assert_eq!(o.code, 0, "{model}: {}", o.show());
        let r = o.results();
        assert_eq!(r["workload"], serde_json::json!({"valid?": true}));
        assert!(r["stats"]["by-f"]["txn"]["ok-count"].as_u64() > Some(100), "{}", o.show());
    }
}

#[test]
fn dirty_store_is_g1a_under_read_committed_but_passes_read_uncommitted() {
    let o = run("txn-dirty-rc", "txn-dirty", "read-committed", &[]);
    rejected_with(&o, "G1a");
    assert!(o.stdout.contains("a value written by the failed (aborted) txn"), "{}", o.show());
    assert_eq!(o.results()["workload"]["not"], serde_json::json!(["read-committed"]));
    let o = run("txn-dirty-ru", "txn-dirty", "read-uncommitted", &[]);
    assert_eq!(o.code, 0, "{}", o.show());
    assert!(o.results()["stats"]["fail-count"].as_u64() > Some(0), "the control did fail some txns");
}

#[test]
fn intermediate_writes_are_g1b_under_read_committed() {
    let o = run("txn-intermediate", "txn-intermediate", "read-committed", &[]);
    rejected_with(&o, "G1b");
    assert!(o.stdout.contains("overwritten later within the transaction"), "{}", o.show());
}

#[test]
fn write_cycle_is_g1c_under_read_committed() {
    // Two hot keys that last the whole run make the control's pairs of transactions likely.
    // Each edge of the cycle is both ww and wr; Elle explains it by wr, so it is G1c, which
    // read-uncommitted allows.
    let extra = ["--key-count", "2", "--max-writes-per-key", "1000"];
    let o = run("txn-g0", "txn-g0", "read-committed", &extra);
    rejected_with(&o, "G1c");
    assert!(o.stdout.contains("which T2 read") || o.stdout.contains("which T1 read"), "{}", o.show());
}

#[test]
fn unknown_model_is_unknown() {
    let o = run("txn-unknown-model", "txn", "snapshot-isolation-ish", &[]);
    assert_eq!(o.code, 2, "{}", o.show());
    assert_eq!(o.results()["workload"]["valid?"], "unknown");
    assert!(o.stdout.contains("unknown consistency model"), "{}", o.show());
}
