//! Hand-built histories: each anomaly detected, each model's verdict, clean histories valid.

use super::*;
use crate::core::history::build::ev;
use crate::core::history::Kind;
use serde_json::json;

/// Appends a transaction of `process` from `start` to `end` ms; reads go out as null.
fn txn(h: &mut History, process: u64, kind: Kind, mops: Value, start: u64, end: u64) {
    let invoked: Vec<Value> = mops
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| if m[0] == "r" { json!(["r", m[1], null]) } else { m.clone() })
        .collect();
    ev(h, Kind::Invoke, process, "txn", Value::Array(invoked.clone()), start);
    let value = if kind == Kind::Ok { mops } else { Value::Array(invoked) };
    ev(h, kind, process, "txn", value, end);
}

/// Sequential `ok` transactions, one after another.
fn serial(txns: &[Value]) -> History {
    let mut h = History::default();
    for (i, t) in txns.iter().enumerate() {
        txn(&mut h, i as u64 % 3, Kind::Ok, t.clone(), 10 * i as u64, 10 * i as u64 + 5);
    }
    h
}

/// A few clean transactions that give the graph edges.
fn filler() -> Vec<Value> {
    vec![json!([["w", 100, 1]]), json!([["r", 100, 1], ["w", 100, 2]]), json!([["r", 100, 2]])]
}

fn types(c: &Checked<TxnResult>) -> Vec<String> {
    c.result.anomaly_types().to_vec()
}

fn invalid_with(c: &Checked<TxnResult>, anomaly: &str) {
    assert_eq!(c.valid, Validity::Invalid, "{:?}", c.problems);
    assert!(types(c).iter().any(|t| t == anomaly), "{anomaly} missing from {:?}", c.to_results_json());
    assert!(c.problems.iter().any(|p| p.starts_with(anomaly)), "{anomaly} not explained: {:?}", c.problems);
}

#[test]
fn clean_serial_history_is_valid_under_every_model() {
    let h = serial(&[
        json!([["w", 1, 1], ["w", 2, 1]]),
        json!([["r", 1, 1], ["w", 1, 2], ["r", 2, 1]]),
        json!([["r", 1, 2], ["r", 3, null], ["w", 3, 1]]),
        json!([["r", 3, 1], ["w", 3, 2], ["w", 3, 3], ["r", 3, 3]]),
    ]);
    for m in ["read-uncommitted", "read-committed", "serializable", "strict-serializable"] {
        let c = check(&h, m);
        assert_eq!(c.valid, Validity::Valid, "{m}: {:?}", c.result);
        assert_eq!(c.to_results_json(), json!({"valid?": true}));
    }
}

#[test]
fn a_cycle_of_edges_both_ww_and_wr_is_g1c_not_g0() {
    // Each transaction read the other's write of one key and overwrote it: every edge is both
    // ww and wr. Elle's rw-register explains a pair by wr before ww, so this is G1c. The ww
    // edges alone still form a cycle, which read-uncommitted prohibits: Elle 0.2 reports it as
    // PL-1-cycle-exists, since the G1c found does not rule read-uncommitted out.
    let mut t = filler();
    t.push(json!([["r", 2, 1], ["w", 2, 2], ["w", 1, 1]]));
    t.push(json!([["r", 1, 1], ["w", 1, 2], ["w", 2, 1]]));
    let h = serial(&t);
    let c = check(&h, "read-uncommitted");
    invalid_with(&c, "PL-1-cycle-exists");
    assert_eq!(types(&c), vec!["PL-1-cycle-exists".to_owned()]);
    let c = check(&h, "read-committed");
    invalid_with(&c, "G1c");
    assert!(!types(&c).contains(&"G0".to_owned()), "{:?}", types(&c));
    assert!(types(&c).contains(&"PL-1-cycle-exists".to_owned()), "{:?}", types(&c));
    assert_eq!(c.to_results_json()["not"], json!(["read-uncommitted"]));
    assert!(c.to_results_json()["also-not"]
        .as_array()
        .is_some_and(|a| a.contains(&json!("strict-serializable"))));
    let p = c.problems.iter().find(|p| p.starts_with("G1c")).cloned().unwrap_or_default();
    assert!(p.contains("wrote key 1 = 1, which T2 read") || p.contains("wrote key 2 = 1"), "{p}");
}

#[test]
fn g1c_circular_information_flow_fails_read_committed_only() {
    let mut t = filler();
    t.push(json!([["w", 1, 1], ["r", 2, 1]]));
    t.push(json!([["w", 2, 1], ["r", 1, 1]]));
    let h = serial(&t);
    assert_eq!(check(&h, "read-uncommitted").valid, Validity::Valid);
    let c = check(&h, "read-committed");
    invalid_with(&c, "G1c");
    assert!(c.problems.iter().any(|p| p.contains("wrote key 1 = 1, which T")), "{:?}", c.problems);
}

