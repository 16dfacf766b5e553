//! The list-append checker against the histories of Elle 0.2's own list-append tests, written
//! again in our history format, each with the name and `not` models Elle gives; and a rejected
//! history for every anomaly name it reports.

use super::super::agreement::request;
use super::*;
use crate::core::checkers::verdict::Validity;
use crate::core::history::build::ev;
use serde_json::{json, Value};

/// Elle's test notation: `"ax1ry12rz"` is `[["append", 1, 1], ["r", 2, [1, 2]], ["r", 3, null]]`
/// (keys x, y, z, t are 1, 2, 3, 4; each digit one element).
fn mops(text: &str) -> Value {
    let mut out: Vec<Value> = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(f) = chars.next() {
        let key = match chars.next() {
            Some('x') => 1,
            Some('y') => 2,
            Some('z') => 3,
            _ => 4,
        };
        let mut digits = Vec::new();
        while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
            digits.push(i64::from(d));
            chars.next();
        }
        out.push(match f {
            'a' => json!(["append", key, digits.first()]),
            _ if digits.is_empty() => json!(["r", key, null]),
            _ => json!(["r", key, digits]),
        });
    }
    Value::Array(out)
}

/// (process, outcome, notation) transactions, each invoked and completed in turn.
fn history(txns: &[(u64, Kind, &str)]) -> History {
    let mut h = History::default();
    for (i, (p, kind, text)) in txns.iter().enumerate() {
        let done = mops(text);
        ev(&mut h, Kind::Invoke, *p, "txn", request(&done), 10 * i as u64);
        let value = if *kind == Kind::Ok { done } else { request(&done) };
        ev(&mut h, *kind, *p, "txn", value, 10 * i as u64 + 5);
    }
    h
}

/// `ok` transactions of process 0, one after another.
fn oks(texts: &[&str]) -> History {
    let t: Vec<(u64, Kind, &str)> = texts.iter().map(|s| (0, Kind::Ok, *s)).collect();
    history(&t)
}

fn types(c: &Checked<TxnResult>) -> Vec<String> {
    c.result.anomaly_types().to_vec()
}

fn not(c: &Checked<TxnResult>) -> Value {
    c.to_results_json()["not"].clone()
}

#[test]
fn notation_reads_as_elle_writes_it() {
    assert_eq!(mops("ax1ry12rz"), json!([["append", 1, 1], ["r", 2, [1, 2]], ["r", 3, null]]));
}

#[test]
fn elle_g0_write_cycle() {
    let h = oks(&["ax1ay1", "ax2ay2", "rx12ry21"]);
    let c = check(&h, "read-uncommitted");
    assert_eq!(c.valid, Validity::Invalid);
    assert_eq!(types(&c), ["G0"]);
    assert_eq!(not(&c), json!(["read-uncommitted"]));
    let steps = &c.to_results_json()["anomalies"]["G0"][0]["steps"];
    assert_eq!(steps[0]["type"], "ww");
    assert_eq!(steps[1]["type"], "ww");
    assert!(c.problems[0].contains("appended 2 to key 1 right after T2 appended 1"), "{:?}", c.problems);
}

#[test]
fn elle_g1a() {
    let h = history(&[(0, Kind::Fail, "ax1"), (0, Kind::Ok, "rx1")]);
    let c = check(&h, "read-uncommitted");
    assert_eq!(c.valid, Validity::Unknown);
    assert_eq!(types(&c), ["empty-transaction-graph"]);
    assert_eq!(not(&c), json!(["read-committed"]));
    let c = check(&h, "repeatable-read");
    assert_eq!(c.valid, Validity::Invalid);
    assert_eq!(types(&c), ["G1a", "empty-transaction-graph"]);
    assert_eq!(c.to_results_json()["anomalies"]["G1a"][0]["element"], 1);
}

#[test]
fn elle_g1b_is_also_g_single_item() {
    let c = check(&oks(&["ax1ax2", "rx1"]), "strict-serializable");
    assert_eq!(types(&c), ["G-single-item", "G1b"]);
    assert_eq!(not(&c), json!(["read-committed"]));
    let steps = &c.to_results_json()["anomalies"]["G-single-item"][0]["steps"];
    assert_eq!(steps[0], json!({"type": "rw", "key": 1, "value": 1, "value'": 2}));
    assert_eq!(steps[1], json!({"type": "wr", "key": 1, "value": 1}));
}

