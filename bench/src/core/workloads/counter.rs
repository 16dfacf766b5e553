//! The counter workloads, `g-counter` (docs/protocol.md §7.4) and `pn-counter` (§7.9): one client
//! and one checker; only the generator differs. g-counter: about 1/3 adds of 0-4 and 2/3 reads;
//! pn-counter: half adds of -5..4 and half reads. Any error, timeout or malformed reply is an
//! `info` with an exception; a final read per worker.

use super::{
    body, standard_completion, Client, ClientReply, Completion, FinalPhase, Op, SingleRpc, Workload,
};
use crate::core::checkers::verdict::Checked;
use crate::core::checkers::{self, WorkloadResult};
use crate::core::history::{History, Kind};
use crate::core::wire::{Body, Field};
use glomers_harness::Rng;
use serde_json::{json, Value};

/// A counter workload: grow-only, or with negative deltas too.
pub struct Counter {
    /// Whether deltas may be negative (pn-counter).
    negative: bool,
}

impl Counter {
    /// `g-counter`: deltas 0-4.
    pub const G: Counter = Counter { negative: false };
    /// `pn-counter`: deltas -5..4.
    pub const PN: Counter = Counter { negative: true };
}

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
    // The counter clients catch nothing (§7.4): every failure is an info with an exception.
    let exception = c.exception.or_else(|| c.error.as_ref().map(|e| format!("error {e}")));
    Completion { kind: Kind::Info, value: Value::Null, error: c.error, exception }
}

impl Workload for Counter {
    fn next_op(&mut self, rng: &mut Rng) -> Op {
        // Maelstrom mixes adds of -5..4 with reads; g-counter filters out the negative adds,
        // which leaves 1/3 adds of 0..4 (§7.4, §7.9).
        let one_in = if self.negative { 2 } else { 3 };
        if rng.below(one_in) != 0 {
            return Op { f: "read", value: Value::Null, final_op: false };
        }
        let delta = if self.negative { json!(rng.below(10) as i64 - 5) } else { json!(rng.below(5)) };
        Op { f: "add", value: delta, final_op: false }
    }

    fn final_phase(&self) -> FinalPhase {
        FinalPhase::OneRead
    }

    fn client(&self) -> Box<dyn Client> {
        Box::new(SingleRpc { request, complete })
    }

    fn check(&self, history: &History) -> Checked<WorkloadResult> {
        let checked = checkers::g_counter::check(history);
        if self.negative {
            checked.map(WorkloadResult::PnCounter)
        } else {
            checked.map(WorkloadResult::GCounter)
        }
    }
}
