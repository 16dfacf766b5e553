//! `kafka` (docs/protocol.md §7.5): sends and polls on keys with an exponential skew, an occasional
//! `assign` (a third of them also naming keys with sends not yet polled), client crashes, and a
//! final phase where every worker crashes its client, assigns every key from offset 0 and polls
//! about every 0.2 s until it has caught up, for at most 10 s.
//!
//! History values follow Jepsen's shapes: `send` is `[["send", k, msg]]` and completes as
//! `[["send", k, [offset, msg]]]`; `poll` is `[["poll"]]` and completes as
//! `[["poll", {"k": [[offset, msg], …]}]]`; `assign` is a list of keys; `crash` has no value.
//! Keys are integers in the history and decimal strings on the wire.

mod client;
mod generator;

use super::{Client, Completion, FinalPhase, FinalStep, Op, Workload, WorkloadConfig};
use crate::core::checkers::verdict::Checked;
use crate::core::checkers::{self, WorkloadResult};
use crate::core::history::{History, Kind};
use generator::Generator;
use glomers_harness::Rng;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// How long the final polls may run (§7.5: the final generator is clipped to 10 s).
const FINAL_CAP: Duration = Duration::from_secs(10);

/// The longest pause between final polls; pauses are uniform in `[0, 0.4)` s, 0.2 s on average.
const FINAL_POLL_PAUSE: Duration = Duration::from_millis(400);

/// Where one worker is in the final phase.
#[derive(Debug, Clone, PartialEq)]
enum FinalStage {
    /// Crash the client, so a fresh one does the polling.
    Crash,
    /// Assign every key, from offset 0.
    Assign,
    /// Poll until these targets (key → highest offset known) are all reached.
    Poll(BTreeMap<i64, i64>),
}

/// The kafka workload.
pub struct Kafka {
    generator: Generator,
    /// Highest offset any `ok` operation sent or polled, per key: the final polls' targets.
    max_offsets: BTreeMap<i64, i64>,
    /// When the final phase began.
    final_start: Option<Duration>,
    /// Each worker's final stage.
    finals: Vec<FinalStage>,
    /// Draws the pauses between final polls.
    pauses: Rng,
}

impl Kafka {
    /// The workload for these settings.
    pub fn new(cfg: &WorkloadConfig) -> Self {
        Kafka {
            generator: Generator::new(cfg),
            max_offsets: BTreeMap::new(),
            final_start: None,
            finals: Vec::new(),
            pauses: Rng::new(cfg.nodes.len() as u64 ^ 0x006b_6166_6b61),
        }
    }

    fn poll_op() -> Op {
        Op { f: "poll", value: json!([["poll"]]), final_op: true }
    }
}

/// The highest offset per key that an `ok` completion of `f` sent (`send`) or polled (`poll`).
fn max_offsets(f: &str, c: &Completion) -> BTreeMap<i64, i64> {
    let mut out = BTreeMap::new();
    if c.kind != Kind::Ok {
        return out;
    }
    let Some(mop) = c.value.get(0) else { return out };
    match f {
        "send" => {
            if let (Some(k), Some(offset)) = (
                mop.get(1).and_then(Value::as_i64),
                mop.get(2).and_then(|p| p.get(0)).and_then(Value::as_i64),
            ) {
                out.insert(k, offset);
            }
        }
        "poll" => {
            for (k, pairs) in mop.get(1).and_then(Value::as_object).into_iter().flatten() {
                let Ok(k) = k.parse::<i64>() else { continue };
                let top = pairs.as_array().into_iter().flatten().filter_map(|p| p.get(0)?.as_i64()).max();
                if let Some(top) = top {
                    out.insert(k, top);
                }
            }
        }
        _ => {}
    }
    out
}

/// Merges `from` into `into`, keeping the higher offset per key.
fn merge_max(into: &mut BTreeMap<i64, i64>, from: &BTreeMap<i64, i64>) {
    for (&k, &o) in from {
        let e = into.entry(k).or_insert(o);
        *e = (*e).max(o);
    }
}

impl Workload for Kafka {
    fn next_op(&mut self, rng: &mut Rng) -> Op {
        self.generator.next_op(rng)
    }

    fn on_complete(&mut self, _worker: usize, op: &Op, c: &Completion) {
        let seen = max_offsets(op.f, c);
        match op.f {
            "send" => self.generator.sent(&seen),
            "poll" => self.generator.polled(&seen),
            _ => return,
        }
        if !op.final_op {
            merge_max(&mut self.max_offsets, &seen);
        }
    }

    fn final_phase(&self) -> FinalPhase {
        FinalPhase::Custom
    }

    fn final_step(&mut self, worker: usize, now: Duration, last: Option<&Completion>) -> FinalStep {
        let start = *self.final_start.get_or_insert(now);
        if self.finals.len() <= worker {
            self.finals.resize(worker + 1, FinalStage::Crash);
        }
        let Some(stage) = self.finals.get_mut(worker) else { return FinalStep::Done };
        if last.is_none() {
            *stage = FinalStage::Crash;
            if self.max_offsets.is_empty() {
                return FinalStep::Done;
            }
            return FinalStep::Op(Op { f: "crash", value: Value::Null, final_op: true });
        }
        match stage {
            FinalStage::Crash => {
                *stage = FinalStage::Assign;
                let keys: Vec<i64> = self.max_offsets.keys().copied().collect();
                FinalStep::Op(Op { f: "assign", value: json!(keys), final_op: true })
            }
            FinalStage::Assign | FinalStage::Poll(_) => {
                if let FinalStage::Poll(targets) = stage {
                    if let Some(c) = last {
                        let seen = max_offsets("poll", c);
                        targets.retain(|k, target| seen.get(k).is_none_or(|s| s < target));
                    }
                    if targets.is_empty() {
                        return FinalStep::Done;
                    }
                } else {
                    *stage = FinalStage::Poll(self.max_offsets.clone());
                }
                let pause = FINAL_POLL_PAUSE.mul_f64(self.pauses.unit());
                if now + pause >= start + FINAL_CAP {
                    return FinalStep::Done;
                }
                FinalStep::After(pause, Kafka::poll_op())
            }
        }
    }

    fn client(&self) -> Box<dyn Client> {
        Box::new(client::KafkaClient::default())
    }

    fn check(&self, history: &History) -> Checked<WorkloadResult> {
        checkers::kafka::check(history).map(WorkloadResult::Kafka)
    }
}

#[cfg(test)]
mod tests;