#[test]
fn elle_g1c() {
    let h = oks(&["ax1ry1", "ax2ay1", "rx12ry1"]);
    assert_eq!(check(&h, "read-uncommitted").valid, Validity::Valid);
    let c = check(&h, "read-committed");
    assert_eq!(types(&c), ["G1c"]);
    assert_eq!(not(&c), json!(["read-committed"]));
}

#[test]
fn elle_g_single_item() {
    let h = oks(&["ax1ay1", "ax2ry", "rx12"]);
    assert_eq!(check(&h, "read-committed").valid, Validity::Valid);
    let c = check(&h, "serializable");
    assert_eq!(types(&c), ["G-single-item"]);
    assert_eq!(not(&c), json!(["consistent-view", "repeatable-read"]));
    let steps = &c.to_results_json()["anomalies"]["G-single-item"][0]["steps"];
    assert_eq!(steps[0], json!({"type": "rw", "key": 2, "value": null, "value'": 1}));
}

#[test]
fn elle_g2_item() {
    let h = oks(&["ax1ry", "ay1rx"]);
    assert_eq!(check(&h, "read-committed").valid, Validity::Valid);
    for m in ["serializable", "repeatable-read"] {
        let c = check(&h, m);
        assert_eq!(types(&c), ["G2-item"], "{m}");
        assert_eq!(not(&c), json!(["repeatable-read"]), "{m}");
    }
}

/// Elle's "Strong SI violation" and "Strong Session SI violation": a read misses an append
/// that completed before it began, on another process and on the same one.
#[test]
fn elle_strong_and_strong_session_violations() {
    let h =
        history(&[(0, Kind::Ok, "ax1"), (1, Kind::Ok, "ax2"), (2, Kind::Ok, "rx1"), (3, Kind::Ok, "rx12")]);
    assert_eq!(check(&h, "serializable").valid, Validity::Valid);
    let c = check(&h, "strict-serializable");
    assert_eq!(types(&c), ["G-single-item-realtime"]);
    assert_eq!(not(&c), json!(["strong-snapshot-isolation"]));
    let h =
        history(&[(0, Kind::Ok, "ax1"), (1, Kind::Ok, "ax2"), (1, Kind::Ok, "rx1"), (2, Kind::Ok, "rx12")]);
    assert_eq!(check(&h, "serializable").valid, Validity::Valid);
    let c = check(&h, "strong-session-snapshot-isolation");
    assert_eq!(types(&c), ["G-single-item-process"]);
    assert_eq!(not(&c), json!(["strong-session-snapshot-isolation"]));
}

#[test]
fn elle_g_nonadjacent_item_process() {
    let h =
        history(&[(0, Kind::Ok, "rxrz1"), (1, Kind::Ok, "ax1"), (1, Kind::Ok, "rz"), (2, Kind::Ok, "az1")]);
    assert_eq!(check(&h, "serializable").valid, Validity::Valid);
    let c = check(&h, "strong-session-snapshot-isolation");
    assert_eq!(types(&c), ["G-nonadjacent-item-process"], "{:?}", c.problems);
    assert_eq!(not(&c), json!(["strong-session-snapshot-isolation"]));
}

#[test]
fn elle_contradictory_read_orders() {
    let h = oks(&["ax1ry1", "ax2", "ax3ay1", "rx13", "rx123"]);
    let c = check(&h, "read-committed");
    assert_eq!(types(&c), ["G1c", "incompatible-order"]);
    assert_eq!(not(&c), json!(["read-committed"]));
    assert_eq!(
        c.to_results_json()["anomalies"]["incompatible-order"][0],
        json!({"key": 1, "values": [[1, 3], [1, 2, 3]]})
    );
}

#[test]
fn elle_dirty_updates() {
    let c = check(&history(&[(0, Kind::Fail, "ax1")]), "read-committed");
    assert_eq!(types(&c), ["empty-transaction-graph"]);
    let c = check(
        &history(&[(0, Kind::Fail, "ax1"), (1, Kind::Ok, "ax2"), (2, Kind::Ok, "rx12")]),
        "read-committed",
    );
    assert!(types(&c).contains(&"dirty-update".to_owned()), "{:?}", types(&c));
    assert_eq!(c.to_results_json()["anomalies"]["dirty-update"][0]["values"], json!([1, 2]));
    let h = history(&[
        (0, Kind::Fail, "ax1"),
        (1, Kind::Info, "ax2"),
        (2, Kind::Ok, "ax3"),
        (3, Kind::Ok, "rx123"),
    ]);
    let c = check(&h, "read-committed");
    assert_eq!(c.to_results_json()["anomalies"]["dirty-update"][0]["values"], json!([1, 2, 3]));
    assert_eq!(not(&c), json!(["read-committed"]));
}

