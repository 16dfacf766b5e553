//! `unique-ids` (MAELSTROM.md §7.2): only `generate`; no final phase; clients are kept.

use super::{body, standard_completion, Checked, Client, Field, Op, Reply, SingleRpc, Workload};
use crate::core::checkers;
use crate::core::history::History;
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
            complete: |_, reply: Reply| {
                standard_completion(reply, false, "generate_ok", &[("id", Field::Any)], |b| {
                    b.get("id").cloned().unwrap_or(Value::Null)
                })
            },
        })
    }

    fn reuses_clients(&self) -> bool {
        true
    }

    fn check(&self, history: &History) -> Checked {
        checkers::unique_ids::check(history)
    }
}
