//! The g-counter under the testkit: the in-memory, stale `seq-kv`, concurrent adds, partitions,
//! timed-out service calls, and the exact reply schema.

use super::*;
use glomers_engine::testkit::{Cluster, Rng, Services, TestNode};
use glomers_engine::{Outgoing, Payload};
use serde_json::{json, Value};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A small seeded generator for the tests' choices of node and delta.
struct Pick(u64);

impl Pick {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// A read on `node` from a fresh client, answered at once or after a sync.
fn read(c: &mut Cluster<GCounter>, node: &str, client: &str) -> u64 {
    let mut replies = c.request(client, node, Body::Read);
    if replies.is_empty() {
        c.run_for(Duration::from_secs(4));
        replies = c.take_outside().into_iter().map(|d| d.msg).filter(|m| m.dest == client).collect();
    }
    match replies.as_slice() {
        [Outgoing { payload: Payload::Body(Body::ReadOk { value }), .. }] => *value,
        other => panic!("{client} on {node} got {other:?}"),
    }
}

/// Adds random deltas (0 included) on random nodes, one every `gap`, with reads in between;
/// returns the sum of the deltas. Adds are answered once written, after a tick or two.
fn load(c: &mut Cluster<GCounter>, pick: &mut Pick, ops: usize, gap: Duration) -> u64 {
    let ids = c.ids();
    let mut sum = 0;
    for i in 0..ops {
        let node = ids[pick.below(ids.len() as u64) as usize].to_string();
        if pick.below(3) == 0 {
            let delta = pick.below(5);
            c.request(&format!("c{i}"), &node, Body::Add { delta });
            sum += delta;
        } else {
            c.request(&format!("c{i}"), &node, Body::Read);
        }
        c.run_for(gap);
    }
    sum
}

/// Heals, waits Maelstrom's 10 s, and checks every node's final read.
fn assert_final_reads(c: &mut Cluster<GCounter>, want: u64, seed: u64) {
    c.heal();
    c.run_for(Duration::from_secs(10));
    c.take_outside();
    for id in c.ids() {
        assert_eq!(read(c, &id, &format!("c-final-{id}")), want, "seed {seed}: final read on {id}");
    }
}

#[test]
fn concurrent_adds_on_three_nodes_over_stale_seq_kv_end_exact() {
    for seed in 1..=10 {
        let mut c = Cluster::<GCounter>::new(3, ms(10))
            .with_jitter(seed)
            .with_services(Services::new(&mut Rng::new(seed)));
        let mut pick = Pick(seed);
        let sum = load(&mut c, &mut pick, 300, ms(10));
        assert_final_reads(&mut c, sum, seed);
        // Every total sits in seq-kv's latest state.
        let stored: u64 = c
            .ids()
            .iter()
            .filter_map(|id| c.services().seq_kv().and_then(|kv| kv.latest_value(&json!(id.as_str()))))
            .filter_map(|v| v.get("total").and_then(Value::as_u64))
            .sum();
        assert_eq!(stored, sum, "seed {seed}");
    }
}

#[test]
fn a_partition_between_nodes_changes_nothing_because_services_stay_reachable() {
    for seed in 1..=5 {
        let mut c = Cluster::<GCounter>::new(3, ms(20)).with_services(Services::new(&mut Rng::new(seed)));
        let mut pick = Pick(seed * 31);
        let mut sum = load(&mut c, &mut pick, 50, ms(10));
        c.partition(&["n0"], &["n1", "n2"]);
        sum += load(&mut c, &mut pick, 200, ms(10));
        // During the partition, n0 still sees the others' adds through seq-kv.
        c.run_for(Duration::from_secs(1));
        assert_eq!(read(&mut c, "n0", "c-during"), sum, "seed {seed}");
        assert_final_reads(&mut c, sum, seed);
    }
}

#[test]
fn idle_nodes_send_nothing_and_an_idle_read_is_fresh() {
    let mut c = Cluster::<GCounter>::new(3, ms(50)).with_services(Services::new(&mut Rng::new(9)));
    for (i, node) in ["n0", "n1", "n2"].iter().enumerate() {
        c.request("c1", node, Body::Add { delta: i as u64 + 1 });
    }
    c.run_for(Duration::from_secs(2));
    assert!(c.ids().iter().all(|id| c.node(id).is_quiet()));
    let before = c.sent_with_services;
    c.run_for(Duration::from_secs(10));
    assert_eq!(c.sent_with_services, before, "messages sent while idle");
    assert_eq!(c.sent_between_nodes, 0, "nodes never talk to each other");
    // n0 never read anything: its first read waits for a sync, then is exact.
    assert_eq!(read(&mut c, "n0", "c2"), 6);
    // One cas and two reads, each a request and a reply.
    assert_eq!(c.sent_with_services - before, 6);
}

#[test]
fn replies_match_the_schema_exactly_and_a_zero_delta_writes_nothing_once_claimed() {
    let mut t = TestNode::<GCounter>::new("n0", &["n0"]);
    t.request("c1", Body::Add { delta: 3 });
    // The first read waits for a sync; a fresh process first claims its key: a read...
    let sent = t.request("c2", Body::Read);
    assert_eq!(sent.len(), 1);
    assert_eq!(t.body_json(&sent[0]), r#"{"type":"read","key":"n0","msg_id":1}"#);
    // ...that finds nothing, then a cas creating it...
    let sent = t.reply_json(1, "seq-kv", r#"{"type":"error","code":20,"in_reply_to":1}"#);
    assert_eq!(
        t.body_json(&sent[0]),
        r#"{"type":"cas","key":"n0","from":null,"to":{"total":0,"version":1},"create_if_not_exists":true,"msg_id":2}"#
    );
    // ...and then the write of the total, whose success answers the add and the read.
    let sent = t.reply_json(2, "seq-kv", r#"{"type":"cas_ok","in_reply_to":2}"#);
    assert_eq!(
        t.body_json(&sent[0]),
        r#"{"type":"cas","key":"n0","from":{"total":0,"version":1},"to":{"total":3,"version":2},"msg_id":3}"#
    );
    let sent = t.reply_json(3, "seq-kv", r#"{"type":"cas_ok","in_reply_to":3}"#);
    let bodies: Vec<String> = sent.iter().map(|m| t.body_json(m)).collect();
    assert_eq!(
        bodies,
        [r#"{"type":"add_ok","in_reply_to":1}"#, r#"{"type":"read_ok","value":3,"in_reply_to":2}"#]
    );
    // Fresh now: the next read is answered at once, and so is an add of 0.
    let sent = t.request("c2", Body::Read);
    assert_eq!(t.body_json(&sent[0]), r#"{"type":"read_ok","value":3,"in_reply_to":3}"#);
    let sent = t.request("c1", Body::Add { delta: 0 });
    assert_eq!(t.body_json(&sent[0]), r#"{"type":"add_ok","in_reply_to":4}"#);
    assert!(t.advance(ms(500)).is_empty(), "nothing to write");
    let sent = t.request("c2", Body::AddOk);
    assert!(t.body_json(&sent[0]).contains(r#""code":10"#));
    let sent = t.deliver(Message {
        src: NodeId::new("c3"),
        dest: NodeId::new("n0"),
        msg_id: Some(MsgId(1)),
        in_reply_to: None,
        body: Body::Add { delta: u64::MAX },
    });
    assert!(t.body_json(&sent[0]).contains(r#""code":14"#), "overflow is refused, definitely");
    assert_eq!(t.node().value(), 3);
}

/// Hands `msg` to the service and returns its reply as `(in_reply_to, body)`.
fn serve(t: &TestNode<GCounter>, services: &mut Services, msg: &Outgoing<Body>) -> (u64, String) {
    let req = serde_json::from_str(&t.body_json(msg)).expect("the node sends a JSON object");
    let reply = services.handle(&msg.dest, t.id(), &req).expect("the service answers");
    let id = reply.get("in_reply_to").and_then(Value::as_u64).expect("in_reply_to");
    (id, Value::Object(reply).to_string())
}

/// Serves every message to `seq-kv` until the node stops calling; returns its other messages.
fn serve_all(
    t: &mut TestNode<GCounter>,
    s: &mut Services,
    mut sent: Vec<Outgoing<Body>>,
) -> Vec<Outgoing<Body>> {
    let mut rest = Vec::new();
    while let Some(msg) = sent.pop() {
        if msg.dest == "seq-kv" {
            let (id, body) = serve(t, s, &msg);
            sent.extend(t.reply_json(id, "seq-kv", &body));
        } else {
            rest.push(msg);
        }
    }
    rest
}

fn stored_total(s: &Services, key: &str) -> Option<u64> {
    s.seq_kv()
        .and_then(|kv| kv.latest_value(&json!(key)))
        .and_then(|v| v.get("total"))
        .and_then(Value::as_u64)
}

/// A node of `ids` that has claimed its key in `s` (an add of 0, written).
fn claimed(s: &mut Services, me: &str, ids: &[&str]) -> TestNode<GCounter> {
    let mut t = TestNode::<GCounter>::new(me, ids);
    t.request("c0", Body::Add { delta: 0 });
    let sent = t.advance(TICK);
    let rest = serve_all(&mut t, s, sent);
    assert_eq!(
        rest.iter().map(|m| t.body_json(m)).collect::<Vec<_>>(),
        [r#"{"type":"add_ok","in_reply_to":1}"#]
    );
    t
}

#[test]
fn a_cas_whose_reply_is_lost_is_retried_and_never_double_counted() {
    let mut s = Services::new(&mut Rng::new(4));
    let mut t = claimed(&mut s, "n0", &["n0", "n1"]);
    t.request("c1", Body::Add { delta: 5 });
    let sent = t.advance(TICK);
    assert_eq!(sent.len(), 1);
    // seq-kv applies the cas, but its reply never arrives: the continuation gets error 0.
    let (late_id, late_reply) = serve(&t, &mut s, &sent[0]);
    assert_eq!(stored_total(&s, "n0"), Some(5));
    t.request("c1", Body::Add { delta: 2 });
    let sent = t.advance(KV_TIMEOUT);
    // The retry is a cas from the same old value; it fails (22), the node reads its key back
    // and writes the new total from there; both adds are answered then, and only then.
    let rest = serve_all(&mut t, &mut s, sent);
    assert_eq!(rest.len(), 2, "the two adds");
    assert_eq!(stored_total(&s, "n0"), Some(7));
    assert!(t.reply_json(late_id, "seq-kv", &late_reply).is_empty(), "a late reply is ignored");
    t.advance(Duration::from_secs(1));
    assert!(t.node().is_quiet());
    assert_eq!(stored_total(&s, "n0"), Some(7), "7, not 12: totals are absolute");
}

#[test]
fn a_cas_that_lands_after_its_retry_cannot_overwrite_the_newer_total() {
    let mut s = Services::new(&mut Rng::new(8));
    let mut t = claimed(&mut s, "n0", &["n0", "n1"]);
    t.request("c1", Body::Add { delta: 1 });
    let sent = t.advance(TICK);
    let rest = serve_all(&mut t, &mut s, sent);
    assert_eq!(rest.len(), 1, "the add's answer");
    t.request("c1", Body::Add { delta: 4 });
    // This cas (total 5) is held up on the way to seq-kv past its timeout...
    let held = t.advance(TICK);
    assert_eq!(held.len(), 1);
    t.request("c1", Body::Add { delta: 10 });
    // ...so the node retries with its newer total (15), which lands first.
    let sent = t.advance(KV_TIMEOUT);
    serve_all(&mut t, &mut s, sent);
    assert_eq!(stored_total(&s, "n0"), Some(15));
    // The held cas finally arrives: its `from` is gone, so it fails and changes nothing.
    let (_, reply) = serve(&t, &mut s, &held[0]);
    assert!(reply.contains(r#""code":22"#), "{reply}");
    assert_eq!(stored_total(&s, "n0"), Some(15));
}

#[test]
fn a_read_waits_for_a_sync_and_fails_before_the_client_gives_up_rather_than_answer_stale() {
    let mut t = TestNode::<GCounter>::new("n0", &["n0", "n1"]);
    t.request("c1", Body::Add { delta: 2 });
    let sent = t.request("c2", Body::Read);
    assert_eq!(sent.len(), 1, "the claim's read");
    // seq-kv never answers: the read fails (error 11) after READ_DEADLINE, without a value.
    let sent = t.advance(READ_DEADLINE + TICK);
    let replies: Vec<_> = sent.iter().filter(|m| m.dest == "c2").collect();
    assert_eq!(replies.len(), 1);
    let body = t.body_json(replies[0]);
    assert!(
        body.starts_with(r#"{"type":"error","code":11,"#) && body.ends_with(r#""in_reply_to":2}"#),
        "{body}"
    );
}

#[test]
fn a_restarted_node_claims_what_its_last_process_stored_and_answers_adds_only_once_written() {
    let mut s = Services::new(&mut Rng::new(5));
    let mut t = claimed(&mut s, "n0", &["n0"]);
    t.request("c1", Body::Add { delta: 7 });
    // Not answered until the cas carrying it succeeds.
    let sent = t.advance(TICK);
    assert_eq!(sent.len(), 1, "only the cas: {sent:?}");
    let rest = serve_all(&mut t, &mut s, sent);
    assert_eq!(
        rest.iter().map(|m| t.body_json(m)).collect::<Vec<_>>(),
        [r#"{"type":"add_ok","in_reply_to":2}"#]
    );
    t.request("c1", Body::Add { delta: 100 });
    // Killed before its next write: the 100 was never acknowledged, and is lost.
    drop(t);
    let mut again = TestNode::<GCounter>::new("n0", &["n0"]);
    again.request("c2", Body::Add { delta: 1 });
    let sent = again.advance(TICK);
    let rest = serve_all(&mut again, &mut s, sent);
    assert_eq!(rest.len(), 1, "the add, answered once written");
    assert_eq!(stored_total(&s, "n0"), Some(8), "7 from the last process, 1 from this one");
    let sent = again.request("c3", Body::Read);
    let rest = serve_all(&mut again, &mut s, sent);
    assert_eq!(again.body_json(&rest[0]), r#"{"type":"read_ok","value":8,"in_reply_to":2}"#);
}
