//! Agreement with Elle 0.2 (the version Maelstrom runs): the histories of Elle's own rw-register
//! tests, written again in our history format, each with the anomaly name and the `not` models
//! Elle gives; the names and precedence of cycle anomalies; every model name Elle knows; and a
//! rejected history for each anomaly name the rw-register checker reports.

use super::*;
use crate::core::history::build::ev;
use crate::core::history::Kind;
use serde_json::json;

/// Elle's test notation: `"wx1ry_"` is `[["w", 1, 1], ["r", 2, null]]` (keys x, y, z are 1, 2, 3).
fn mops(text: &str) -> Value {
    let chars: Vec<char> = text.chars().collect();
    let ops: Vec<Value> = chars
        .chunks(3)
        .map(|c| {
            let f = if c[0] == 'w' { "w" } else { "r" };
            let k = match c[1] {
                'x' => 1,
                'y' => 2,
                _ => 3,
            };
            let v = c[2].to_digit(10).map_or(Value::Null, |d| json!(d));
            json!([f, k, v])
        })
        .collect();
    Value::Array(ops)
}

/// The request a client sent for these micro-ops: reads go out as null.
pub(super) fn request(done: &Value) -> Value {
    let ops: Vec<Value> = done
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| if m[0] == "r" { json!(["r", m[1], null]) } else { m.clone() })
        .collect();
    Value::Array(ops)
}

/// A history of (process, outcome, Elle notation) transactions, each invoked and completed in
/// turn.
fn history(txns: &[(u64, Kind, &str)]) -> History {
    let mut h = History::default();
    for (i, (p, kind, text)) in txns.iter().enumerate() {
        let done = mops(text);
        let t = 10 * i as u64;
        ev(&mut h, Kind::Invoke, *p, "txn", request(&done), t);
        let value = if *kind == Kind::Ok { done } else { request(&done) };
        ev(&mut h, *kind, *p, "txn", value, t + 5);
    }
    h
}

fn types(c: &Checked<TxnResult>) -> Vec<String> {
    c.result.anomaly_types().to_vec()
}

fn not(c: &Checked<TxnResult>) -> Value {
    c.to_results_json()["not"].clone()
}

#[test]
fn elle_g1a_aborted_read() {
    let h = history(&[(0, Kind::Ok, "rx1"), (0, Kind::Fail, "wx1")]);
    let c = check(&h, "read-committed");
    assert_eq!(c.valid, Validity::Invalid);
    assert_eq!(types(&c), ["G1a", "empty-transaction-graph"]);
    assert_eq!(not(&c), json!(["read-committed"]));
}

#[test]
fn elle_g1b_intermediate_read() {
    let h = history(&[(0, Kind::Ok, "wx1wx2"), (0, Kind::Ok, "rx1")]);
    let c = check(&h, "repeatable-read");
    assert_eq!(types(&c), ["G1b", "empty-transaction-graph"]);
    assert_eq!(not(&c), json!(["read-committed"]));
}

#[test]
fn elle_g1c_circular_information_flow() {
    let h = history(&[(0, Kind::Ok, "wx1ry1"), (0, Kind::Ok, "wy1rx1")]);
    assert_eq!(check(&h, "read-uncommitted").to_results_json(), json!({"valid?": true}));
    for m in ["read-committed", "serializable"] {
        let c = check(&h, m);
        assert_eq!(types(&c), ["G1c"], "{m}");
        assert_eq!(not(&c), json!(["read-committed"]), "{m}");
        let cycle = &c.to_results_json()["anomalies"]["G1c"][0];
        assert_eq!(cycle["steps"][0]["type"], "wr");
        assert_eq!(cycle["steps"][1]["type"], "wr");
    }
}

#[test]
fn elle_internal() {
    let c = check(&history(&[(0, Kind::Ok, "rx1rx2")]), "serializable");
    assert_eq!(types(&c), ["empty-transaction-graph", "internal"]);
    assert_eq!(not(&c), json!(["read-atomic"]));
}

