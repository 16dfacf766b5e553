//! The kafka node alone and in clusters: offsets, polls, commits, forwarding, replication.

use super::*;
use glomers_engine::testkit::{Cluster, TestNode};
use glomers_engine::Payload;
use serde_json::json;

fn send(key: &str, msg: i64) -> Body {
    Body::Send { key: key.into(), msg: json!(msg) }
}

fn poll(pairs: &[(&str, u64)]) -> Body {
    Body::Poll { offsets: pairs.iter().map(|(k, o)| (k.to_string(), *o)).collect() }
}

fn offset_of(replies: &[glomers_engine::Outgoing<Body>]) -> u64 {
    match replies.first().map(|r| &r.payload) {
        Some(Payload::Body(Body::SendOk { offset })) => *offset,
        other => panic!("expected send_ok, got {other:?}"),
    }
}

fn polled(replies: &[glomers_engine::Outgoing<Body>]) -> BTreeMap<String, Vec<(u64, Value)>> {
    match replies.first().map(|r| &r.payload) {
        Some(Payload::Body(Body::PollOk { msgs })) => msgs.clone(),
        other => panic!("expected poll_ok, got {other:?}"),
    }
}

#[test]
fn one_node_assigns_rising_offsets_per_key_and_polls_without_holes() {
    let mut t = TestNode::<Kafka>::new("n0", &["n0"]);
    let offsets: Vec<u64> = [("1", 10), ("1", 11), ("2", 20), ("1", 12)]
        .iter()
        .map(|(k, m)| offset_of(&t.request("c1", send(k, *m))))
        .collect();
    assert_eq!(offsets, [0, 1, 0, 2]);
    let sent = t.request("c1", poll(&[("1", 1), ("2", 0), ("3", 0)]));
    assert_eq!(
        t.body_json(&sent[0]),
        r#"{"type":"poll_ok","msgs":{"1":[[1,11],[2,12]],"2":[[0,20]]},"in_reply_to":5}"#
    );
}

#[test]
fn committed_offsets_are_listed_and_never_move_back() {
    let mut t = TestNode::<Kafka>::new("n0", &["n0"]);
    t.request("c1", Body::CommitOffsets { offsets: BTreeMap::from([("1".into(), 5), ("2".into(), 3)]) });
    t.request("c1", Body::CommitOffsets { offsets: BTreeMap::from([("1".into(), 2)]) });
    let sent = t.request("c1", Body::ListCommittedOffsets { keys: vec!["1".into(), "2".into(), "9".into()] });
    assert_eq!(
        t.body_json(&sent[0]),
        r#"{"type":"list_committed_offsets_ok","offsets":{"1":5,"2":3},"in_reply_to":3}"#
    );
}

#[test]
fn sends_on_both_nodes_share_one_offset_sequence_and_both_logs_converge() {
    let mut c = Cluster::<Kafka>::new(2, Duration::from_millis(5));
    let mut offsets = Vec::new();
    for i in 0..20 {
        let node = if i % 2 == 0 { "n0" } else { "n1" };
        // The owner answers at once; another node answers once the owner has.
        let mut replies = c.request("c1", node, send("7", i));
        c.run_for(Duration::from_millis(20));
        replies.extend(c.take_outside().into_iter().map(|d| d.msg).filter(|m| m.dest == "c1"));
        offsets.push(offset_of(&replies));
    }
    assert_eq!(offsets, (0..20).collect::<Vec<u64>>(), "dense, unique, rising");
    c.run_for(Duration::from_secs(1));
    let mut logs = Vec::new();
    for node in ["n0", "n1"] {
        let replies = c.request("c9", node, poll(&[("7", 0)]));
        logs.push(polled(&replies));
    }
    assert_eq!(logs[0], logs[1]);
    assert_eq!(logs[0]["7"].len(), 20);
}

#[test]
fn a_send_whose_owner_is_cut_off_fails_indefinitely_and_replication_catches_up_after_heal() {
    let mut c = Cluster::<Kafka>::new(2, Duration::from_millis(5));
    // Key "1" belongs to n1; sent through n0 while they are apart.
    c.request("c1", "n1", send("1", 100));
    c.partition(&["n0"], &["n1"]);
    c.request("c2", "n0", send("1", 200));
    c.run_for(Duration::from_secs(2));
    let replies: Vec<_> = c.take_outside().into_iter().map(|d| d.msg).filter(|m| m.dest == "c2").collect();
    match &replies[..] {
        [m] => match &m.payload {
            Payload::Error(e) => {
                assert!(!e.code.is_definite(), "a forward that may have landed is indefinite: {e}")
            }
            other => panic!("expected an error, got {other:?}"),
        },
        other => panic!("expected one reply, got {other:?}"),
    }
    assert!(polled(&c.request("c3", "n0", poll(&[("1", 0)]))).is_empty(), "n0 has not heard of key 1 yet");
    c.heal();
    c.run_for(Duration::from_secs(2));
    let log = polled(&c.request("c3", "n0", poll(&[("1", 0)])));
    assert_eq!(log["1"], [(0, json!(100))]);
}

