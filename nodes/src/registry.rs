//! Every node of this crate by name, as a [`Driver`] a simulator can run in-process: the name
//! a binary has in `src/bin/` maps to a factory of that node behind the engine's line driver.
//! Nodes are built with their default settings (`Node::init`): nothing here reads the
//! environment, so a simulated run depends on its seed and flags only.
//!
//! `kafka` and `kafka-lin-kv` are the two [`kafka::Design`]s the `kafka` binary chooses
//! between with `GLOMERS_KAFKA_DESIGN`.

use crate::{broadcast, echo, g_counter, g_set, kafka, pn_counter, txn, unique_ids};
use glomers_engine::driver::{Clock, Driver, LineDriver};

/// Makes one uninitialised node whose timers follow the given clock.
pub type Factory = fn(Clock) -> Box<dyn Driver>;

/// The nodes by name, in the order of the challenges, then Maelstrom's guide.
pub const NODES: [(&str, Factory); 9] = [
    ("echo", |c| Box::new(LineDriver::<echo::Echo>::with_clock(c))),
    ("unique-ids", |c| Box::new(LineDriver::<unique_ids::UniqueIds>::with_clock(c))),
    ("broadcast", |c| Box::new(LineDriver::<broadcast::Broadcast>::with_clock(c))),
    ("g-counter", |c| Box::new(LineDriver::<g_counter::GCounter>::with_clock(c))),
    ("kafka", |c| kafka_driver(kafka::Design::Owner, c)),
    ("kafka-lin-kv", |c| kafka_driver(kafka::Design::LinKv, c)),
    ("txn", |c| Box::new(LineDriver::<txn::Txn>::with_clock(c))),
    ("g-set", |c| Box::new(LineDriver::<g_set::GSet>::with_clock(c))),
    ("pn-counter", |c| Box::new(LineDriver::<pn_counter::PnCounter>::with_clock(c))),
];

/// A kafka node of the given design.
fn kafka_driver(design: kafka::Design, clock: Clock) -> Box<dyn Driver> {
    match design {
        kafka::Design::Owner => Box::new(LineDriver::<kafka::Kafka>::with_clock(clock)),
        kafka::Design::LinKv => Box::new(LineDriver::<kafka::KafkaLinKv>::with_clock(clock)),
    }
}

/// The factory of the node called `name`.
pub fn factory(name: &str) -> Option<Factory> {
    NODES.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Every name, comma-separated, for error messages.
pub fn names() -> String {
    NODES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn every_node_answers_init_through_its_driver() {
        for (name, make) in NODES {
            let mut d = make(Clock::default());
            let mut out = Vec::new();
            let init = br#"{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0","n1"]}}"#;
            d.on_line(Duration::ZERO, init, &mut out);
            let got: Vec<String> = out.iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect();
            assert_eq!(
                got,
                [r#"{"src":"n0","dest":"c0","body":{"type":"init_ok","in_reply_to":1}}"#],
                "{name}"
            );
        }
        assert!(factory("broadcast").is_some() && factory("nope").is_none());
        assert!(names().starts_with("echo, unique-ids"));
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
            let mut d = factory(name).map(|f| f(Clock::default())).expect("registered");
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
