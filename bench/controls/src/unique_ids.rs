//! The unique-ids controls (docs/protocol.md §7.2): ids made of the node id, the process's boot
//! id and a counter; or, broken, the bare counter, which collides across nodes, or no boot id,
//! which repeats ids once a node is killed and restarted (§5.3).

use crate::Flawed;
use glomers_engine::{Init, Message, Node, NodeId, Out, RpcError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};

flaws! {
    /// Numbers ids 1, 2, 3... on every node, so two nodes hand out the same id.
    Collide,
    /// Keeps no boot id: a restarted node counts from 1 again and repeats its last process's ids.
    Restart,
}

/// Bodies of the unique-ids workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// A request for a new id.
    Generate,
    /// The id: a string `n0-<boot>-7`, in [`Restart`] `n0-7`, in [`Collide`] the number `7`.
    GenerateOk {
        /// The id.
        id: Value,
    },
}

/// A unique-ids node with flaw `F` (or none).
pub struct UniqueIds<F> {
    me: NodeId,
    /// This process's boot id.
    boot: u64,
    /// Ids handed out so far.
    count: AtomicU64,
    flaw: PhantomData<F>,
}

impl<F> UniqueIds<F> {
    /// The node of the process whose boot id is `boot`.
    pub fn booted(init: &Init, boot: u64) -> Self {
        UniqueIds { me: init.node_id.clone(), boot, count: AtomicU64::new(0), flaw: PhantomData }
    }
}

impl<F: Flawed<Flaw>> Node for UniqueIds<F> {
    type Body = Body;

    /// With boot id 0; the control's process and its simulated driver pass their own to
    /// [`UniqueIds::booted`].
    fn init(init: &Init) -> Result<Self, RpcError> {
        Ok(Self::booted(init, 0))
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        let Body::Generate = msg.body else {
            return Err(RpcError::not_supported("generate_ok is a reply, not a request"));
        };
        let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        let id = match F::FLAW {
            Some(Flaw::Collide) => Value::from(n),
            Some(Flaw::Restart) => Value::from(format!("{}-{n}", self.me.as_str())),
            None => Value::from(format!("{}-{:x}-{n}", self.me.as_str(), self.boot)),
        };
        out.reply(&msg, Body::GenerateOk { id });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{bodies, Probe};
    use crate::Control;
    use serde_json::json;

    #[test]
    fn the_correct_ids_carry_the_node_and_the_colliding_ones_do_not() {
        let mut p = Probe::new(Control::UniqueIds.factory(), "n0", &["n0"]);
        assert_eq!(
            bodies(&p.request("c1", 2, json!({"type": "generate"}))),
            [json!({"type": "generate_ok", "id": "n0-0-1"})]
        );
        let mut p = Probe::new(Control::UniqueIdsRestart.factory(), "n0", &["n0"]);
        assert_eq!(
            bodies(&p.request("c1", 2, json!({"type": "generate"}))),
            [json!({"type": "generate_ok", "id": "n0-1"})]
        );
        let mut p = Probe::new(Control::UniqueIdsCollide.factory(), "n0", &["n0"]);
        assert_eq!(
            bodies(&p.request("c1", 2, json!({"type": "generate"}))),
            [json!({"type": "generate_ok", "id": 1})]
        );
    }
}