#[test]
fn elle_duplicated_elements() {
    let c = check(&oks(&["ax1ry1", "ax2ay1", "rx121"]), "read-committed");
    assert_eq!(types(&c), ["G1c", "duplicate-elements"]);
    assert_eq!(not(&c), json!(["read-uncommitted"]));
    assert_eq!(c.to_results_json()["anomalies"]["duplicate-elements"][0]["duplicates"], json!([[1, 2]]));
}

#[test]
fn elle_internal() {
    let c = check(&oks(&["ax1ax2ax4", "ax3rx1234"]), "serializable");
    assert!(types(&c).contains(&"internal".to_owned()), "{:?}", types(&c));
    assert_eq!(c.to_results_json()["anomalies"]["internal"][0]["expected"], json!(["...", [3]]));
}

#[test]
fn elle_future_read_and_lost_update() {
    let c = check(&oks(&["rx1ax1", "rx1"]), "read-atomic");
    assert!(types(&c).contains(&"future-read".to_owned()), "{:?}", types(&c));
    let c = check(&oks(&["rxax1", "rxax2", "rx12"]), "cursor-stability");
    assert!(types(&c).contains(&"lost-update".to_owned()), "{:?}", types(&c));
}

#[test]
fn clean_histories_and_unobserved_appends_are_valid() {
    let h = history(&[
        (0, Kind::Ok, "ax1ry"),
        (1, Kind::Ok, "rx1ax2ay1"),
        (2, Kind::Info, "ax3"),
        (0, Kind::Ok, "rx12ry1az5"),
        (1, Kind::Fail, "ax4"),
        (2, Kind::Ok, "rx12ay2rz5"),
    ]);
    for m in ["strict-serializable", "strong-session-snapshot-isolation", "read-committed"] {
        let c = check(&h, m);
        assert_eq!(c.valid, Validity::Valid, "{m}: {:?}", c.problems);
    }
}

#[test]
fn bad_input_is_unknown_never_a_panic() {
    for v in [json!([["append", 1, "x"]]), json!([["w", 1, 1]]), json!([["r", 1, [1, "a"]]]), json!("x")] {
        let mut h = History::default();
        ev(&mut h, Kind::Invoke, 0, "txn", v.clone(), 0);
        ev(&mut h, Kind::Ok, 0, "txn", v, 1);
        assert_eq!(check(&h, "serializable").valid, Validity::Unknown);
    }
    let h = oks(&["ax1", "ax1"]);
    let c = check(&h, "serializable");
    assert_eq!(c.valid, Validity::Unknown);
    assert!(c.problems[0].contains("appended to key 1 more than once"), "{:?}", c.problems);
}

/// Each name the list-append checker reports is rejected under a model that prohibits it.
#[test]
fn each_anomaly_name_is_rejected_where_prohibited() {
    let mut reply = History::default();
    ev(&mut reply, Kind::Invoke, 0, "txn", json!([["append", 1, 1]]), 0);
    ev(&mut reply, Kind::Ok, 0, "txn", json!([["append", 1, 2]]), 1);
    let cases: Vec<(&str, History, &str)> = vec![
        ("G0", oks(&["ax1ay1", "ax2ay2", "rx12ry21"]), "read-uncommitted"),
        (
            "G1a",
            history(&[
                (0, Kind::Fail, "ax1"),
                (0, Kind::Ok, "rx1"),
                (1, Kind::Ok, "ay1"),
                (1, Kind::Ok, "ry1"),
            ]),
            "read-committed",
        ),
        ("G1b", oks(&["ax1ax2", "rx1"]), "read-committed"),
        ("G1c", oks(&["ax1ry1", "ax2ay1", "rx12ry1"]), "read-committed"),
        ("G-single-item", oks(&["ax1ay1", "ax2ry", "rx12"]), "serializable"),
        ("G-nonadjacent-item", oks(&["rxrt1", "ax1az1", "rz1ry", "ay1at1"]), "snapshot-isolation"),
        ("G2-item", oks(&["ax1ry", "ay1rx"]), "serializable"),
        ("internal", oks(&["ax1rx", "ay1", "ry1"]), "serializable"),
        ("future-read", oks(&["rx1ax1", "ry", "ay1"]), "read-atomic"),
        ("lost-update", oks(&["rxax1", "rxax2", "rx12"]), "update-atomic"),
        (
            "dirty-update",
            history(&[(0, Kind::Fail, "ax1"), (1, Kind::Ok, "ax2"), (2, Kind::Ok, "rx12")]),
            "read-committed",
        ),
        ("incompatible-order", oks(&["ax1", "ax2", "ax3", "rx13", "rx123"]), "read-committed"),
        ("duplicate-elements", oks(&["ax1", "ax2", "rx121"]), "read-uncommitted"),
        ("invalid-reply", reply, "linearizable"),
    ];
    for (name, h, model) in cases {
        let c = check(&h, model);
        assert_eq!(c.valid, Validity::Invalid, "{name} under {model}: {:?}", c.result);
        assert!(types(&c).contains(&name.to_owned()), "{name}: {:?}", types(&c));
        assert!(c.problems.iter().any(|p| p.starts_with(name)), "{name}: {:?}", c.problems);
    }
}

