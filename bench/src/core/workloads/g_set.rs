//! `g-set` (docs/protocol.md §7.8): half adds of the elements 0, 1, 2, … and half reads; any
//! error, timeout or malformed reply is an `info` with an exception; a final read per worker;
//! judged by Jepsen's set-full, as broadcast is.
//!
//! Maelstrom never adds an element twice, so a node that mishandles a repeated add passes
//! there. `--repeat-adds F` makes that fraction of adds repeat an element added before.

use super::{
    body, standard_completion, Client, ClientReply, Completion, FinalPhase, Op, SingleRpc, Workload,
};
use crate::core::checkers::verdict::Checked;
use crate::core::checkers::{self, WorkloadResult};
use crate::core::history::{History, Kind};
use crate::core::wire::{Body, Field};
use glomers_harness::Rng;
use serde_json::{json, Value};

/// The g-set workload.
pub struct GSet {
    /// The next new element.
    next: u64,
    /// `--repeat-adds`: the fraction of adds that repeat an element added before.
    repeat: f64,
}

impl GSet {
    /// A g-set workload whose adds repeat an earlier element with probability `repeat`.
    pub fn new(repeat: f64) -> Self {
        GSet { next: 0, repeat }
    }
}

fn request(op: &Op) -> Body {
    match op.f {
        "add" => body("add", &[("element", op.value.clone())]),
        _ => body("read", &[]),
    }
}

fn complete(op: &Op, reply: ClientReply) -> Completion {
    let c = match op.f {
        "add" => standard_completion(reply, false, "add_ok", &[], |_| op.value.clone()),
        _ => standard_completion(reply, false, "read_ok", &[("value", Field::Array)], |b| {
            b.get("value").cloned().unwrap_or(Value::Null)
        }),
    };
    if c.kind == Kind::Ok {
        return c;
    }
    // The g-set client catches nothing (§7.8): every failure is an info with an exception.
    let exception = c.exception.or_else(|| c.error.as_ref().map(|e| format!("error {e}")));
    Completion { kind: Kind::Info, value: Value::Null, error: c.error, exception }
}

impl Workload for GSet {
    fn next_op(&mut self, rng: &mut Rng) -> Op {
        if rng.below(2) != 0 {
            return Op { f: "read", value: Value::Null, final_op: false };
        }
        // Without the flag no draw is made, so a seed makes the same run as before it existed.
        let element = if self.repeat > 0.0 && self.next > 0 && rng.unit() < self.repeat {
            rng.below(self.next)
        } else {
            self.next += 1;
            self.next - 1
        };
        Op { f: "add", value: json!(element), final_op: false }
    }

    fn final_phase(&self) -> FinalPhase {
        FinalPhase::OneRead
    }

    fn client(&self) -> Box<dyn Client> {
        Box::new(SingleRpc { request, complete })
    }

    fn check(&self, history: &History) -> Checked<WorkloadResult> {
        checkers::set_full::check(history, "add").map(WorkloadResult::GSet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adds(w: &mut GSet, n: usize) -> Vec<u64> {
        let mut rng = Rng::new(7);
        (0..n)
            .map(|_| w.next_op(&mut rng))
            .filter(|op| op.f == "add")
            .filter_map(|op| op.value.as_u64())
            .collect()
    }

    #[test]
    fn elements_are_new_unless_repeats_are_asked_for() {
        let fresh = adds(&mut GSet::new(0.0), 400);
        assert!(fresh.iter().enumerate().all(|(i, &e)| e == i as u64), "{fresh:?}");
        let repeated = adds(&mut GSet::new(0.5), 400);
        let mut seen = std::collections::HashSet::new();
        let repeats = repeated.iter().filter(|e| !seen.insert(**e)).count();
        assert!((50..150).contains(&repeats), "{repeats} repeats of {}", repeated.len());
    }
}
