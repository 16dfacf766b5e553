//! `unique-ids` (docs/protocol.md §7.2): only `generate`; no final phase; clients are kept.

use super::{body, standard_completion, Client, ClientReply, Op, SingleRpc, Workload};
use crate::core::checkers::verdict::Checked;
use crate::core::checkers::{self, WorkloadResult};
use crate::core::history::History;
use crate::core::wire::Field;
use glomers_harness::Rng;
use serde_json::Value;

/// The unique-ids workload.
pub struct UniqueIds;

impl Workload for UniqueIds {
    fn next_op(&mut self, _rng: &mut Rng) -> Op {
        Op { f: "generate", value: Value::Null, final_op: false }
    }

    fn client(&self) -> Box<dyn Client> {
        Box::new(SingleRpc {
            request: |_| body("generate", &[]),
            complete: |_, reply: ClientReply| {
                standard_completion(reply, false, "generate_ok", &[("id", Field::Any)], |b| {
                    b.get("id").cloned().unwrap_or(Value::Null)
                })
            },
        })
    }

    fn reuses_clients(&self) -> bool {
        true
    }

    fn check(&self, history: &History) -> Checked<WorkloadResult> {
        checkers::unique_ids::check(history).map(WorkloadResult::UniqueIds)
    }
}