#[test]
fn elle_initial_state_g_single_item() {
    // T1 is invoked, T2 runs whole, T1 completes: T1 saw y = 1 from T2 but x still nil.
    let mut h = History::default();
    ev(&mut h, Kind::Invoke, 0, "txn", request(&mops("rx_ry1")), 0);
    ev(&mut h, Kind::Invoke, 1, "txn", mops("wy1wx2"), 1);
    ev(&mut h, Kind::Ok, 1, "txn", mops("wy1wx2"), 2);
    ev(&mut h, Kind::Ok, 0, "txn", mops("rx_ry1"), 3);
    let c = check(&h, "serializable");
    assert_eq!(types(&c), ["G-single-item"]);
    assert_eq!(not(&c), json!(["consistent-view", "repeatable-read"]));
    let steps = &c.to_results_json()["anomalies"]["G-single-item"][0]["steps"];
    assert_eq!(steps[0], json!({"type": "rw", "key": 1, "value": null, "value'": 2}));
    assert_eq!(steps[1], json!({"type": "wr", "key": 2, "value": 1}));
}

#[test]
fn elle_wfr_g_single_item() {
    let h = history(&[(0, Kind::Ok, "ry1wx1wy2"), (0, Kind::Ok, "rx1ry1")]);
    let c = check(&h, "serializable");
    assert_eq!(types(&c), ["G-single-item"]);
    assert_eq!(not(&c), json!(["consistent-view", "repeatable-read"]));
}

#[test]
fn elle_lost_update() {
    // Elle's test runs without writes-follow-reads and sees only the lost update; Maelstrom
    // infers 0 < 1 and 0 < 2, so the two anti-dependencies also make a G2-item.
    let h = history(&[(0, Kind::Ok, "rx0wx1"), (1, Kind::Ok, "rx0wx2")]);
    let c = check(&h, "strict-serializable");
    assert_eq!(types(&c), ["G2-item", "lost-update"]);
    assert_eq!(not(&c), json!(["cursor-stability", "update-atomic"]));
}

#[test]
fn boundaries_match_elles_tests() {
    let cases: [(&[&str], &[&str]); 9] = [
        (&["G0"], &["read-uncommitted"]),
        (&["cyclic-versions"], &["read-uncommitted"]),
        (&["G1a"], &["read-committed"]),
        (&["G1c"], &["read-committed"]),
        (&["internal"], &["read-atomic"]),
        (&["G-single-item"], &["consistent-view", "repeatable-read"]),
        (&["lost-update"], &["cursor-stability", "update-atomic"]),
        (&["G2-item"], &["repeatable-read"]),
        (&["G-nonadjacent-item"], &["repeatable-read", "snapshot-isolation"]),
    ];
    for (anomalies, expected) in cases {
        assert_eq!(models::boundary(anomalies).0, expected, "{anomalies:?}");
    }
    let (_, also) = models::boundary(&["G1c-process"]);
    assert!(also.contains(&"strict-serializable") && !also.contains(&"read-committed"), "{also:?}");
}

#[test]
fn search_order_follows_elles_depths() {
    let order = models::cycle_search_order();
    let at = |n: &str| order.iter().position(|x| x == n).unwrap_or(usize::MAX);
    assert_eq!(order.len(), 15);
    assert!(at("G0") < at("G1c") && at("G1c") < at("G2-item"), "{order:?}");
    assert!(at("G-single-item") < at("G-nonadjacent-item"), "{order:?}");
    assert!(at("G2-item") < at("G0-process") && at("G0-process") < at("G1c-process"), "{order:?}");
}

#[test]
fn every_model_elle_knows_is_accepted_and_decided_by_what_it_prohibits() {
    let known = models::all_models();
    assert!(known.len() > 50, "{}", known.len());
    for m in &known {
        assert!(models::parse(m).is_ok(), "{m}");
    }
    assert!(models::parse("serialisable").is_err());
    // Aliases land on one model.
    assert_eq!(models::parse("PL-2"), models::parse("read-committed"));
    assert_eq!(models::parse("strong-serializable"), models::parse("strict-serializable"));
    assert_eq!(models::parse("conflict-serializable"), models::parse("serializable"));
    // A G-single-item history fails the models that prohibit it and passes the others.
    let h = history(&[(0, Kind::Ok, "ry1wx1wy2"), (0, Kind::Ok, "rx1ry1")]);
    for m in [
        "snapshot-isolation",
        "PL-SI",
        "repeatable-read",
        "consistent-view",
        "PL-2.99",
        "update-serializable",
    ] {
        assert_eq!(check(&h, m).valid, Validity::Invalid, "{m}");
    }
    for m in [
        "read-committed",
        "cursor-stability",
        "monotonic-atomic-view",
        "read-atomic",
        "linearizable",
        "causal",
    ] {
        assert_eq!(check(&h, m).valid, Validity::Valid, "{m}");
    }
    // A lost update fails cursor stability and update atomicity, not read atomicity.
    let h = history(&[(0, Kind::Ok, "rx0wx1"), (1, Kind::Ok, "rx0wx2"), (2, Kind::Ok, "rx1")]);
    assert_eq!(check(&h, "cursor-stability").valid, Validity::Invalid);
    assert_eq!(check(&h, "update-atomic").valid, Validity::Invalid);
    assert_eq!(check(&h, "read-atomic").valid, Validity::Valid);
}

