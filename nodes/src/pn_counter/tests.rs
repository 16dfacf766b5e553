//! The pn-counter node under the testkit's cluster: convergence, partitions, duplicates,
//! reordering, messages of constant size, and bad deltas.

use super::*;
use glomers_engine::testkit::{Cluster, TestNode};
use glomers_engine::{MsgId, Outgoing, Payload};

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// Adds `deltas` round-robin over the cluster's nodes, one every `gap`; their sum.
fn add_all(c: &mut Cluster<PnCounter>, deltas: impl IntoIterator<Item = i64>, gap: Duration) -> i64 {
    let ids = c.ids();
    let mut sum = 0;
    for (i, d) in deltas.into_iter().enumerate() {
        let to = ids[(i * 7 + 3) % ids.len()].to_string();
        let replies = c.request("c1", &to, Body::Add { delta: d });
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].payload, Payload::Body(Body::AddOk));
        sum += d;
        c.run_for(gap);
    }
    sum
}

/// Deltas -5..4 in a fixed scramble.
fn deltas(n: i64) -> impl Iterator<Item = i64> {
    (0..n).map(|i| (i * 7 + i / 3) % 10 - 5)
}

fn assert_everyone_reads(c: &Cluster<PnCounter>, want: i64) {
    for id in c.ids() {
        assert_eq!(c.node(&id).value(), Some(want), "value at {id}");
    }
}

/// Runs long enough for every ack to settle, then asserts nothing is sent for 10 s.
fn assert_falls_silent(c: &mut Cluster<PnCounter>) {
    c.run_for(secs(3.0));
    let before = c.sent_between_nodes;
    c.run_for(secs(10.0));
    assert_eq!(c.sent_between_nodes, before, "messages sent while idle");
    assert!(c.ids().iter().all(|id| c.node(id).is_quiet()));
}

