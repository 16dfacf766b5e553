//! `broadcast` (docs/protocol.md §7.3): half broadcasts of 0, 1, 2, … and half reads; `topology`
//! at setup; a final read per worker after the heal and the 10 s pause.

use super::{
    body, standard_completion, Client, ClientReply, Completion, FinalPhase, Op, SingleRpc, Workload,
    WorkloadConfig,
};
use crate::core::checkers::verdict::Checked;
use crate::core::checkers::{self, WorkloadResult};
use crate::core::history::History;
use crate::core::wire::{Body, Field};
use glomers_harness::Rng;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The broadcast workload.
pub struct Broadcast {
    topology: BTreeMap<String, Vec<String>>,
    next_value: u64,
}

impl Broadcast {
    /// A broadcast workload over the configured nodes and topology.
    pub fn new(cfg: &WorkloadConfig) -> Self {
        Broadcast { topology: cfg.topology.build(&cfg.nodes), next_value: 0 }
    }
}

fn request(op: &Op) -> Body {
    match op.f {
        "broadcast" => body("broadcast", &[("message", op.value.clone())]),
        _ => body("read", &[]),
    }
}

fn complete(op: &Op, reply: ClientReply) -> Completion {
    match op.f {
        "broadcast" => standard_completion(reply, false, "broadcast_ok", &[], |_| op.value.clone()),
        // Reads are idempotent: a timeout or indefinite error is a fail (§7.3).
        _ => standard_completion(reply, true, "read_ok", &[("messages", Field::Array)], |b| {
            b.get("messages").cloned().unwrap_or(Value::Null)
        }),
    }
}

impl Workload for Broadcast {
    fn setup_request(&self, _node: &str) -> Option<Body> {
        Some(body("topology", &[("topology", json!(self.topology))]))
    }

    fn next_op(&mut self, rng: &mut Rng) -> Op {
        if rng.below(2) == 0 {
            let value = json!(self.next_value);
            self.next_value += 1;
            Op { f: "broadcast", value, final_op: false }
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
        checkers::set_full::check(history, "broadcast").map(WorkloadResult::Broadcast)
    }
}