#[test]
fn nonadjacent_anti_dependencies_are_g_nonadjacent_item_not_g2_item() {
    // T1 -rw-> T2 -wr-> T3 -rw-> T4 -wr-> T1, keys x, y and a (3), b (4).
    let t = [
        json!([["r", 1, null], ["r", 4, 1]]),
        json!([["w", 1, 1], ["w", 3, 1]]),
        json!([["r", 3, 1], ["r", 2, null]]),
        json!([["w", 2, 1], ["w", 4, 1]]),
    ];
    let mut h = History::default();
    for (i, m) in t.iter().enumerate() {
        ev(&mut h, Kind::Invoke, i as u64, "txn", request(m), 0);
    }
    for (i, m) in t.iter().enumerate() {
        ev(&mut h, Kind::Ok, i as u64, "txn", m.clone(), 10);
    }
    let c = check(&h, "serializable");
    assert_eq!(types(&c), ["G-nonadjacent-item"], "{:?}", c.problems);
    assert_eq!(not(&c), json!(["repeatable-read", "snapshot-isolation"]));
    assert_eq!(check(&h, "read-committed").valid, Validity::Valid);
    // Write skew: the two anti-dependencies are adjacent, G2-item, which snapshot isolation allows.
    let h = history(&[(0, Kind::Ok, "rx_wy1"), (1, Kind::Ok, "ry_wx1"), (2, Kind::Ok, "rx1ry1")]);
    let c = check(&h, "serializable");
    assert_eq!(types(&c), ["G2-item"], "{:?}", c.problems);
    assert_eq!(check(&h, "snapshot-isolation").valid, Validity::Valid);
}

#[test]
fn a_cycle_is_named_once_by_its_strongest_name() {
    // A G-single-item also contains G-nonadjacent-item and G2-item forms; only the first is
    // reported, as in Elle.
    let h = history(&[(0, Kind::Ok, "ry1wx1wy2"), (0, Kind::Ok, "rx1ry1")]);
    let c = check(&h, "strict-serializable");
    assert_eq!(types(&c), ["G-single-item"]);
    assert_eq!(c.to_results_json()["anomaly-counts"], json!({"G-single-item": 1}));
}

#[test]
fn classify_names_cycles_as_elles_explainer() {
    use super::graph::{PROCESS, REALTIME, RW, WR, WW};
    assert_eq!(search::classify(&[WW, WW]), "G0");
    assert_eq!(search::classify(&[WW, WR]), "G1c");
    assert_eq!(search::classify(&[RW, WR]), "G-single-item");
    assert_eq!(search::classify(&[RW, RW]), "G2-item");
    assert_eq!(search::classify(&[RW, WR, RW, WW]), "G-nonadjacent-item");
    assert_eq!(search::classify(&[RW, WR, WR, RW]), "G2-item");
    assert_eq!(search::classify(&[RW, PROCESS]), "G-single-item-process");
    assert_eq!(search::classify(&[WW, PROCESS, REALTIME]), "G0-realtime");
}

/// Replies that do not answer their request (Maelstrom issue #57) are invalid under every model.
#[test]
fn issue_57_replies_must_answer_their_request() {
    let asked = json!([["r", 1, null], ["w", 2, 5]]);
    let cases = [
        ("a key changed", json!([["r", 3, 4], ["w", 2, 5]])),
        ("the order changed", json!([["w", 2, 5], ["r", 1, 4]])),
        ("a micro-op dropped", json!([["r", 1, 4]])),
        ("a micro-op added", json!([["r", 1, 4], ["w", 2, 5], ["w", 2, 6]])),
        ("a write's value changed", json!([["r", 1, 4], ["w", 2, 6]])),
        ("a read turned into a write", json!([["w", 1, 4], ["w", 2, 5]])),
    ];
    for (what, reply) in cases {
        let mut h = History::default();
        ev(&mut h, Kind::Invoke, 0, "txn", asked.clone(), 0);
        ev(&mut h, Kind::Ok, 0, "txn", reply, 1);
        for m in ["read-uncommitted", "linearizable"] {
            let c = check(&h, m);
            assert_eq!(c.valid, Validity::Invalid, "{what} under {m}");
            assert!(types(&c).contains(&"invalid-reply".to_owned()), "{what}");
            assert!(c.problems.iter().any(|p| p.starts_with("invalid-reply")), "{what}: {:?}", c.problems);
        }
    }
    // The reply that answers its request is fine.
    let mut h = History::default();
    ev(&mut h, Kind::Invoke, 0, "txn", asked.clone(), 0);
    ev(&mut h, Kind::Ok, 0, "txn", json!([["r", 1, null], ["w", 2, 5]]), 1);
    ev(&mut h, Kind::Invoke, 1, "txn", json!([["r", 2, null]]), 2);
    ev(&mut h, Kind::Ok, 1, "txn", json!([["r", 2, 5]]), 3);
    assert_eq!(check(&h, "strict-serializable").valid, Validity::Valid);
}

