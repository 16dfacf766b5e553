//! The nodes of `nodes/`, the table `glomers-bench sim` chooses from with `--impl`: each name
//! is the node's binary in `nodes/src/bin/`, and its entry makes that node behind the engine's
//! line driver. Nodes are built with their default settings (`Node::init`): nothing here reads
//! the environment, so a simulated run depends on its seed and flags only.
//!
//! `kafka` and `kafka-lin-kv` are the two `kafka::Design`s the `kafka` binary chooses between
//! with `GLOMERS_KAFKA_DESIGN`.

use crate::core::workloads::WorkloadKind;
use crate::shell::sim::SimNode;
use glomers_engine::driver::LineDriver;
use glomers_nodes::{
    broadcast, echo, g_counter, g_set, kafka, lin_kv, pn_counter, txn, txn_list_append, unique_ids,
};

/// The nodes, in the order of the challenges, then Maelstrom's guide; the first of a workload is
/// its default. `lin-kv-proxy` is the correct lin-kv control of `bench/controls`, which passes
/// every request to the lin-kv service: a reference beside the Raft node.
pub const NODES: [SimNode; 13] = [
    SimNode {
        name: "echo",
        workload: Some(WorkloadKind::Echo),
        make: |c| Box::new(LineDriver::<echo::Echo>::with_clock(c)),
    },
    SimNode {
        name: "unique-ids",
        workload: Some(WorkloadKind::UniqueIds),
        // The boot id of the node's clock keeps a restarted node's ids apart from its last ones.
        make: |c| {
            Box::new(LineDriver::with_factory(c, move |init| unique_ids::UniqueIds::booted(init, c.boot)))
        },
    },
    SimNode {
        name: "broadcast",
        workload: Some(WorkloadKind::Broadcast),
        make: |c| Box::new(LineDriver::<broadcast::Broadcast>::with_clock(c)),
    },
    SimNode {
        name: "g-counter",
        workload: Some(WorkloadKind::GCounter),
        make: |c| Box::new(LineDriver::<g_counter::GCounter>::with_clock(c)),
    },
    SimNode {
        name: "kafka",
        workload: Some(WorkloadKind::Kafka),
        make: |c| Box::new(LineDriver::<kafka::Kafka>::with_clock(c)),
    },
    // The simple lin-kv design the `kafka` binary runs with GLOMERS_KAFKA_DESIGN=lin-kv.
    SimNode {
        name: "kafka-lin-kv",
        workload: Some(WorkloadKind::Kafka),
        make: |c| Box::new(LineDriver::<kafka::KafkaLinKv>::with_clock(c)),
    },
    SimNode {
        name: "txn",
        workload: Some(WorkloadKind::TxnRwRegister),
        make: |c| Box::new(LineDriver::<txn::Txn>::with_clock(c)),
    },
    SimNode {
        name: "g-set",
        workload: Some(WorkloadKind::GSet),
        make: |c| Box::new(LineDriver::<g_set::GSet>::with_clock(c)),
    },
    SimNode {
        name: "pn-counter",
        workload: Some(WorkloadKind::PnCounter),
        make: |c| Box::new(LineDriver::<pn_counter::PnCounter>::with_clock(c)),
    },
    SimNode {
        name: "lin-kv",
        workload: Some(WorkloadKind::LinKv),
        make: |c| Box::new(LineDriver::<lin_kv::Raft>::with_clock(c)),
    },
    SimNode {
        name: "lin-kv-proxy",
        workload: Some(WorkloadKind::LinKv),
        make: |c| {
            Box::new(LineDriver::<glomers_controls::lin_kv::LinKv<glomers_controls::Correct>>::with_clock(c))
        },
    },
    SimNode {
        name: "txn-list-append",
        workload: Some(WorkloadKind::TxnListAppend),
        make: |c| Box::new(LineDriver::<txn_list_append::TxnListAppend>::with_clock(c)),
    },
    // txn-list-append's correct control: one node holds every list, the others forward to it.
    SimNode {
        name: "txn-list-append-one-owner",
        workload: Some(WorkloadKind::TxnListAppend),
        make: |c| {
            Box::new(LineDriver::<
                glomers_controls::txn_list_append::TxnListAppend<glomers_controls::Correct>,
            >::with_clock(c))
        },
    },
];

/// The node called `name`.
pub fn node(name: &str) -> Option<SimNode> {
    NODES.iter().find(|n| n.name == name).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use glomers_engine::driver::Clock;
    use std::time::Duration;

    #[test]
    fn every_node_answers_init_through_its_driver() {
        for n in NODES {
            let mut d = (n.make)(Clock::default());
            let mut out = Vec::new();
            let init = br#"{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0","n1"]}}"#;
            d.on_line(Duration::ZERO, init, &mut out);
            // What goes to the init client; a node may also greet its peers at start (broadcast
            // asks them for their values).
            let got: Vec<String> = out
                .iter()
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .filter(|l| !l.contains(r#""dest":"n1""#))
                .collect();
            assert_eq!(
                got,
                [r#"{"src":"n0","dest":"c0","body":{"type":"init_ok","in_reply_to":1}}"#],
                "{}",
                n.name
            );
        }
        assert!(node("broadcast").is_some() && node("nope").is_none());
    }

    /// Every workload's default node is its binary, the one a challenge runs.
    #[test]
    fn every_workload_has_a_node_and_its_first_is_the_binary_of_its_challenges() {
        for k in WorkloadKind::ALL {
            let first = NODES.iter().find(|n| n.workload == Some(k)).map(|n| n.name);
            assert_eq!(first, Some(k.default_node()), "{k}");
        }
    }

    /// Kafka and txn have no workload in the bench yet; this drives each through its driver on
    /// one node, so a handler that blocked or needed a thread would show here.
    #[test]
    fn kafka_and_txn_answer_through_their_drivers() {
        let cases: [(&str, &[&[u8]], &str); 3] = [
            ("kafka", &[br#"{"src":"c1","dest":"n0","body":{"type":"send","msg_id":2,"key":"k","msg":7}}"#], r#""type":"send_ok","offset""#),
            ("kafka-lin-kv", &[br#"{"src":"c1","dest":"n0","body":{"type":"send","msg_id":2,"key":"k","msg":7}}"#], r#""dest":"lin-kv""#),
            ("txn", &[br#"{"src":"c1","dest":"n0","body":{"type":"txn","msg_id":2,"txn":[["w",1,5],["r",1,null]]}}"#], r#""txn":[["w",1,5],["r",1,5]]"#),
        ];
        for (name, lines, want) in cases {
            let mut d = node(name).map(|n| (n.make)(Clock::default())).expect("registered");
            let mut out = Vec::new();
            let init = br#"{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0"]}}"#;
            d.on_line(Duration::ZERO, init, &mut out);
            for line in lines {
                d.on_line(Duration::from_millis(1), line, &mut out);
            }
            d.advance(Duration::from_millis(500), &mut out);
            let got: Vec<String> = out.iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect();
            assert!(got.iter().any(|l| l.contains(want)), "{name}: {got:?}");
        }
    }
}