#[test]
fn a_lone_node_counts_up_and_down_and_never_gossips() {
    let mut t = TestNode::<PnCounter>::new("n0", &["n0"]);
    for (msg_id, delta) in [(1, 5), (2, -7), (3, 0), (4, 1)] {
        let sent = t.request("c1", Body::Add { delta });
        assert_eq!(t.body_json(&sent[0]), format!(r#"{{"type":"add_ok","in_reply_to":{msg_id}}}"#));
    }
    let sent = t.request("c2", Body::Read);
    assert_eq!(t.body_json(&sent[0]), r#"{"type":"read_ok","value":-1,"in_reply_to":5}"#);
    assert!(t.advance(secs(5.0)).is_empty());
}

#[test]
fn every_node_reads_the_sum_within_a_window_and_then_the_cluster_is_silent() {
    let mut c = Cluster::<PnCounter>::new(25, Duration::from_millis(100));
    let sum = add_all(&mut c, deltas(200), Duration::from_millis(10));
    c.run_for(secs(0.25));
    assert_everyone_reads(&c, sum);
    assert_falls_silent(&mut c);
}

#[test]
fn adds_cut_off_by_a_partition_count_everywhere_after_it_heals() {
    let shapes: [(&[&str], &[&str]); 2] =
        [(&["n0"], &["n1", "n2", "n3", "n4"]), (&["n0", "n1"], &["n2", "n3", "n4"])];
    for (a, b) in shapes {
        let mut c = Cluster::<PnCounter>::new(5, Duration::from_millis(10));
        let mut sum = add_all(&mut c, deltas(10), Duration::from_millis(10));
        c.partition(a, b);
        sum += add_all(&mut c, deltas(40), Duration::from_millis(50));
        c.run_for(secs(3.0));
        assert!(c.dropped > 0, "the partition {a:?} | {b:?} dropped nothing");
        c.heal();
        c.run_for(secs(3.0));
        assert_everyone_reads(&c, sum);
        assert_falls_silent(&mut c);
    }
}

#[test]
fn duplicated_and_reordered_messages_change_nothing() {
    for seed in 1..=20 {
        let mut c =
            Cluster::<PnCounter>::new(7, Duration::from_millis(30)).with_jitter(seed).with_duplicates(3);
        let sum = add_all(&mut c, deltas(120), Duration::from_millis(7));
        c.run_for(secs(5.0));
        assert_everyone_reads(&c, sum);
        assert_falls_silent(&mut c);
    }
}

/// The gossip `sent` holds for `to`.
fn gossip_to(sent: &[Outgoing<Body>], to: &str) -> Vec<Body> {
    sent.iter()
        .filter(|m| m.dest == to)
        .filter_map(|m| match &m.payload {
            Payload::Body(b) => Some(b.clone()),
            _ => None,
        })
        .collect()
}

fn from_n1(inc: u64, dec: u64, ack: u64) -> Message<Body> {
    Message {
        src: NodeId::new("n1"),
        dest: NodeId::new("n0"),
        msg_id: None,
        in_reply_to: None,
        body: Body::Gossip { inc, dec, ack },
    }
}

#[test]
fn a_message_carries_only_the_senders_entry_and_stops_once_acknowledged() {
    let mut t = TestNode::<PnCounter>::new("n0", &["n0", "n1"]);
    for delta in [4, -3, 2] {
        t.request("c1", Body::Add { delta });
    }
    let sent = t.advance(secs(0.1));
    assert_eq!(gossip_to(&sent, "n1"), [Body::Gossip { inc: 6, dec: 3, ack: 0 }]);
    // Not acknowledged: resent after the retry interval, the latest entry only.
    t.request("c1", Body::Add { delta: -1 });
    let sent = t.advance(secs(0.1));
    assert_eq!(gossip_to(&sent, "n1"), [Body::Gossip { inc: 6, dec: 4, ack: 0 }]);
    let sent = t.advance(secs(1.0));
    assert_eq!(gossip_to(&sent, "n1"), [Body::Gossip { inc: 6, dec: 4, ack: 0 }]);
    // An old ack does not stop the resends; the current one does. n1's own entry is new to n0,
    // so n0 owes an ack, which goes alone after the delay, and then n0 is quiet.
    t.deliver(from_n1(1, 0, 9));
    assert!(!t.node().is_quiet());
    t.deliver(from_n1(2, 5, 10));
    let sent = t.advance(secs(0.5));
    assert_eq!(gossip_to(&sent, "n1"), [Body::Gossip { inc: 6, dec: 4, ack: 7 }]);
    assert!(t.node().is_quiet());
    assert_eq!(t.node().value(), Some(-1));
    // A stale or repeated copy of n1's entry changes nothing and asks for nothing.
    t.deliver(from_n1(1, 0, 10));
    t.deliver(from_n1(2, 5, 10));
    assert!(t.advance(secs(5.0)).is_empty());
    assert_eq!(t.node().value(), Some(-1));
}

#[test]
fn deltas_that_would_overflow_are_refused_and_nothing_changes() {
    let mut t = TestNode::<PnCounter>::new("n0", &["n0"]);
    t.request("c1", Body::Add { delta: i64::MAX });
    let sent = t.request("c1", Body::Add { delta: 1 });
    assert_eq!(
        t.body_json(&sent[0]),
        r#"{"type":"error","code":22,"text":"the counter would overflow","in_reply_to":2}"#
    );
    t.request("c1", Body::Add { delta: i64::MIN + 1 });
    let sent = t.request("c1", Body::Add { delta: i64::MIN });
    assert!(t.body_json(&sent[0]).contains(r#""code":22"#));
    assert_eq!(t.node().value(), Some(0));
}

#[test]
fn replies_to_clients_match_the_schema_exactly() {
    let mut t = TestNode::<PnCounter>::new("n1", &["n0", "n1"]);
    let sent = t.request("c1", Body::Add { delta: -5 });
    let reply = sent.iter().find(|m| m.in_reply_to == Some(MsgId(1))).expect("add_ok");
    assert_eq!(t.body_json(reply), r#"{"type":"add_ok","in_reply_to":1}"#);
    let sent = t.request("c1", Body::ReadOk { value: 3 });
    assert!(t.body_json(&sent[0]).contains(r#""code":10"#));
}
