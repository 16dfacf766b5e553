//! The Raft node under the testkit: one node alone, elections, forwarding, a leader change,
//! a partitioned old leader that must not commit, and the committed prefixes agreeing on every
//! node under jitter, duplicates and partitions. No threads: the cluster moves a fake clock.

use super::*;
use glomers_engine::testkit::{Cluster, TestNode};
use glomers_engine::Outgoing;
use serde_json::json;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn write(key: u64, value: u64) -> Body {
    Body::Write { key: json!(key), value: json!(value) }
}

fn read(key: u64) -> Body {
    Body::Read { key: json!(key) }
}

fn cas(key: u64, from: u64, to: u64) -> Body {
    Body::Cas { key: json!(key), from: json!(from), to: json!(to) }
}

/// A reply's `type`, with the error code for errors (`error 11`).
fn kind(msg: &Outgoing<Body>) -> String {
    let j = msg.json();
    match j["type"].as_str() {
        Some("error") => format!("error {}", j["code"]),
        Some(t) => t.to_owned(),
        None => format!("{j}"),
    }
}

/// The node leading in the highest term, if any.
fn leader(c: &Cluster<Raft>) -> Option<String> {
    let mut best: Option<(u64, String)> = None;
    for id in c.ids() {
        let s = c.node(&id).state.lock();
        if matches!(s.role, Role::Leader { .. }) && best.as_ref().is_none_or(|(t, _)| s.term > *t) {
            best = Some((s.term, id.to_string()));
        }
    }
    best.map(|(_, id)| id)
}

fn commit(c: &Cluster<Raft>, id: &str) -> u64 {
    c.node(id).state.lock().commit
}

/// Every node's committed entries are a prefix of every other's (State Machine Safety, §5.4.3).
fn assert_committed_prefixes_agree(c: &Cluster<Raft>, when: &str) {
    let ids = c.ids();
    for (i, a) in ids.iter().enumerate() {
        for b in &ids[i + 1..] {
            let (sa, sb) = (c.node(a).state.lock(), c.node(b).state.lock());
            for i in 1..=sa.commit.min(sb.commit) {
                assert_eq!(sa.log.get(i), sb.log.get(i), "{when}: entry {i} differs between {a} and {b}");
            }
        }
    }
}

/// The replies that reached clients since the last call, by client.
fn replies(c: &mut Cluster<Raft>) -> Vec<(String, String)> {
    c.take_outside().iter().map(|d| (d.msg.dest.to_string(), kind(&d.msg))).collect()
}

#[test]
fn a_lone_node_elects_itself_and_answers_with_the_workloads_codes() {
    let mut t = TestNode::<Raft>::new("n0", &["n0"]);
    let before = t.request("c1", read(1));
    assert_eq!(before.iter().map(kind).collect::<Vec<_>>(), ["error 11"], "no leader yet");
    assert!(t.advance(ms(1000)).is_empty(), "a lone node sends nothing");
    let answers: Vec<String> = [read(1), cas(1, 0, 1), write(1, 3), cas(1, 0, 2), cas(1, 3, 4), read(1)]
        .into_iter()
        .flat_map(|b| t.request("c1", b))
        .map(|m| kind(&m))
        .collect();
    assert_eq!(answers, ["error 20", "error 20", "write_ok", "error 22", "cas_ok", "read_ok"]);
    let last = t.request("c1", read(1));
    assert_eq!(last[0].json()["value"], json!(4));
}

#[test]
fn three_nodes_elect_one_leader_and_followers_forward_to_it() {
    let mut c = Cluster::<Raft>::new(3, ms(10));
    c.run_for(ms(1500));
    let l = leader(&c).expect("a leader within 1.5 s");
    let follower = c.ids().into_iter().find(|id| *id != l.as_str()).expect("a follower");
    assert!(c.request("c1", &follower, write(7, 1)).is_empty(), "forwarded, not answered at once");
    c.run_for(ms(100));
    assert_eq!(replies(&mut c), [("c1".to_owned(), "write_ok".to_owned())]);
    c.request("c2", &follower, read(7));
    c.run_for(ms(100));
    assert_eq!(replies(&mut c), [("c2".to_owned(), "read_ok".to_owned())]);
    // Every node applies the committed entries, the followers included.
    c.run_for(ms(300));
    for id in c.ids() {
        let s = c.node(&id).state.lock();
        assert_eq!(s.commit, s.log.last_index(), "{id}");
        assert_eq!(s.applied, s.commit, "{id}");
    }
    assert_committed_prefixes_agree(&c, "quiet");
}

#[test]
fn requests_batch_into_one_append_per_follower_per_tick() {
    let mut c = Cluster::<Raft>::new(3, ms(10));
    c.run_for(ms(1500));
    let l = leader(&c).expect("a leader");
    c.run_for(ms(500));
    let before = c.sent_between_nodes;
    for k in 0..50 {
        c.request("c1", &l, write(k, 1));
    }
    c.run_for(ms(60));
    assert_eq!(replies(&mut c).len(), 50);
    // One append and one answer per follower (and perhaps one heartbeat round) for 50 writes.
    let sent = c.sent_between_nodes - before;
    assert!(sent <= 8, "{sent} messages for 50 writes");
}

