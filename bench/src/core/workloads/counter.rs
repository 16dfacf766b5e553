//! `g-counter` (docs/protocol.md §7.4): about 1/3 adds of 0-4 and 2/3 reads; any error, timeout or
//! malformed reply is an `info` with an exception; a final read per worker.

use super::{
    body, standard_completion, Client, ClientReply, Completion, FinalPhase, Op, SingleRpc, Workload,
};
use crate::core::checkers::verdict::Checked;
use crate::core::checkers::{self, WorkloadResult};
use crate::core::history::{History, Kind};
use crate::core::wire::{Body, Field};
use glomers_harness::Rng;
use serde_json::{json, Value};

/// The g-counter workload.
pub struct GCounter;

fn request(op: &Op) -> Body {
    match op.f {
        "add" => body("add", &[("delta", op.value.clone())]),
        _ => body("read", &[]),
    }
}

fn complete(op: &Op, reply: ClientReply) -> Completion {
    let c = match op.f {
        "add" => standard_completion(reply, false, "add_ok", &[], |_| op.value.clone()),
        _ => standard_completion(reply, false, "read_ok", &[("value", Field::Int)], |b| {
            b.get("value").cloned().unwrap_or(Value::Null)
        }),
    };
    if c.kind == Kind::Ok {
        return c;
    }
    // The g-counter client catches nothing (§7.4): every failure is an info with an exception.
    let exception = c.exception.or_else(|| c.error.as_ref().map(|e| format!("error {e}")));
    Completion { kind: Kind::Info, value: Value::Null, error: c.error, exception }
}

impl Workload for GCounter {
    fn next_op(&mut self, rng: &mut Rng) -> Op {
        if rng.below(3) == 0 {
            Op { f: "add", value: json!(rng.below(5)), final_op: false }
        } else {
            Op { f: "read", value: Value::Null, final_op: false }
        }
    }

    fn final_phase(&self) -> FinalPhase {
        FinalPhase::OneRead
    }

    fn client(&self) -> Box<dyn Client> {
        Box::new(SingleRpc { request, complete })
    }

    fn check(&self, history: &History) -> Checked<WorkloadResult> {
        checkers::g_counter::check(history).map(WorkloadResult::GCounter)
    }
}
