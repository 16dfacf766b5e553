//! Broadcast under the testkit's cluster: spreading, partitions, duplicates, reordering.

use super::*;
use glomers_engine::testkit::{Cluster, TestNode};
use glomers_engine::{MsgId, Payload};

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// Broadcasts `values` round-robin over the cluster's nodes, one every `gap`; returns how many
/// were answered `broadcast_ok` at once (a node answers once a second node holds the value).
fn broadcast_all(c: &mut Cluster<Broadcast>, values: impl IntoIterator<Item = u64>, gap: Duration) -> usize {
    let ids = c.ids();
    let mut ok = 0;
    for (i, v) in values.into_iter().enumerate() {
        let to = ids[i % ids.len()].to_string();
        let replies = c.request("c1", &to, Body::Broadcast { message: v });
        ok += replies.iter().filter(|m| m.payload == Payload::Body(Body::BroadcastOk)).count();
        c.run_for(gap);
    }
    ok
}

/// The `broadcast_ok` answers that reached clients since the last call.
fn later_oks(c: &mut Cluster<Broadcast>) -> usize {
    c.take_outside().iter().filter(|d| d.msg.payload == Payload::Body(Body::BroadcastOk)).count()
}

/// A node of `ids` whose start-up `sync` every peer answered with nothing.
fn joined(me: &str, ids: &[&str]) -> TestNode<Broadcast> {
    let mut t = TestNode::<Broadcast>::new(me, ids);
    for m in t.take_startup() {
        assert_eq!(m.payload, Payload::Body(Body::Sync), "a start asks each linked peer for its values");
        let id = m.msg_id.expect("an rpc").0;
        let sync_ok = format!(r#"{{"type":"sync_ok","values":[],"floor":0,"in_reply_to":{id}}}"#);
        t.reply_json(id, m.dest.as_str(), &sync_ok);
    }
    t
}

fn assert_everyone_has(c: &Cluster<Broadcast>, want: &[u64]) {
    let mut want = want.to_vec();
    want.sort_unstable();
    for id in c.ids() {
        let mut got = c.node(&id).values();
        got.sort_unstable();
        assert_eq!(got, want, "values at {id}");
    }
}

#[test]
fn one_node_reads_what_it_was_sent_and_acks_topology() {
    let mut t = TestNode::<Broadcast>::new("n0", &["n0"]);
    let sent = t.request("c1", Body::Topology { topology: HashMap::new() });
    assert_eq!(t.body_json(&sent[0]), r#"{"type":"topology_ok","in_reply_to":1}"#);
    for v in [3, 1, 2, 3] {
        let sent = t.request("c1", Body::Broadcast { message: v });
        assert_eq!(sent.len(), 1, "only the broadcast_ok: a lone node has no peers");
    }
    let sent = t.request("c2", Body::Read);
    assert_eq!(t.body_json(&sent[0]), r#"{"type":"read_ok","messages":[3,1,2],"in_reply_to":6}"#);
    assert!(t.advance(secs(5.0)).is_empty(), "a lone node never gossips");
}

#[test]
fn values_reach_every_node_in_two_hops_and_then_the_cluster_is_silent() {
    let mut c = Cluster::<Broadcast>::new(25, Duration::from_millis(100));
    c.run_for(secs(0.3));
    let at_once = broadcast_all(&mut c, 0..100, Duration::from_millis(20));
    // Two hops plus one batch window after the last broadcast.
    c.run_for(secs(0.35));
    assert_everyone_has(&c, &(0..100).collect::<Vec<_>>());
    assert_eq!(at_once + later_oks(&mut c), 100, "every broadcast answered, once on two nodes");
    // Acks settle, then nothing more is sent.
    c.run_for(secs(2.0));
    let before = c.sent_between_nodes;
    c.run_for(secs(10.0));
    assert_eq!(c.sent_between_nodes, before, "messages sent while idle");
    assert!(c.ids().iter().all(|id| c.node(id).is_quiet()));
}

#[test]
fn values_lost_to_a_partition_arrive_after_it_heals() {
    // Every shape that matters for a hub design: the hub cut off alone, a minority without
    // the hub, and a majority split with the hub on the small side.
    let shapes: [(&[&str], &[&str]); 3] = [
        (&["n0"], &["n1", "n2", "n3", "n4"]),
        (&["n3", "n4"], &["n0", "n1", "n2"]),
        (&["n0", "n1"], &["n2", "n3", "n4"]),
    ];
    for (a, b) in shapes {
        let mut c = Cluster::<Broadcast>::new(5, Duration::from_millis(10));
        broadcast_all(&mut c, 0..10, Duration::from_millis(10));
        c.partition(a, b);
        broadcast_all(&mut c, 10..40, Duration::from_millis(50));
        c.run_for(secs(3.0));
        assert!(c.dropped > 0, "the partition {a:?} | {b:?} dropped nothing");
        c.heal();
        c.run_for(secs(3.0));
        assert_everyone_has(&c, &(0..40).collect::<Vec<_>>());
        c.run_for(secs(3.0));
        let before = c.sent_between_nodes;
        c.run_for(secs(10.0));
        assert_eq!(c.sent_between_nodes, before, "still talking after {a:?} | {b:?} healed");
    }
}

#[test]
fn duplicated_and_reordered_messages_change_nothing() {
    for seed in 1..=20 {
        let mut c =
            Cluster::<Broadcast>::new(7, Duration::from_millis(30)).with_jitter(seed).with_duplicates(3);
        broadcast_all(&mut c, 0..60, Duration::from_millis(7));
        c.run_for(secs(5.0));
        assert_everyone_has(&c, &(0..60).collect::<Vec<_>>());
        for id in c.ids() {
            let values = c.node(&id).values();
            let unique: HashSet<u64> = values.iter().copied().collect();
            assert_eq!(unique.len(), values.len(), "seed {seed}: {id} holds a value twice");
        }
    }
}

#[test]
fn a_gossip_heard_twice_is_stored_once_and_acknowledged() {
    let mut hub = joined("n0", &["n0", "n1", "n2"]);
    let gossip = || Message {
        src: NodeId::new("n1"),
        dest: NodeId::new("n0"),
        msg_id: None,
        in_reply_to: None,
        body: Body::Gossip { seq: 4, values: vec![7, 8], ack: 0 },
    };
    hub.deliver(gossip());
    hub.deliver(gossip());
    assert_eq!(hub.node().values(), [7, 8]);
    // The window passes: n2 gets the values once, n1 gets its ack riding on nothing else.
    let sent = hub.advance(secs(0.5));
    let to = |n: &str| sent.iter().filter(|m| m.dest == n).map(|m| m.payload.clone()).collect::<Vec<_>>();
    assert_eq!(to("n2"), [Payload::Body(Body::Gossip { seq: 1, values: vec![7, 8], ack: 0 })]);
    assert_eq!(to("n1"), [Payload::Body(Body::Gossip { seq: 0, values: vec![], ack: 4 })]);
}

#[test]
fn replies_to_clients_match_the_schema_exactly_once_the_hub_holds_the_value() {
    let mut t = joined("n1", &["n0", "n1"]);
    let sent = t.request("c1", Body::Broadcast { message: 5 });
    assert_eq!(sent.len(), 1, "no answer yet: {sent:?}");
    assert_eq!(sent[0].payload, Payload::Body(Body::Gossip { seq: 1, values: vec![5], ack: 0 }));
    assert_eq!(sent[0].dest, "n0", "a spoke sends a new value to the hub at once");
    let sent = t.deliver(Message {
        src: NodeId::new("n0"),
        dest: NodeId::new("n1"),
        msg_id: None,
        in_reply_to: None,
        body: Body::Gossip { seq: 0, values: vec![], ack: 1 },
    });
    let reply = sent.iter().find(|m| m.in_reply_to == Some(MsgId(1))).expect("broadcast_ok");
    assert_eq!(t.body_json(reply), r#"{"type":"broadcast_ok","in_reply_to":1}"#);
    let sent = t.request("c1", Body::BroadcastOk);
    assert!(t.body_json(&sent[0]).contains(r#""code":10"#));
}

#[test]
fn a_value_on_no_second_node_is_answered_indeterminate_before_the_client_gives_up() {
    let mut t = joined("n1", &["n0", "n1"]);
    t.request("c1", Body::Broadcast { message: 5 });
    let sent = t.advance(ACK_DEADLINE + secs(0.2));
    let reply = sent.iter().find(|m| m.in_reply_to == Some(MsgId(1))).expect("an answer");
    assert!(t.body_json(reply).starts_with(r#"{"type":"error","code":13,"#), "{}", t.body_json(reply));
}

#[test]
fn a_restarted_peer_gets_every_value_and_numbers_its_new_batches_above_the_old_ones() {
    let mut hub = joined("n0", &["n0", "n1", "n2"]);
    let from = |src: &str, body: Body| Message {
        src: NodeId::new(src),
        dest: NodeId::new("n0"),
        msg_id: Some(MsgId(9)),
        in_reply_to: None,
        body,
    };
    hub.deliver(from("n1", Body::Gossip { seq: 4, values: vec![7], ack: 0 }));
    hub.deliver(from("n2", Body::Gossip { seq: 2, values: vec![8], ack: 0 }));
    hub.advance(secs(0.5));
    // n1 restarts: its new process asks for everything.
    let sent = hub.deliver(from("n1", Body::Sync));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].payload, Payload::Body(Body::SyncOk { values: vec![7, 8], floor: 4 }));
    // The new process's first batch is numbered above 4; the hub takes it and spreads it.
    hub.deliver(from("n1", Body::Gossip { seq: 5, values: vec![9], ack: 0 }));
    assert_eq!(hub.node().values(), [7, 8, 9]);
    // And on the other side: a fresh spoke sends nothing to the hub until it answered.
    let mut spoke = TestNode::<Broadcast>::new("n1", &["n0", "n1"]);
    let sync = spoke.take_startup();
    assert_eq!(sync.len(), 1);
    assert!(spoke.request("c1", Body::Broadcast { message: 3 }).is_empty(), "held until joined");
    let id = sync[0].msg_id.expect("an rpc").0;
    let sent = spoke.reply_json(
        id,
        "n0",
        &format!(r#"{{"type":"sync_ok","values":[7,8],"floor":41,"in_reply_to":{id}}}"#),
    );
    // 3 is on the spoke alone until the hub acknowledges it: reads leave it out.
    assert_eq!(spoke.node().values(), [7, 8]);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].payload, Payload::Body(Body::Gossip { seq: 42, values: vec![3], ack: 0 }));
}

#[test]
fn at_once_answers_on_receipt_and_reads_the_value_before_a_second_node_has_it() {
    let make = |init: &Init| Ok(Broadcast::with_timing(init, Broadcast::TIMING).replying(Reply::AtOnce));
    let mut t = TestNode::<Broadcast>::built("n1", &["n0", "n1"], make);
    let sync = t.take_startup();
    let id = sync[0].msg_id.expect("an rpc").0;
    t.reply_json(id, "n0", r#"{"type":"sync_ok","values":[],"floor":0,"in_reply_to":1}"#);
    let sent = t.request("c1", Body::Broadcast { message: 5 });
    let answer = sent.iter().find(|m| m.dest.as_str() == "c1").expect("answered at once");
    assert_eq!(t.body_json(answer), r#"{"type":"broadcast_ok","in_reply_to":1}"#);
    assert_eq!(t.node().values(), [5], "read before the hub acknowledged it");
    // The default waits for the hub.
    let mut t = joined("n1", &["n0", "n1"]);
    let sent = t.request("c1", Body::Broadcast { message: 5 });
    assert!(sent.iter().all(|m| m.dest.as_str() != "c1"), "no answer before a second copy");
    assert!(t.node().values().is_empty());
}

#[test]
fn the_reply_setting_reads_its_two_words_and_refuses_others() {
    assert_eq!("at-once".parse::<Reply>(), Ok(Reply::AtOnce));
    assert_eq!("second-copy".parse::<Reply>(), Ok(Reply::SecondCopy));
    assert!("soon".parse::<Reply>().is_err());
}