/// Each anomaly name the rw-register checker reports, with a history that shows it rejected
/// under a model that prohibits it and accepted under one that does not.
#[test]
fn each_anomaly_name_is_rejected_where_prohibited() {
    let p = |i: u64| i % 3;
    let serial = |texts: &[&str]| {
        let t: Vec<(u64, Kind, &str)> =
            texts.iter().enumerate().map(|(i, s)| (p(i as u64), Kind::Ok, *s)).collect();
        history(&t)
    };
    let cases: Vec<(&str, History, &str, &str)> = vec![
        (
            "G1a",
            history(&[(0, Kind::Fail, "wz1"), (0, Kind::Ok, "rz1"), (1, Kind::Ok, "wx1ry_")]),
            "read-committed",
            "read-uncommitted",
        ),
        ("G1b", serial(&["wz1wz2", "rz1", "wx1", "rx1"]), "read-committed", "read-uncommitted"),
        ("G1c", serial(&["wx1ry1", "wy1rx1"]), "read-committed", "read-uncommitted"),
        ("G-single-item", serial(&["ry1wx1wy2", "rx1ry1"]), "serializable", "read-committed"),
        ("G2-item", serial(&["rx_wy1", "ry_wx1", "rx1ry1"]), "serializable", "snapshot-isolation"),
        ("internal", serial(&["wz1rz2", "wx1", "rx1"]), "serializable", "read-committed"),
        ("lost-update", serial(&["rx0wx1", "rx0wx2", "rx1"]), "update-atomic", "read-committed"),
        ("cyclic-versions", serial(&["rx1wx2", "rx2wx1"]), "read-uncommitted", "linearizable"),
    ];
    for (name, h, bad, good) in cases {
        let c = check(&h, bad);
        assert_eq!(c.valid, Validity::Invalid, "{name} under {bad}: {:?}", c.result);
        assert!(types(&c).contains(&name.to_owned()), "{name}: {:?}", types(&c));
        assert!(c.problems.iter().any(|p| p.starts_with(name)), "{name}: {:?}", c.problems);
        assert!(!types(&check(&h, good)).contains(&name.to_owned()), "{name} under {good}");
    }
    // The process and real-time variants: a process that misses its own earlier write.
    let mut h = History::default();
    for (p, text, t) in [(0, "wx1", 0), (0, "rx_", 10), (1, "wy1", 20), (1, "ry1", 30)] {
        let done = mops(text);
        ev(&mut h, Kind::Invoke, p, "txn", request(&done), t);
        ev(&mut h, Kind::Ok, p, "txn", done, t + 5);
    }
    assert_eq!(check(&h, "serializable").valid, Validity::Valid);
    assert_eq!(types(&check(&h, "strong-session-serializable")), ["G-single-item-process"]);
    assert_eq!(types(&check(&h, "strict-serializable")), ["G-single-item-realtime"]);
    // Across processes, only real time orders them.
    let mut h = History::default();
    for (p, text, t) in [(0, "wx1", 0), (1, "rx_", 10), (2, "wy1", 20), (2, "ry1", 30)] {
        let done = mops(text);
        ev(&mut h, Kind::Invoke, p, "txn", request(&done), t);
        ev(&mut h, Kind::Ok, p, "txn", done, t + 5);
    }
    assert_eq!(check(&h, "strong-session-serializable").valid, Validity::Valid);
    assert_eq!(types(&check(&h, "strong-snapshot-isolation")), ["G-single-item-realtime"]);
}
