//! One txn-list-append node under the testkit, its `lin-kv` answered by hand: claims, lost
//! races, duplicated and unanswered claims, read-only checks, refusals.

use super::*;
use glomers_engine::testkit::TestNode;
use glomers_engine::Outgoing;
use serde_json::json;

fn op(f: &str, k: i64, v: Value) -> MicroOp {
    (f.to_owned(), json!(k), v)
}

fn r(k: i64) -> MicroOp {
    op("r", k, Value::Null)
}

fn append(k: i64, v: i64) -> MicroOp {
    op("append", k, json!(v))
}

/// The calls to `lin-kv` among `sent`: msg_id and body.
fn kv_calls(sent: &[Outgoing<Body>]) -> Vec<(u64, Value)> {
    sent.iter().filter(|m| m.dest == "lin-kv").map(|m| (m.msg_id.map_or(0, |id| id.0), m.json())).collect()
}

/// The one call to `lin-kv` among `sent`.
fn one_call(sent: &[Outgoing<Body>]) -> (u64, Value) {
    let calls = kv_calls(sent);
    assert_eq!(calls.len(), 1, "{calls:?}");
    calls[0].clone()
}

/// The bodies sent to `dest`.
fn to(sent: &[Outgoing<Body>], dest: &str) -> Vec<Value> {
    sent.iter().filter(|m| m.dest == dest).map(Outgoing::json).collect()
}

fn claim(slot: u64, node: &str, seq: u64, appends: Value) -> Value {
    json!({"type": "cas", "key": format!("slot/{slot}"), "from": null,
           "to": {"by": [node, 1, seq], "appends": appends}, "create_if_not_exists": true})
}

const MISSING: &str = r#"{"type":"error","code":20,"text":"key does not exist"}"#;
const TAKEN: &str = r#"{"type":"error","code":22,"text":"current value is not null"}"#;

