//! Challenge 2, `unique-ids` (docs/protocol.md §7.2): globally unique ids with no coordination.
//!
//! Node `i` of `n` hands out `i, i + n, i + 2n, …`: the residue modulo `n` names the node and
//! the quotient counts its ids, so no two nodes can ever produce the same number, partitions
//! or not, and every request is answered at once. Ids are JSON integers (one id type, §7.2).

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
        /// Unique across the cluster.
        id: u64,
    },
}

/// The unique-ids node.
pub struct UniqueIds {
    /// This node's position in `node_ids`.
    index: u64,
    /// How many nodes share the id space.
    stride: u64,
    /// Ids handed out so far by this node.
    issued: AtomicU64,
}

impl Node for UniqueIds {
    type Body = Body;

    fn init(init: &Init) -> Result<Self, RpcError> {
        let index = init.node_ids.iter().position(|n| *n == init.node_id).ok_or_else(|| {
            RpcError::new(ErrorCode::MalformedRequest, format!("{} is not in node_ids", init.node_id))
        })?;
        Ok(UniqueIds { index: index as u64, stride: init.node_ids.len() as u64, issued: AtomicU64::new(0) })
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        match msg.body {
            Body::Generate => {
                let n = self.issued.fetch_add(1, Ordering::Relaxed);
                let id = n
                    .checked_mul(self.stride)
                    .and_then(|v| v.checked_add(self.index))
                    .ok_or_else(|| RpcError::new(ErrorCode::Abort, "id space exhausted"))?;
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

    fn ids_from(t: &mut TestNode<UniqueIds>, count: usize) -> Vec<u64> {
        (0..count)
            .map(|_| match &t.request("c1", Body::Generate)[0].payload {
                Payload::Body(Body::GenerateOk { id }) => *id,
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
                assert!(seen.insert(id), "{name} repeated id {id}");
            }
        }
        assert_eq!(seen.len(), 3000);
    }

    #[test]
    fn reply_has_exactly_the_schema_keys() {
        let mut t = TestNode::<UniqueIds>::new("n1", &["n0", "n1"]);
        let sent = t.request("c7", Body::Generate);
        assert_eq!(t.body_json(&sent[0]), r#"{"type":"generate_ok","id":1,"in_reply_to":1}"#);
    }

    #[test]
    fn a_node_missing_from_the_cluster_list_refuses_init() {
        assert!(UniqueIds::init(&Init::new("n9", &["n0", "n1"])).is_err());
    }
}