/// An `info` transaction is a vertex, and real time orders it after what completed before it
/// began: a read that saw its append before it was even invoked is a cycle.
#[test]
fn real_time_reaches_indeterminate_transactions() {
    let h = history(&[(0, Kind::Ok, "ax1"), (1, Kind::Ok, "rx12"), (2, Kind::Info, "ax2")]);
    assert_eq!(check(&h, "serializable").valid, Validity::Valid);
    let c = check(&h, "strict-serializable");
    assert_eq!(types(&c), ["G1c-realtime"], "{:?}", c.problems);
}

/// A write cycle the bounded search cannot reach: it starts from at most 16 `ww` edges of a
/// component, and here the first 16 (in Tarjan's order) lie on a chain of 20 appends to key 1
/// that only an `rw` edge closes; the two transactions that appended to keys 5 and 6 in opposite
/// orders (a `G0`) come last. The search names the chain's `G-single-item` only, which
/// read-uncommitted allows, so without Elle's fallback the history would pass; the `ww` edges
/// alone still hold a cycle, reported as `PL-1-cycle-exists`.
#[test]
fn a_write_cycle_the_search_misses_is_pl_1_cycle_exists() {
    const CHAIN: i64 = 20;
    let (x, y, w, z, p, q) = (1, 2, 3, 4, 5, 6);
    let mut txns = vec![
        json!([["append", p, 1], ["append", q, 2], ["append", z, 2]]),
        json!([["append", p, 2], ["append", q, 1], ["r", w, []]]),
        json!([["append", x, 1], ["append", y, 1], ["append", w, 1]]),
    ];
    txns.extend((2..CHAIN).map(|i| json!([["append", x, i]])));
    txns.push(json!([["append", x, CHAIN], ["r", y, []], ["append", z, 1]]));
    txns.push(json!([["r", x, (1..=CHAIN).collect::<Vec<i64>>()], ["r", z, [1, 2]]]));
    txns.push(json!([["r", p, [1, 2]], ["r", q, [1, 2]]]));
    let mut h = History::default();
    for (i, t) in txns.iter().enumerate() {
        ev(&mut h, Kind::Invoke, 0, "txn", request(t), 10 * i as u64);
        ev(&mut h, Kind::Ok, 0, "txn", t.clone(), 10 * i as u64 + 5);
    }
    let c = check(&h, "read-uncommitted");
    assert_eq!(c.valid, Validity::Invalid, "{:?}", c.problems);
    assert_eq!(types(&c), ["PL-1-cycle-exists"]);
    let case = &c.to_results_json()["anomalies"]["PL-1-cycle-exists"][0];
    assert_eq!(case["not"], "read-uncommitted");
    assert_eq!(case["scc"], json!([1, 3]), "the two appenders of keys 5 and 6: {case}");
    assert_eq!(c.to_results_json()["anomaly-counts"]["G-single-item"], 1);
    // Where the search does find a cycle that rules the model out, the fallback says nothing.
    let c = check(&h, "serializable");
    assert!(types(&c).contains(&"G-single-item".to_owned()), "{:?}", types(&c));
    assert!(
        !types(&c).iter().any(|t| t == "PL-SI-cycle-exists" || t == "PL-3-cycle-exists"),
        "{:?}",
        types(&c)
    );
}