#[test]
fn g1a_aborted_read_fails_read_committed_not_read_uncommitted() {
    let mut h = serial(&filler());
    txn(&mut h, 7, Kind::Fail, json!([["w", 5, 3]]), 100, 101);
    txn(&mut h, 8, Kind::Ok, json!([["r", 5, 3]]), 102, 103);
    assert_eq!(check(&h, "read-uncommitted").valid, Validity::Valid);
    let c = check(&h, "read-committed");
    invalid_with(&c, "G1a");
    assert_eq!(c.to_results_json()["not"], json!(["read-committed"]));
    assert!(c.problems[0].contains("read key 5 = 3"), "{:?}", c.problems);
    assert!(c.problems[0].contains("(process 7, fail)"), "{:?}", c.problems);
}

#[test]
fn g1b_intermediate_read_fails_read_committed() {
    let mut t = filler();
    t.push(json!([["w", 5, 1], ["w", 5, 2]]));
    t.push(json!([["r", 5, 1]]));
    let h = serial(&t);
    assert_eq!(check(&h, "read-uncommitted").valid, Validity::Valid);
    invalid_with(&check(&h, "read-committed"), "G1b");
}

#[test]
fn internal_and_lost_update_fail_serializable_only() {
    let mut t = filler();
    t.push(json!([["w", 5, 1], ["r", 5, 7]]));
    let h = serial(&t);
    assert_eq!(check(&h, "read-committed").valid, Validity::Valid);
    invalid_with(&check(&h, "serializable"), "internal");

    let mut t = filler();
    t.push(json!([["r", 6, null], ["w", 6, 1]]));
    t.push(json!([["r", 6, null], ["w", 6, 2]]));
    let h = serial(&t);
    assert_eq!(check(&h, "read-committed").valid, Validity::Valid);
    let c = check(&h, "serializable");
    invalid_with(&c, "lost-update");
    invalid_with(&c, "G2-item");
}

#[test]
fn g_single_item_read_skew_fails_serializable() {
    let mut t = filler();
    t.push(json!([["r", 1, null], ["r", 2, 1]]));
    t.push(json!([["w", 1, 1], ["w", 2, 1]]));
    let h = serial(&t);
    assert_eq!(check(&h, "read-committed").valid, Validity::Valid);
    let c = check(&h, "serializable");
    invalid_with(&c, "G-single-item");
    assert!(c.problems.iter().any(|p| p.contains("read key 1 = nil and T")), "{:?}", c.problems);
}

#[test]
fn realtime_variants_need_strict_serializable() {
    // A stale read: T2 began after T1 completed, yet missed T1's write.
    let mut h = serial(&filler());
    txn(&mut h, 4, Kind::Ok, json!([["w", 9, 1]]), 100, 110);
    txn(&mut h, 5, Kind::Ok, json!([["r", 9, null]]), 120, 130);
    assert_eq!(check(&h, "serializable").valid, Validity::Valid);
    let c = check(&h, "strict-serializable");
    invalid_with(&c, "G-single-item-realtime");
    assert!(c.problems.iter().any(|p| p.contains("completed (history index")), "{:?}", c.problems);
    // The same with process order only: one process would need to run both.
    assert_eq!(check(&h, "strong-session-serializable").valid, Validity::Valid);
    let mut h = serial(&filler());
    txn(&mut h, 4, Kind::Ok, json!([["w", 9, 1]]), 100, 110);
    txn(&mut h, 4, Kind::Ok, json!([["r", 9, null]]), 120, 130);
    invalid_with(&check(&h, "strong-session-serializable"), "G-single-item-process");
}

#[test]
fn cyclic_versions_fail_read_uncommitted() {
    let mut t = filler();
    t.push(json!([["r", 4, 1], ["w", 4, 2]]));
    t.push(json!([["r", 4, 2], ["w", 4, 1]]));
    let c = check(&serial(&t), "read-uncommitted");
    invalid_with(&c, "cyclic-versions");
    assert_eq!(c.to_results_json()["anomalies"]["cyclic-versions"][0]["scc"], json!([1, 2]));
}

#[test]
fn empty_graph_fails_and_unknown_models_are_unknown() {
    let h = serial(&[json!([["w", 1, 1]])]);
    invalid_with(&check(&h, "read-uncommitted"), "empty-transaction-graph");
    let clean = serial(&filler());
    for m in ["bogus", "read-committed,serializable", "Serializable"] {
        let c = check(&clean, m);
        assert_eq!(c.valid, Validity::Unknown, "{m}");
        assert!(c.problems[0].contains("consistency model"), "{:?}", c.problems);
    }
    assert_eq!(check(&clean, "read-committed , serializable").valid, Validity::Valid);
}

