//! Challenge 2, `unique-ids` (docs/protocol.md §7.2): globally unique ids with no coordination,
//! through partitions, pauses and restarts.
//!
//! An id is the string `<node>-<boot>-<k>`: the node's id, its *boot id* in hex, and how many
//! ids this process handed out before. The node id keeps nodes apart, the counter keeps one
//! process's ids apart, and the boot id keeps a node's processes apart: a node killed and
//! restarted (§5.3) counts from 0 again, but under a new boot id, so nothing needs storing.
//! The `unique-ids` binary draws the boot id from the operating system's randomness
//! (`settings::boot_id`, 64 bits: two starts of one node share it with probability 2⁻⁶⁴);
//! the simulator draws it from the run's seed, so a seed replays. Every request is answered at
//! once. Ids are all strings (one id type, §7.2).

use glomers_engine::{ErrorCode, Init, Message, Node, Out, RpcError};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};

/// Bodies of the unique-ids workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// Asks for a fresh id.
    Generate,
    /// The id.
    GenerateOk {
        /// Unique across the cluster and across restarts: `<node>-<boot>-<k>`.
        id: String,
    },
}

/// The unique-ids node.
pub struct UniqueIds {
    /// `<node>-<boot>-`, what every id of this process starts with.
    prefix: String,
    /// Ids handed out so far by this process.
    issued: AtomicU64,
}

impl UniqueIds {
    /// The node of this start of the process, whose boot id is `boot` (see the module doc).
    ///
    /// # Errors
    /// Error 12 when `init` names a node missing from its own `node_ids`.
    pub fn booted(init: &Init, boot: u64) -> Result<Self, RpcError> {
        if !init.node_ids.contains(&init.node_id) {
            let why = format!("{} is not in node_ids", init.node_id);
            return Err(RpcError::new(ErrorCode::MalformedRequest, why));
        }
        Ok(UniqueIds { prefix: format!("{}-{boot:x}-", init.node_id), issued: AtomicU64::new(0) })
    }
}

impl Node for UniqueIds {
    type Body = Body;

    /// The node with boot id 0: for tests; a binary or a simulator passes a boot id of its own
    /// to [`UniqueIds::booted`].
    fn init(init: &Init) -> Result<Self, RpcError> {
        Self::booted(init, 0)
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        match msg.body {
            Body::Generate => {
                let n = self.issued.fetch_add(1, Ordering::Relaxed);
                let id = format!("{}{n}", self.prefix);
                out.reply(&msg, Body::GenerateOk { id });
                Ok(())
            }
            Body::GenerateOk { .. } => Err(RpcError::not_supported("generate_ok is a reply, not a request")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glomers_engine::testkit::TestNode;
    use glomers_engine::Payload;
    use std::collections::HashSet;

    fn ids_from(t: &mut TestNode<UniqueIds>, count: usize) -> Vec<String> {
        (0..count)
            .map(|_| match &t.request("c1", Body::Generate)[0].payload {
                Payload::Body(Body::GenerateOk { id }) => id.clone(),
                other => panic!("unexpected reply {other:?}"),
            })
            .collect()
    }

    #[test]
    fn ids_never_collide_across_nodes() {
        let names = ["n0", "n1", "n2"];
        let mut seen = HashSet::new();
        for name in names {
            let mut t = TestNode::<UniqueIds>::new(name, &names);
            for id in ids_from(&mut t, 1000) {
                assert!(seen.insert(id.clone()), "{name} repeated id {id}");
            }
        }
        assert_eq!(seen.len(), 3000);
    }

    #[test]
    fn reply_has_exactly_the_schema_keys() {
        let mut t = TestNode::<UniqueIds>::new("n1", &["n0", "n1"]);
        let sent = t.request("c7", Body::Generate);
        assert_eq!(t.body_json(&sent[0]), r#"{"type":"generate_ok","id":"n1-0-0","in_reply_to":1}"#);
    }

    #[test]
    fn a_restarted_node_counts_from_zero_under_a_new_boot_id_and_repeats_nothing() {
        use glomers_engine::driver::{Clock, Driver, LineDriver};
        let mut seen = HashSet::new();
        for boot in [0x5eed, 0xb007] {
            let mut d = LineDriver::with_factory(Clock::default(), move |init| UniqueIds::booted(init, boot));
            let mut out = Vec::new();
            let init = br#"{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n0","n1"]}}"#;
            d.on_line(std::time::Duration::ZERO, init, &mut out);
            for k in 0..100 {
                let line =
                    format!(r#"{{"src":"c1","dest":"n1","body":{{"type":"generate","msg_id":{}}}}}"#, k + 2);
                d.on_line(std::time::Duration::ZERO, line.as_bytes(), &mut out);
            }
            for line in out.iter().skip(1) {
                let v: serde_json::Value = serde_json::from_slice(line).expect("json");
                let id = v["body"]["id"].as_str().expect("a string id").to_owned();
                assert!(seen.insert(id.clone()), "{id} repeated");
            }
        }
        assert_eq!(seen.len(), 200);
        assert!(seen.contains("n1-5eed-0") && seen.contains("n1-b007-99"), "{seen:?}");
    }

    #[test]
    fn a_node_missing_from_the_cluster_list_refuses_init() {
        assert!(UniqueIds::init(&Init::new("n9", &["n0", "n1"])).is_err());
        assert!(UniqueIds::booted(&Init::new("n9", &["n0", "n1"]), 3).is_err());
    }
}
