//! The node under the glomers simulator: 200 seeds of the broadcast workload with partitions,
//! every one valid; and a node that floods each value once and never resends it, which the
//! same seeds catch, each failing seed with its replay command.

use glomers_bench::sim::Sim;
use glomers_engine::prelude::*;
use gossip_broadcast::{Body, Gossip};
use std::collections::BTreeSet;

/// Five nodes, a new partition every second or so, and the 10 s of recovery the workload
/// gives after them: a node that resends what a partition swallowed has every value in the
/// final reads.
const PARTITIONS: &str = "-w broadcast --node-count 5 --time-limit 5 --rate 20 --latency 10 \
                          --nemesis partition --nemesis-interval 1";

fn flags(extra: &str) -> Vec<String> {
    format!("{PARTITIONS} {extra}").split_whitespace().map(String::from).collect()
}

#[test]
fn every_seed_of_200_is_valid_under_partitions() {
    Sim::node::<Gossip>().run(flags("--seeds 1..200")).expect("the flags are valid").assert_valid();
}

/// Challenge 3b's naive node: each value is sent to every peer once, when it arrives.
#[derive(Default)]
struct FloodOnce {
    seen: Mutex<BTreeSet<u64>>,
}

impl Node for FloodOnce {
    type Body = Body;

    fn init(_: &Init) -> Result<Self, RpcError> {
        Ok(FloodOnce::default())
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        let mut seen = self.seen.lock();
        match msg.body {
            Body::Broadcast { message } => {
                if seen.insert(message) {
                    out.send_to_peers(Body::Gossip { messages: BTreeSet::from([message]) });
                }
                out.reply(&msg, json!({"type": "broadcast_ok"}));
            }
            Body::Gossip { messages } => seen.extend(messages),
            Body::Read => out.reply(&msg, json!({"type": "read_ok", "messages": *seen})),
            Body::Topology { .. } => out.reply(&msg, json!({"type": "topology_ok"})),
            Body::GossipOk { .. } => {}
        }
        Ok(())
    }
}

/// The negative control: what a partition swallows, this node never sends again.
#[test]
fn a_node_that_never_resends_gossip_fails_under_partitions_with_replayable_seeds() {
    let sim = Sim::node::<FloodOnce>().replay_with("cargo run --bin sim --");
    let report = sim.run(flags("--seeds 1..20")).expect("the flags are valid");
    let failed: Vec<u64> = report.failures().map(|r| r.seed).collect();
    eprintln!("FloodOnce: rejected on {}/20 seeds: {failed:?}", failed.len());
    assert!(failed.len() >= 15, "too few seeds caught it: {failed:?}");
    for r in report.failures() {
        assert!(r.cause.as_deref().is_some_and(|c| c.contains("missing")), "seed {}: {:?}", r.seed, r.cause);
        let want = format!("cargo run --bin sim -- {PARTITIONS} --seed {}", r.seed);
        assert_eq!(r.replay, want.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    let panic = std::panic::catch_unwind(|| report.assert_valid()).expect_err("assert_valid panics");
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    let first = failed.first().copied().unwrap_or_default();
    assert!(text.contains(&format!("{} of 20 seeds failed", failed.len())), "{text}");
    assert!(text.contains(&format!("  seed {first}: INVALID: ")), "{text}");
    assert!(text.contains(&format!("--nemesis-interval 1 --seed {first}\n")), "{text}");

    // Without partitions nothing is lost, and the same node is valid: what failed above is the
    // gossip it dropped.
    let calm = "-w broadcast --node-count 5 --time-limit 5 --rate 20 --latency 10 --seeds 1..5";
    sim.run(calm.split_whitespace()).expect("the flags are valid").assert_valid();
}

#[test]
fn bad_flags_are_errors_not_runs() {
    let sim = Sim::node::<Gossip>();
    let err = |flags: &str| sim.run(flags.split_whitespace()).map(|_| ()).unwrap_err().to_string();
    assert!(err("-w broadcast --time-limt 1").contains("unexpected argument '--time-limt'"));
    assert!(err("-w broadcast --seeds 9..1").contains("the first seed is above the last"));
    assert!(err("-w broadcast --impl Other").contains("invalid value 'Other' for '--impl <NAME>'"));
}