#[test]
fn malformed_values_make_the_verdict_unknown() {
    let h = serial(&[json!([["w", 1, "x"]])]);
    assert_eq!(check(&h, "read-committed").valid, Validity::Unknown);
}

#[test]
fn sccs_handle_long_chains() {
    let n = 200_000u32;
    // A ring: one component of every vertex, no recursion depth problem.
    let ring = cycles::sccs(n as usize, |v| std::iter::once((v + 1) % n));
    assert_eq!(ring.len(), 1);
    assert_eq!(ring[0].len(), n as usize);
    let chain = cycles::sccs(n as usize, |v| (v + 1 < n).then_some(v + 1).into_iter());
    assert!(chain.is_empty());
}

#[test]
fn many_small_cycles_are_each_found() {
    let mut t = filler();
    for k in 1000..3000 {
        t.push(json!([["r", k, null], ["w", k, 1]]));
        t.push(json!([["r", k, null], ["w", k, 2]]));
    }
    let c = check(&serial(&t), "serializable");
    assert_eq!(c.to_results_json()["anomaly-counts"]["G2-item"], 2000);
    assert_eq!(c.to_results_json()["anomaly-counts"]["lost-update"], 2000);
    assert_eq!(c.to_results_json()["anomalies"]["G2-item"].as_array().map(Vec::len), Some(SHOWN));
    assert!(c.problems.contains(&"G2-item: … and 1997 more".to_owned()), "{:?}", c.problems);
}

#[test]
fn stricter_order_reports_blind_write_cycles_apart() {
    // Blind writes: T1 sets keys 1 and 2 to 1, T2 sets both to 2. Process 1 later sees key 1
    // at 2 (so 1 came first), process 2 sees key 2 at 1 (so 2 came first): T1 and T2 each
    // overwrote the other. Only the per-key sequential order relates these writes.
    let mut h = serial(&filler());
    txn(&mut h, 1, Kind::Ok, json!([["w", 1, 1], ["w", 2, 1]]), 100, 101);
    txn(&mut h, 2, Kind::Ok, json!([["w", 1, 2], ["w", 2, 2]]), 100, 101);
    txn(&mut h, 1, Kind::Ok, json!([["r", 1, 2]]), 102, 103);
    txn(&mut h, 2, Kind::Ok, json!([["r", 2, 1]]), 102, 103);
    let c = check(&h, "read-uncommitted");
    assert_eq!(c.valid, Validity::Valid, "{:?}", c.result);
    let extra = &c.to_results_json()["stricter-version-order"];
    assert_eq!(extra["counts-toward-validity"], false);
    assert!(extra["count"].as_u64() >= Some(1), "{extra}");
    assert!(extra["explanations"][0].as_str().is_some_and(|s| s.starts_with("G0")), "{extra}");
    // A process seeing a key go back is a cyclic order, reported apart too.
    let mut h = serial(&filler());
    txn(&mut h, 1, Kind::Ok, json!([["w", 1, 1]]), 100, 101);
    txn(&mut h, 2, Kind::Ok, json!([["w", 1, 2]]), 100, 101);
    txn(&mut h, 1, Kind::Ok, json!([["r", 1, 2]]), 102, 103);
    txn(&mut h, 2, Kind::Ok, json!([["r", 1, 1]]), 102, 103);
    let c = check(&h, "read-uncommitted");
    assert_eq!(c.valid, Validity::Valid, "{:?}", c.result);
    assert_eq!(c.to_results_json()["stricter-version-order"]["cyclic-versions"][0]["scc"], json!([1, 2]));
    // Nothing stricter to say about a serial history.
    assert!(check(&serial(&filler()), "read-uncommitted")
        .to_results_json()
        .get("stricter-version-order")
        .is_none());
}

#[test]
fn long_cycles_are_explained_in_part() {
    // A ring of 12 write-read dependencies: each transaction reads its predecessor's write.
    let mut t = filler();
    for i in 0..12i64 {
        t.push(json!([["r", 500 + (i + 11) % 12, 1], ["w", 500 + i, 1]]));
    }
    let c = check(&serial(&t), "read-committed");
    invalid_with(&c, "G1c");
    let p = c.problems.iter().find(|p| p.starts_with("G1c")).cloned().unwrap_or_default();
    assert!(p.starts_with("G1c: a cycle of 12 transactions:"), "{p}");
    assert!(p.contains("T8 = ") && !p.contains("T9 = ") && p.ends_with('…'), "{p}");
    assert_eq!(c.to_results_json()["anomalies"]["G1c"][0]["cycle"].as_array().map(Vec::len), Some(12));
}