#[test]
fn a_partitioned_old_leader_never_commits_and_its_client_learns_so_after_the_heal() {
    let mut c = Cluster::<Raft>::new(5, ms(10));
    c.run_for(ms(1500));
    let old = leader(&c).expect("a leader");
    c.request("c1", &old, write(1, 1));
    c.run_for(ms(100));
    assert_eq!(replies(&mut c), [("c1".to_owned(), "write_ok".to_owned())]);
    let committed = commit(&c, &old);
    let rest: Vec<String> =
        c.ids().iter().filter(|id| **id != old.as_str()).map(|id| id.to_string()).collect();
    let rest_refs: Vec<&str> = rest.iter().map(String::as_str).collect();
    c.partition(&[old.as_str()], &rest_refs);
    // The old leader still believes it leads for a while, and takes a write it cannot commit.
    c.request("c2", &old, write(1, 2));
    c.run_for(ms(2000));
    assert_eq!(commit(&c, &old), committed, "the old leader committed without a majority");
    assert!(replies(&mut c).is_empty(), "c2 was answered during the partition");
    let new = leader(&c).expect("the majority elects a new leader");
    assert_ne!(new, old);
    c.request("c3", &new, write(1, 3));
    c.run_for(ms(100));
    assert_eq!(replies(&mut c), [("c3".to_owned(), "write_ok".to_owned())]);
    // Check-quorum: the old leader stepped down and refuses rather than accepting in vain.
    assert_eq!(c.request("c4", &old, read(1)).iter().map(kind).collect::<Vec<_>>(), ["error 11"]);
    c.heal();
    c.run_for(ms(2000));
    // c2's entry was replaced by the new leader's: a definite refusal, and 3 stays.
    assert_eq!(replies(&mut c), [("c2".to_owned(), "error 11".to_owned())]);
    let l = leader(&c).expect("a leader after the heal");
    c.request("c5", &l, read(1));
    c.run_for(ms(100));
    let got = c.take_outside();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].msg.json()["value"], json!(3));
    assert_committed_prefixes_agree(&c, "healed");
}

#[test]
fn an_old_leaders_entry_that_reached_the_new_leader_is_answered_by_the_old_one() {
    let mut c = Cluster::<Raft>::new(3, ms(10));
    c.run_for(ms(1500));
    let old = leader(&c).expect("a leader");
    c.run_for(ms(200));
    // The write reaches every follower, then the leader is cut off before it learns the commit.
    c.request("c1", &old, write(2, 5));
    c.run_for(ms(15));
    let rest: Vec<String> =
        c.ids().iter().filter(|id| **id != old.as_str()).map(|id| id.to_string()).collect();
    c.partition(&[old.as_str()], &[rest[0].as_str(), rest[1].as_str()]);
    c.run_for(ms(3000));
    assert!(replies(&mut c).is_empty());
    c.heal();
    c.run_for(ms(2000));
    // The new leader held the entry and committed it with its no-op; the old one applies it and
    // answers its client with the write's own result.
    assert_eq!(replies(&mut c), [("c1".to_owned(), "write_ok".to_owned())]);
}

#[test]
fn seed_16_a_duplicated_forward_refused_once_is_never_appended() {
    let mut t = TestNode::<Raft>::new("n0", &["n0"]);
    let forward = |t: &mut TestNode<Raft>| {
        t.deliver(Message {
            src: NodeId::new("n1"),
            dest: NodeId::new("n0"),
            msg_id: None,
            in_reply_to: None,
            body: Body::Forward {
                client: NodeId::new("c9"),
                id: Some(MsgId(4)),
                op: Op::Write { key: json!(1), value: json!(2) },
            },
        })
    };
    let first = forward(&mut t);
    assert_eq!(
        (first.len(), kind(&first[0]), first[0].dest.to_string()),
        (1, "error 11".into(), "c9".into())
    );
    t.advance(ms(1000));
    assert!(matches!(t.node().state.lock().role, Role::Leader { .. }));
    // The duplicate arrives once n0 leads: appending it would perform a write refused for good.
    assert!(forward(&mut t).is_empty());
    assert_eq!(t.node().state.lock().log.last_index(), 1, "only the leader's no-op");
}

#[test]
fn committed_prefixes_agree_under_jitter_duplicates_and_partitions() {
    for seed in 1..=4u64 {
        let mut c = Cluster::<Raft>::new(5, ms(20)).with_jitter(seed).with_duplicates(10);
        let ids: Vec<String> = c.ids().iter().map(|id| id.to_string()).collect();
        let mut pick = Rng::new(seed);
        for step in 0..60u64 {
            if step % 15 == 5 {
                let cut = pick.index(ids.len());
                let (a, b): (Vec<&str>, Vec<&str>) =
                    ids.iter().map(String::as_str).partition(|id| ids[cut] == *id || pick.below(3) == 0);
                c.partition(&a, &b);
            }
            if step % 15 == 12 {
                c.heal();
            }
            let to = &ids[pick.index(ids.len())];
            let body = match pick.below(3) {
                0 => read(pick.below(3)),
                1 => write(pick.below(3), pick.below(5)),
                _ => cas(pick.below(3), pick.below(5), pick.below(5)),
            };
            c.request(&format!("c{step}"), to, body);
            c.run_for(ms(100));
            assert_committed_prefixes_agree(&c, &format!("seed {seed}, step {step}"));
        }
        c.heal();
        c.run_for(ms(3000));
        assert_committed_prefixes_agree(&c, &format!("seed {seed}, healed"));
        let l = leader(&c).unwrap_or_else(|| panic!("seed {seed}: no leader after the heal"));
        assert!(ids.iter().all(|id| commit(&c, id) == commit(&c, &l)), "seed {seed}: not caught up");
    }
}

#[test]
fn requests_seen_are_forgotten_after_the_dedup_window() {
    let mut t = TestNode::<Raft>::new("n0", &["n0"]);
    t.advance(ms(1000));
    t.request("c1", write(1, 1));
    assert_eq!(t.node().state.lock().seen.len(), 1);
    t.advance(Timing::DEFAULT.dedup_for - ms(500));
    assert_eq!(t.node().state.lock().seen.len(), 1, "forgotten too early");
    t.advance(ms(2000));
    assert!(t.node().state.lock().seen.is_empty(), "never forgotten");
}