/// Node `n0` of two, with its incarnation (1) drawn by a first, read-only transaction.
fn ready() -> TestNode<TxnListAppend> {
    let mut t = TestNode::<TxnListAppend>::new("n0", &["n0", "n1"]);
    assert!(t.take_startup().is_empty(), "an idle node sends nothing");
    let (id, read) = one_call(&t.request("c0", Body::Txn { txn: vec![r(0)] }));
    assert_eq!(read, json!({"type": "read", "key": "incarnation/n0"}));
    let (id, cas) = one_call(&t.reply_json(id, "lin-kv", MISSING));
    assert_eq!(
        cas,
        json!({"type": "cas", "key": "incarnation/n0", "from": 0, "to": 1, "create_if_not_exists": true})
    );
    let (id, read) = one_call(&t.reply_json(id, "lin-kv", r#"{"type":"cas_ok"}"#));
    assert_eq!(read, json!({"type": "read", "key": "snapshot"}));
    let (id, read) = one_call(&t.reply_json(id, "lin-kv", MISSING));
    assert_eq!(read, json!({"type": "read", "key": "slot/0"}));
    let sent = t.reply_json(id, "lin-kv", MISSING);
    assert_eq!(to(&sent, "c0"), [json!({"type": "txn_ok", "txn": [["r", 0, null]]})]);
    t
}

fn entry_json(node: &str, seq: u64, appends: Value) -> String {
    json!({"type": "read_ok", "value": {"by": [node, 1, seq], "appends": appends}}).to_string()
}

#[test]
fn a_lone_transaction_claims_slot_zero_answers_its_reads_and_tells_the_peer() {
    let mut t = ready();
    let sent = t.request("c1", Body::Txn { txn: vec![r(1), append(1, 5), r(1), r(2)] });
    let (id, cas) = one_call(&sent);
    assert_eq!(cas, claim(0, "n0", 0, json!([[1, 5]])));
    let sent = t.reply_json(id, "lin-kv", r#"{"type":"cas_ok"}"#);
    assert_eq!(
        to(&sent, "c1"),
        [json!({"type": "txn_ok", "txn": [["r", 1, null], ["append", 1, 5], ["r", 1, [5]], ["r", 2, null]]})]
    );
    assert_eq!(
        to(&sent, "n1"),
        [json!({"type": "slot", "slot": 0, "entry": {"by": ["n0", 1, 0], "appends": [[1, 5]]}})]
    );
    // The next transaction builds on slot 0 without reading it.
    let (_, cas) = one_call(&t.request("c1", Body::Txn { txn: vec![append(1, 6)] }));
    assert_eq!(cas, claim(1, "n0", 1, json!([[1, 6]])));
}

#[test]
fn transactions_wait_for_the_incarnation_and_then_commit_in_one_batch() {
    let mut t = TestNode::<TxnListAppend>::new("n0", &["n0"]);
    let (id, _) = one_call(&t.request("c1", Body::Txn { txn: vec![append(1, 1)] }));
    assert!(t.request("c2", Body::Txn { txn: vec![r(1), append(2, 2)] }).is_empty());
    let (id, _) = one_call(&t.reply_json(id, "lin-kv", r#"{"type":"read_ok","value":4}"#));
    let (id, _) = one_call(&t.reply_json(id, "lin-kv", r#"{"type":"cas_ok"}"#));
    let (id, cas) = one_call(&t.reply_json(id, "lin-kv", MISSING));
    assert_eq!(cas["to"]["by"], json!(["n0", 5, 0]), "incarnation 4 was taken: this run is 5");
    assert_eq!(cas["to"]["appends"], json!([[1, 1], [2, 2]]), "both in one claim");
    let sent = t.reply_json(id, "lin-kv", r#"{"type":"cas_ok"}"#);
    assert_eq!(to(&sent, "c2"), [json!({"type": "txn_ok", "txn": [["r", 1, [1]], ["append", 2, 2]]})]);
    assert_eq!(to(&sent, "c1").len(), 1);
}

#[test]
fn a_lost_race_reads_the_winner_and_runs_again_on_the_longer_prefix() {
    let mut t = ready();
    let (id, _) = one_call(&t.request("c1", Body::Txn { txn: vec![r(1), append(1, 5)] }));
    let (id, read) = one_call(&t.reply_json(id, "lin-kv", TAKEN));
    assert_eq!(read, json!({"type": "read", "key": "slot/0"}));
    let (id, cas) = one_call(&t.reply_json(id, "lin-kv", &entry_json("n1", 0, json!([[1, 9]]))));
    assert_eq!(cas, claim(1, "n0", 1, json!([[1, 5]])));
    let sent = t.reply_json(id, "lin-kv", r#"{"type":"cas_ok"}"#);
    assert_eq!(to(&sent, "c1"), [json!({"type": "txn_ok", "txn": [["r", 1, [9]], ["append", 1, 5]]})]);
}

#[test]
fn a_claim_refused_after_it_landed_twice_commits_once() {
    // The simulator may deliver a `cas` twice; if the copy's 22 comes back first, the slot holds
    // our own tag.
    let mut t = ready();
    let (id, _) = one_call(&t.request("c1", Body::Txn { txn: vec![append(1, 5)] }));
    let (id, _) = one_call(&t.reply_json(id, "lin-kv", TAKEN));
    let sent = t.reply_json(id, "lin-kv", &entry_json("n0", 0, json!([[1, 5]])));
    assert_eq!(to(&sent, "c1"), [json!({"type": "txn_ok", "txn": [["append", 1, 5]]})]);
    assert!(kv_calls(&sent).is_empty());
}

#[test]
fn a_slot_from_a_peer_saves_the_read_when_the_race_is_lost() {
    let mut t = ready();
    let (id, _) = one_call(&t.request("c1", Body::Txn { txn: vec![r(1), append(1, 5)] }));
    let won = Entry { by: (NodeId::new("n1"), 3, 0), appends: vec![(json!(1), json!(9))] };
    assert!(t.request("n1", Body::Slot { slot: 0, entry: won }).is_empty());
    let (_, cas) = one_call(&t.reply_json(id, "lin-kv", TAKEN));
    assert_eq!(cas, claim(1, "n0", 1, json!([[1, 5]])), "no read of slot 0: the peer sent it");
}

#[test]
fn an_unanswered_claim_is_resent_unchanged_and_finally_answered_13() {
    let mut t = ready();
    let (_, first) = one_call(&t.request("c1", Body::Txn { txn: vec![append(1, 5)] }));
    let mut claims = 1;
    let mut reads = 0;
    let mut replies = Vec::new();
    // lin-kv answers only the reads, and always "missing": the claim may still be on its way.
    for _ in 0..40 {
        let sent = t.advance(Duration::from_millis(250));
        replies.extend(to(&sent, "c1"));
        for (id, call) in kv_calls(&sent) {
            if call["type"] == "cas" {
                assert_eq!(call, first, "the same claim each time");
                claims += 1;
            } else {
                reads += 1;
                let sent = t.reply_json(id, "lin-kv", MISSING);
                for (_, call) in kv_calls(&sent) {
                    assert_eq!(call, first);
                    claims += 1;
                }
                replies.extend(to(&sent, "c1"));
            }
        }
    }
    assert_eq!((claims, reads), (MAX_TRIES + 1, MAX_TRIES));
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(replies[0]["code"], json!(13), "indefinite: the claim may land");
}

#[test]
fn a_read_only_transaction_answers_once_the_next_slot_is_missing() {
    let mut t = ready();
    let (id, read) = one_call(&t.request("c1", Body::Txn { txn: vec![r(1)] }));
    assert_eq!(read, json!({"type": "read", "key": "slot/0"}));
    // Slot 0 exists: learn it, and read further, two slots at once.
    let sent = t.reply_json(id, "lin-kv", &entry_json("n1", 0, json!([[1, 9]])));
    let calls = kv_calls(&sent);
    let keys: Vec<&Value> = calls.iter().map(|(_, c)| &c["key"]).collect();
    assert_eq!(keys, [&json!("slot/1"), &json!("slot/2")]);
    assert!(t.reply_json(calls[0].0, "lin-kv", MISSING).is_empty(), "waits for the whole check");
    let sent = t.reply_json(calls[1].0, "lin-kv", MISSING);
    assert_eq!(to(&sent, "c1"), [json!({"type": "txn_ok", "txn": [["r", 1, [9]]]})]);
    assert!(kv_calls(&sent).is_empty());
}

#[test]
fn a_read_only_transaction_is_not_answered_from_a_check_it_arrived_after() {
    let mut t = ready();
    let (id, _) = one_call(&t.request("c1", Body::Txn { txn: vec![r(1)] }));
    assert!(t.request("c2", Body::Txn { txn: vec![r(2)] }).is_empty(), "one check at a time");
    let sent = t.reply_json(id, "lin-kv", MISSING);
    assert_eq!(to(&sent, "c1").len(), 1);
    assert!(to(&sent, "c2").is_empty(), "slot 0 may have been written before c2's request");
    let (_, read) = one_call(&sent);
    assert_eq!(read, json!({"type": "read", "key": "slot/0"}));
}

#[test]
fn a_transaction_that_waits_too_long_is_refused_definitely() {
    // No incarnation ever: nothing was claimed, so 11.
    let mut t = TestNode::<TxnListAppend>::new("n0", &["n0"]);
    t.request("c1", Body::Txn { txn: vec![append(1, 1)] });
    let sent = t.advance(PATIENCE + SWEEP_EVERY);
    assert_eq!(to(&sent, "c1").iter().map(|e| e["code"].clone()).collect::<Vec<_>>(), [json!(11)]);

    // Lost every race until its patience ran out: 30. (Each answer comes before its call's
    // one-second timeout.)
    let mut t = ready();
    let ms = Duration::from_millis;
    let (id, _) = one_call(&t.request("c1", Body::Txn { txn: vec![append(1, 1)] }));
    t.advance(ms(900));
    let (id, _) = one_call(&t.reply_json(id, "lin-kv", TAKEN));
    t.advance(ms(900));
    let (id, _) = one_call(&t.reply_json(id, "lin-kv", &entry_json("n1", 0, json!([[1, 9]]))));
    assert!(t.advance(ms(300)).is_empty(), "in a claim, not waiting: no refusal");
    let (id, _) = one_call(&t.reply_json(id, "lin-kv", TAKEN));
    let sent = t.reply_json(id, "lin-kv", &entry_json("n1", 1, json!([[1, 10]])));
    assert_eq!(to(&sent, "c1").iter().map(|e| e["code"].clone()).collect::<Vec<_>>(), [json!(30)]);
    assert!(kv_calls(&sent).is_empty());
}

#[test]
fn an_unknown_micro_operation_is_malformed_and_nothing_is_claimed() {
    let mut t = ready();
    let sent = t.request("c1", Body::Txn { txn: vec![append(1, 1), op("w", 1, json!(2))] });
    assert_eq!(to(&sent, "c1")[0]["code"], json!(12));
    assert!(kv_calls(&sent).is_empty());
}

#[test]
fn every_snapshot_due_is_saved_and_a_starting_node_resumes_after_it() {
    let mut t = ready();
    for i in 0..SNAPSHOT_EVERY {
        let (id, _) = one_call(&t.request("c1", Body::Txn { txn: vec![append(i as i64 % 2, i as i64)] }));
        let sent = t.reply_json(id, "lin-kv", r#"{"type":"cas_ok"}"#);
        let writes: Vec<Value> =
            kv_calls(&sent).into_iter().map(|(_, c)| c).filter(|c| c["type"] == "write").collect();
        if i + 1 < SNAPSHOT_EVERY {
            assert!(writes.is_empty(), "slot {i}");
            continue;
        }
        let evens: Vec<i64> = (0..SNAPSHOT_EVERY as i64).step_by(2).collect();
        let odds: Vec<i64> = (1..SNAPSHOT_EVERY as i64).step_by(2).collect();
        let snapshot = json!({"len": SNAPSHOT_EVERY, "lists": [["0", evens], ["1", odds]]});
        assert_eq!(
            writes,
            [json!({"type": "write", "key": format!("snapshot/{SNAPSHOT_EVERY}"), "value": snapshot})]
        );
        let (id, _) = one_call(&sent.into_iter().filter(|m| m.dest == "lin-kv").collect::<Vec<_>>());
        let (_, pointer) = one_call(&t.reply_json(id, "lin-kv", r#"{"type":"write_ok"}"#));
        assert_eq!(pointer, json!({"type": "write", "key": "snapshot", "value": SNAPSHOT_EVERY}));

        // A node starting now reads the snapshot, then claims the slot after it.
        let mut late = TestNode::<TxnListAppend>::new("n1", &["n0", "n1"]);
        let (id, _) = one_call(&late.request("c2", Body::Txn { txn: vec![append(0, 1000)] }));
        let (id, _) = one_call(&late.reply_json(id, "lin-kv", MISSING));
        let (id, _) = one_call(&late.reply_json(id, "lin-kv", r#"{"type":"cas_ok"}"#));
        let pointed = json!({"type": "read_ok", "value": SNAPSHOT_EVERY}).to_string();
        let (id, read) = one_call(&late.reply_json(id, "lin-kv", &pointed));
        assert_eq!(read["key"], json!(format!("snapshot/{SNAPSHOT_EVERY}")));
        let stored = json!({"type": "read_ok", "value": snapshot}).to_string();
        let (_, cas) = one_call(&late.reply_json(id, "lin-kv", &stored));
        assert_eq!(cas["key"], json!(format!("slot/{SNAPSHOT_EVERY}")));
    }
}
