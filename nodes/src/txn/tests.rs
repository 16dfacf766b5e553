//! The txn node alone and in clusters: transaction semantics, replication, partitions.

use super::*;
use glomers_engine::testkit::{Cluster, TestNode};
use glomers_engine::Payload;
use serde_json::json;

fn op(f: &str, k: i64, v: Value) -> MicroOp {
    (f.to_string(), json!(k), v)
}

fn run(c: &mut Cluster<Txn>, node: &str, txn: Vec<MicroOp>) -> Vec<MicroOp> {
    match c.request("c1", node, Body::Txn { txn }).first().map(|m| &m.payload) {
        Some(Payload::Body(Body::TxnOk { txn })) => txn.clone(),
        other => panic!("expected txn_ok from {node}, got {other:?}"),
    }
}

fn read(c: &mut Cluster<Txn>, node: &str, keys: &[i64]) -> Vec<Value> {
    run(c, node, keys.iter().map(|k| op("r", *k, Value::Null)).collect())
        .into_iter()
        .map(|(_, _, v)| v)
        .collect()
}

#[test]
fn reads_see_the_transactions_own_writes_and_the_reply_matches_the_schema() {
    let mut t = TestNode::<Txn>::new("n0", &["n0"]);
    let sent = t.request(
        "c1",
        Body::Txn { txn: vec![op("r", 1, Value::Null), op("w", 1, json!(6)), op("r", 1, Value::Null)] },
    );
    assert_eq!(
        t.body_json(&sent[0]),
        r#"{"type":"txn_ok","txn":[["r",1,null],["w",1,6],["r",1,6]],"in_reply_to":1}"#
    );
    let sent = t.request("c1", Body::Txn { txn: vec![op("r", 1, Value::Null), op("r", 2, Value::Null)] });
    assert_eq!(t.body_json(&sent[0]), r#"{"type":"txn_ok","txn":[["r",1,6],["r",2,null]],"in_reply_to":2}"#);
}

#[test]
fn a_key_written_twice_shows_its_final_value_inside_and_after_the_transaction() {
    let mut t = TestNode::<Txn>::new("n0", &["n0"]);
    let txn = vec![op("w", 1, json!(3)), op("w", 1, json!(4)), op("r", 1, Value::Null)];
    let sent = t.request("c1", Body::Txn { txn });
    assert!(t.body_json(&sent[0]).contains(r#"["r",1,4]"#), "{}", t.body_json(&sent[0]));
    let sent = t.request("c1", Body::Txn { txn: vec![op("r", 1, Value::Null)] });
    assert!(t.body_json(&sent[0]).contains(r#"["r",1,4]"#), "the intermediate write 3 must never show");
}

#[test]
fn an_unknown_micro_op_is_refused_before_anything_applies() {
    let mut t = TestNode::<Txn>::new("n0", &["n0"]);
    let sent = t.request("c1", Body::Txn { txn: vec![op("w", 1, json!(5)), op("x", 1, Value::Null)] });
    assert!(t.body_json(&sent[0]).contains(r#""code":12"#));
    let sent = t.request("c1", Body::Txn { txn: vec![op("r", 1, Value::Null)] });
    assert!(t.body_json(&sent[0]).contains(r#"["r",1,null]"#), "the refused write must not have applied");
}

#[test]
fn only_a_transactions_final_write_of_a_key_leaves_the_node() {
    let mut c = Cluster::<Txn>::new(2, Duration::from_millis(5));
    run(&mut c, "n0", vec![op("w", 1, json!(1)), op("w", 1, json!(2)), op("w", 3, json!(7))]);
    let mut t = TestNode::<Txn>::new("n0", &["n0", "n1"]);
    t.request("c1", Body::Txn { txn: vec![op("w", 1, json!(1)), op("w", 1, json!(2))] });
    let sent = t.advance(Duration::from_millis(50));
    let items: Vec<_> = sent
        .iter()
        .filter_map(|m| match &m.payload {
            Payload::Body(Body::Replicate { items, .. }) => Some(items.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(items, [vec![Writes { stamp: (1, 0), writes: vec![(json!(1), json!(2))] }]]);
    c.run_for(Duration::from_millis(100));
    assert_eq!(read(&mut c, "n1", &[1, 3]), [json!(2), json!(7)]);
}

#[test]
fn every_transaction_succeeds_while_partitioned_and_replicas_converge_after_heal() {
    let mut c = Cluster::<Txn>::new(5, Duration::from_millis(20)).with_jitter(7).with_duplicates(5);
    c.partition(&["n0", "n1"], &["n2", "n3", "n4"]);
    for i in 0..100i64 {
        let node = format!("n{}", i % 5);
        // `run` panics on anything but txn_ok: total availability.
        run(
            &mut c,
            &node,
            vec![op("r", i % 7, Value::Null), op("w", i % 7, json!(i)), op("w", (i + 1) % 7, json!(i))],
        );
        c.run_for(Duration::from_millis(10));
    }
    let keys: Vec<i64> = (0..7).collect();
    let before: Vec<_> = ["n0", "n4"].iter().map(|n| read(&mut c, n, &keys)).collect();
    assert_ne!(before[0], before[1], "the two sides diverged while apart");
    c.heal();
    c.run_for(Duration::from_secs(3));
    let after: Vec<_> = (0..5).map(|i| read(&mut c, &format!("n{i}"), &keys)).collect();
    for view in &after {
        assert_eq!(view, &after[0], "replicas disagree after the heal");
    }
}
