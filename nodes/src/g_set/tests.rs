//! The g-set node under the testkit's cluster: spreading, partitions, duplicates, reordering,
//! repeated adds, and messages that carry only what the peer lacks.

use super::*;
use glomers_engine::testkit::{Cluster, TestNode};
use glomers_engine::{MsgId, Payload};
use serde_json::json;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// Adds `elements` round-robin over the cluster's nodes, one every `gap`.
fn add_all(c: &mut Cluster<GSet>, elements: impl IntoIterator<Item = u64>, gap: Duration) {
    let ids = c.ids();
    for (i, e) in elements.into_iter().enumerate() {
        let to = ids[i % ids.len()].to_string();
        let replies = c.request("c1", &to, Body::Add { element: json!(e) });
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].payload, Payload::Body(Body::AddOk));
        c.run_for(gap);
    }
}

fn assert_everyone_has(c: &Cluster<GSet>, want: impl IntoIterator<Item = u64>) {
    let mut want: Vec<u64> = want.into_iter().collect();
    want.sort_unstable();
    for id in c.ids() {
        let mut got: Vec<u64> = c.node(&id).elements().iter().filter_map(Value::as_u64).collect();
        got.sort_unstable();
        assert_eq!(got, want, "elements at {id}");
    }
}

/// Runs long enough for every ack to settle, then asserts nothing is sent for 10 s.
fn assert_falls_silent(c: &mut Cluster<GSet>) {
    c.run_for(secs(3.0));
    let before = c.sent_between_nodes;
    c.run_for(secs(10.0));
    assert_eq!(c.sent_between_nodes, before, "messages sent while idle");
    assert!(c.ids().iter().all(|id| c.node(id).is_quiet()));
}

#[test]
fn a_lone_node_reads_what_it_was_given_once_each_and_never_gossips() {
    let mut t = TestNode::<GSet>::new("n0", &["n0"]);
    for e in [json!(3), json!("x"), json!(3), json!({"k": [1]}), json!("x")] {
        let sent = t.request("c1", Body::Add { element: e });
        assert_eq!(sent.len(), 1, "only the add_ok: a lone node has no peers");
    }
    let sent = t.request("c2", Body::Read);
    assert_eq!(t.body_json(&sent[0]), r#"{"type":"read_ok","value":[3,"x",{"k":[1]}],"in_reply_to":6}"#);
    assert!(t.advance(secs(5.0)).is_empty());
}

#[test]
fn elements_reach_every_node_within_a_window_and_then_the_cluster_is_silent() {
    let mut c = Cluster::<GSet>::new(25, Duration::from_millis(100));
    add_all(&mut c, 0..100, Duration::from_millis(20));
    // One hop plus one batch window after the last add.
    c.run_for(secs(0.25));
    assert_everyone_has(&c, 0..100);
    assert_falls_silent(&mut c);
}

#[test]
fn elements_lost_to_a_partition_arrive_after_it_heals() {
    let shapes: [(&[&str], &[&str]); 3] = [
        (&["n0"], &["n1", "n2", "n3", "n4"]),
        (&["n3", "n4"], &["n0", "n1", "n2"]),
        (&["n0", "n1"], &["n2", "n3", "n4"]),
    ];
    for (a, b) in shapes {
        let mut c = Cluster::<GSet>::new(5, Duration::from_millis(10));
        add_all(&mut c, 0..10, Duration::from_millis(10));
        c.partition(a, b);
        add_all(&mut c, 10..40, Duration::from_millis(50));
        c.run_for(secs(3.0));
        assert!(c.dropped > 0, "the partition {a:?} | {b:?} dropped nothing");
        c.heal();
        c.run_for(secs(3.0));
        assert_everyone_has(&c, 0..40);
        assert_falls_silent(&mut c);
    }
}

#[test]
fn duplicated_and_reordered_messages_and_repeated_adds_change_nothing() {
    for seed in 1..=20 {
        let mut c = Cluster::<GSet>::new(7, Duration::from_millis(30)).with_jitter(seed).with_duplicates(3);
        add_all(&mut c, 0..60, Duration::from_millis(7));
        // The same elements again, each on another node than the first time.
        add_all(&mut c, (0..60).rev(), Duration::from_millis(7));
        c.run_for(secs(5.0));
        assert_everyone_has(&c, 0..60);
        assert_falls_silent(&mut c);
    }
}

#[test]
fn a_batch_carries_only_what_the_peer_has_not_acknowledged() {
    let mut t = TestNode::<GSet>::new("n0", &["n0", "n1"]);
    let gossip_to_n1 = |sent: &[glomers_engine::Outgoing<Body>]| -> Vec<Body> {
        sent.iter()
            .filter(|m| m.dest == "n1")
            .filter_map(|m| match &m.payload {
                Payload::Body(b) => Some(b.clone()),
                _ => None,
            })
            .collect()
    };
    t.request("c1", Body::Add { element: json!(1) });
    let sent = t.advance(secs(0.1));
    assert_eq!(gossip_to_n1(&sent), [Body::Gossip { seq: 1, elements: vec![json!(1)], ack: 0 }]);
    let ack = |seq, ack| Message {
        src: NodeId::new("n1"),
        dest: NodeId::new("n0"),
        msg_id: None,
        in_reply_to: None,
        body: Body::Gossip { seq, elements: vec![], ack },
    };
    t.deliver(ack(0, 1));
    assert!(t.node().is_quiet());
    t.request("c1", Body::Add { element: json!(2) });
    let sent = t.advance(secs(0.1));
    assert_eq!(gossip_to_n1(&sent), [Body::Gossip { seq: 2, elements: vec![json!(2)], ack: 0 }]);
    // Unacknowledged, it is resent after the retry interval, and nothing else with it.
    let sent = t.advance(secs(1.0));
    assert_eq!(gossip_to_n1(&sent), [Body::Gossip { seq: 3, elements: vec![json!(2)], ack: 0 }]);
    // Elements learned from a peer are not relayed: their adder sends them to everyone.
    let mut t = TestNode::<GSet>::new("n0", &["n0", "n1", "n2"]);
    let from_n1 = Message {
        src: NodeId::new("n1"),
        dest: NodeId::new("n0"),
        msg_id: None,
        in_reply_to: None,
        body: Body::Gossip { seq: 1, elements: vec![json!(7)], ack: 0 },
    };
    t.deliver(from_n1);
    let sent = t.advance(secs(2.0));
    assert!(sent.iter().all(|m| m.dest == "n1"), "{sent:?}");
    assert_eq!(sent.len(), 1, "one pure ack to n1: {sent:?}");
}

#[test]
fn replies_to_clients_match_the_schema_exactly() {
    let mut t = TestNode::<GSet>::new("n1", &["n0", "n1"]);
    let sent = t.request("c1", Body::Add { element: json!(5) });
    let reply = sent.iter().find(|m| m.in_reply_to == Some(MsgId(1))).expect("add_ok");
    assert_eq!(t.body_json(reply), r#"{"type":"add_ok","in_reply_to":1}"#);
    let sent = t.request("c1", Body::AddOk);
    assert!(t.body_json(&sent[0]).contains(r#""code":10"#));
}
