//! `echo` (docs/protocol.md §7.1): every operation echoes `"Please echo N"`; no final phase.

use super::{body, standard_completion, Client, ClientReply, Op, SingleRpc, Workload};
use crate::core::checkers::verdict::Checked;
use crate::core::checkers::{self, WorkloadResult};
use crate::core::history::History;
use crate::core::wire::Field;
use glomers_harness::Rng;
use serde_json::{json, Value};

/// The echo workload.
pub struct Echo;

impl Workload for Echo {
    fn next_op(&mut self, rng: &mut Rng) -> Op {
        Op { f: "echo", value: json!(format!("Please echo {}", rng.below(128))), final_op: false }
    }

    fn client(&self) -> Box<dyn Client> {
        Box::new(SingleRpc {
            request: |op| body("echo", &[("echo", op.value.clone())]),
            complete: |_, reply: ClientReply| {
                standard_completion(reply, false, "echo_ok", &[("echo", Field::Any)], |b| {
                    b.get("echo").cloned().unwrap_or(Value::Null)
                })
            },
        })
    }

    fn check(&self, history: &History) -> Checked<WorkloadResult> {
        checkers::echo::check(history).map(WorkloadResult::Echo)
    }
}