/// The replies client `client` got so far.
fn replies_to(c: &mut Cluster<Kafka>, client: &str) -> Vec<Payload<Body>> {
    c.take_outside().into_iter().map(|d| d.msg).filter(|m| m.dest == client).map(|m| m.payload).collect()
}

fn error_code(p: &[Payload<Body>]) -> Option<ErrorCode> {
    match p {
        [Payload::Error(e)] => Some(e.code),
        _ => None,
    }
}

#[test]
fn sends_for_a_cut_off_owner_fail_fast_with_one_probe_a_second_until_it_answers_again() {
    let mut c = Cluster::<Kafka>::new(2, Duration::from_millis(5));
    c.partition(&["n0"], &["n1"]);
    // Key "1" belongs to n1. The first forward waits out its timeout: indefinite.
    c.request("c1", "n0", send("1", 1));
    c.run_for(Duration::from_millis(1100));
    assert_eq!(error_code(&replies_to(&mut c, "c1")), Some(ErrorCode::Timeout));
    // Now n1 looks cut off: one send a second is still forwarded as a probe, and the others
    // are refused at once, definitely.
    assert!(c.request("c2", "n0", send("1", 2)).iter().all(|o| o.dest != "c2"), "the probe is forwarded");
    let now = c.request("c2", "n0", send("1", 2));
    let code = match now.first().map(|o| &o.payload) {
        Some(Payload::Error(e)) => e.code,
        other => panic!("expected an immediate error, got {other:?}"),
    };
    assert_eq!(code, ErrorCode::TemporarilyUnavailable);
    assert!(code.is_definite());
    // Keys n0 owns still work.
    assert_eq!(offset_of(&c.request("c3", "n0", send("0", 3))), 0);
    c.heal();
    // A second later one send goes through as a probe and succeeds; then forwarding resumes.
    c.run_for(Duration::from_millis(1000));
    let _ = replies_to(&mut c, "c2");
    c.request("c4", "n0", send("1", 4));
    c.run_for(Duration::from_millis(50));
    assert!(matches!(replies_to(&mut c, "c4")[..], [Payload::Body(Body::SendOk { .. })]));
    c.request("c5", "n0", send("1", 5));
    c.run_for(Duration::from_millis(50));
    assert!(matches!(replies_to(&mut c, "c5")[..], [Payload::Body(Body::SendOk { .. })]));
}

#[test]
fn reordered_and_duplicated_replication_leaves_every_log_a_prefix_of_the_owners() {
    for seed in 1..=10 {
        let mut c = Cluster::<Kafka>::new(3, Duration::from_millis(20)).with_jitter(seed).with_duplicates(4);
        for i in 0..60 {
            let node = ["n0", "n1", "n2"][i % 3];
            c.request("c1", node, send(&(i % 4).to_string(), i as i64));
            c.run_for(Duration::from_millis(3));
        }
        c.run_for(Duration::from_secs(3));
        let logs: Vec<_> = ["n0", "n1", "n2"]
            .iter()
            .map(|n| polled(&c.request("c9", n, poll(&[("0", 0), ("1", 0), ("2", 0), ("3", 0)]))))
            .collect();
        assert_eq!(logs[0], logs[1], "seed {seed}");
        assert_eq!(logs[1], logs[2], "seed {seed}");
        for (key, pairs) in &logs[0] {
            let offsets: Vec<u64> = pairs.iter().map(|(o, _)| *o).collect();
            assert_eq!(offsets, (0..offsets.len() as u64).collect::<Vec<_>>(), "seed {seed} key {key}");
        }
        // A duplicated forward is appended once: every message sits at exactly one offset.
        let mut msgs: Vec<i64> = logs[0].values().flatten().filter_map(|(_, m)| m.as_i64()).collect();
        msgs.sort_unstable();
        assert_eq!(msgs, (0..60).collect::<Vec<_>>(), "seed {seed}");
    }
}

#[test]
fn an_entry_arriving_early_waits_for_the_gap_to_fill() {
    let mut log = KeyLog::default();
    log.apply(1, json!("b"));
    assert!(log.entries.is_empty());
    log.apply(0, json!("a"));
    log.apply(0, json!("a"));
    assert_eq!(log.entries, [json!("a"), json!("b")]);
}
