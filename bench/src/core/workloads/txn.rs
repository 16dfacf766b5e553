//! `txn-rw-register` and `txn-list-append` (docs/protocol.md §7.6, §7.10): one `txn` RPC per
//! operation, a transaction of 1 to `--max-txn-length` reads and writes (or appends) over integer
//! keys. The generator follows Elle's `wr-txns` (list-append's is the same with appends):
//! `--key-count` keys are active at once, picked with an exponential skew; each key is written
//! the values 1, 2, … up to `--max-writes-per-key`, then retired and replaced by a fresh key.
//! No operation is idempotent and there is no final phase; the checkers are [`checkers::txn`]
//! and [`checkers::txn::append`].

use super::{body, standard_completion, Client, ClientReply, Completion, Op, SingleRpc, Workload};
use crate::core::checkers::verdict::Checked;
use crate::core::checkers::{self, WorkloadResult};
use crate::core::history::{History, Kind};
use crate::core::wire::{Body, Field};
use glomers_harness::Rng;
use serde_json::{json, Value};

/// Which transactional workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Data {
    /// Read/write registers (`w` micro-ops).
    Registers,
    /// Append-only lists (`append` micro-ops).
    Lists,
}

impl Data {
    /// The write micro-op's function.
    fn write_f(self) -> &'static str {
        match self {
            Data::Registers => "w",
            Data::Lists => "append",
        }
    }
}

/// A txn workload: its generator state and the models to check.
pub struct Txn {
    /// Registers or lists.
    data: Data,
    /// `--consistency-models`, as given.
    models: String,
    /// Longest transaction.
    max_txn_length: u64,
    /// Writes per key before it is retired.
    max_writes: u64,
    /// The active keys; position `i` is picked with weight `2^i`.
    active: Vec<u64>,
    /// The next value to write, per active position.
    next_value: Vec<u64>,
}

impl Txn {
    /// A generator with keys `0..key-count` active.
    pub fn new(data: Data, opts: &super::WorkloadOpts) -> Self {
        let count = opts.key_count.unwrap_or(10).max(1);
        Txn {
            data,
            models: opts.consistency_models.clone(),
            max_txn_length: opts.max_txn_length.max(1),
            max_writes: opts.max_writes_per_key.max(1),
            active: (0..count).collect(),
            next_value: vec![1; count as usize],
        }
    }

    /// A position in `active`, position `i` twice as likely as `i - 1` (Elle's exponential key
    /// distribution with base 2); uniform when the key count is too large for the weights.
    fn pick(&self, rng: &mut Rng) -> usize {
        let n = self.active.len();
        let Ok(exp) = i32::try_from(n) else { return rng.index(n) };
        let scale = 2.0 * (2f64.powi(exp) - 1.0);
        if !scale.is_finite() {
            return rng.index(n);
        }
        let x = rng.unit() * scale + 2.0;
        (x.log2().floor() as usize).saturating_sub(1).min(n - 1)
    }

    /// The next value to write at position `i`, retiring the key there first if it is used up.
    fn next_write(&mut self, i: usize) -> Option<(u64, u64)> {
        if self.next_value.get(i).is_some_and(|v| *v > self.max_writes) {
            let fresh = self.active.iter().max().map_or(0, |m| m + 1);
            *self.active.get_mut(i)? = fresh;
            *self.next_value.get_mut(i)? = 1;
        }
        let v = self.next_value.get_mut(i)?;
        let value = *v;
        *v += 1;
        Some((*self.active.get(i)?, value))
    }
}

fn request(op: &Op) -> Body {
    body("txn", &[("txn", op.value.clone())])
}

/// Why a returned transaction is not an array of `[f, k, v]` triples with `f` "r" or `write`.
fn malformed(txn: &Value, write: &str) -> Option<String> {
    let Some(mops) = txn.as_array() else { return Some(format!("txn must be an array, got {txn}")) };
    mops.iter().find_map(|m| match m.as_array().map(Vec::as_slice) {
        Some([f, _, _]) if f == "r" || f == write => None,
        _ => Some(format!("each micro-op must be [\"r\"|\"{write}\", key, value], got {m}")),
    })
}

fn complete_registers(op: &Op, reply: ClientReply) -> Completion {
    complete(op, reply, Data::Registers)
}

fn complete_lists(op: &Op, reply: ClientReply) -> Completion {
    complete(op, reply, Data::Lists)
}

fn complete(op: &Op, reply: ClientReply, data: Data) -> Completion {
    let mut c = standard_completion(reply, false, "txn_ok", &[("txn", Field::Array)], |b| {
        b.get("txn").cloned().unwrap_or(Value::Null)
    });
    if c.kind == Kind::Ok {
        if let Some(why) = malformed(&c.value, data.write_f()) {
            c = Completion {
                kind: Kind::Info,
                value: Value::Null,
                error: None,
                exception: Some(format!("malformed-rpc-response: {why}")),
            };
        }
    }
    if c.kind != Kind::Ok {
        // Like Jepsen, a failed or indeterminate operation keeps the transaction it tried.
        c.value = op.value.clone();
    }
    c
}

impl Workload for Txn {
    fn next_op(&mut self, rng: &mut Rng) -> Op {
        let len = 1 + rng.below(self.max_txn_length);
        let mut txn = Vec::new();
        for _ in 0..len {
            let i = self.pick(rng);
            if rng.below(2) == 0 {
                let k = self.active.get(i).copied().unwrap_or_default();
                txn.push(json!(["r", k, null]));
            } else if let Some((k, v)) = self.next_write(i) {
                txn.push(json!([self.data.write_f(), k, v]));
            }
        }
        Op { f: "txn", value: Value::Array(txn), final_op: false }
    }

    fn client(&self) -> Box<dyn Client> {
        let complete = match self.data {
            Data::Registers => complete_registers,
            Data::Lists => complete_lists,
        };
        Box::new(SingleRpc { request, complete })
    }

    fn reuses_clients(&self) -> bool {
        true
    }

    fn check(&self, history: &History) -> Checked<WorkloadResult> {
        let checked = match self.data {
            Data::Registers => checkers::txn::check(history, &self.models),
            Data::Lists => checkers::txn::append::check(history, &self.models),
        };
        checked.map(WorkloadResult::Txn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::checkers::verdict::Validity;
    use crate::core::history::build::ev;
    use crate::core::workloads::WorkloadOpts;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn writes_are_unique_per_key_and_keys_retire_after_max_writes() {
        let opts = WorkloadOpts { max_writes_per_key: 3, ..WorkloadOpts::default() };
        let mut w = Txn::new(Data::Registers, &opts);
        let mut rng = Rng::new(1);
        let mut seen: HashMap<u64, HashSet<u64>> = HashMap::new();
        let mut per_position = vec![0u64; 10];
        for _ in 0..2000 {
            let op = w.next_op(&mut rng);
            let mops = op.value.as_array().cloned().unwrap_or_default();
            assert!((1..=4).contains(&mops.len()), "{}", op.value);
            for m in mops {
                let k = m[1].as_u64().unwrap_or(u64::MAX);
                if m[0] == "w" {
                    let v = m[2].as_u64().unwrap_or(0);
                    assert!((1..=3).contains(&v), "{m}");
                    assert!(seen.entry(k).or_default().insert(v), "value {v} written twice to {k}");
                } else {
                    assert!(m[2].is_null());
                }
            }
            per_position[w.pick(&mut rng)] += 1;
        }
        assert!(w.active.iter().any(|k| *k >= 10), "keys were retired: {:?}", w.active);
        // Position 9 is about twice as likely as position 8.
        assert!(per_position[9] > per_position[8] && per_position[8] > per_position[6], "{per_position:?}");
    }

    #[test]
    fn replies_are_schema_checked_and_failures_keep_the_txn() {
        let op = Op { f: "txn", value: json!([["r", 1, null]]), final_op: false };
        let reply = |v: Value| match json!({"type": "txn_ok", "in_reply_to": 1, "txn": v}) {
            Value::Object(m) => ClientReply::Body(m),
            _ => ClientReply::Timeout,
        };
        let ok = complete_registers(&op, reply(json!([["r", 1, 3]])));
        assert_eq!((ok.kind, ok.value), (Kind::Ok, json!([["r", 1, 3]])));
        let bad = complete_registers(&op, reply(json!([["x", 1, 3]])));
        assert_eq!(bad.kind, Kind::Info);
        assert!(bad.exception.is_some_and(|x| x.starts_with("malformed-rpc-response")));
        let t = complete_registers(&op, ClientReply::Timeout);
        assert_eq!((t.kind, t.value), (Kind::Info, op.value.clone()));
        let err = match json!({"type": "error", "in_reply_to": 1, "code": 30}) {
            Value::Object(m) => ClientReply::Body(m),
            _ => ClientReply::Timeout,
        };
        assert_eq!(complete_registers(&op, err).kind, Kind::Fail);
    }

    /// `count` generated transactions, `in_flight` at a time over as many processes: each is
    /// invoked, then applied atomically to one in-memory store when it completes, `in_flight`
    /// invocations later (so real-time order and the store's order agree).
    fn generated(data: Data, count: u64, in_flight: u64) -> History {
        let mut w = Txn::new(data, &WorkloadOpts::default());
        let mut rng = Rng::new(3);
        let mut registers: HashMap<i64, i64> = HashMap::new();
        let mut lists: HashMap<i64, Vec<i64>> = HashMap::new();
        let mut h = History::default();
        let mut open: std::collections::VecDeque<(u64, Value)> = Default::default();
        let mut complete = |h: &mut History, p: u64, txn: Value, t: u64| {
            let done: Vec<Value> = txn
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| {
                    let (k, v) = (m[1].as_i64().unwrap_or_default(), m[2].as_i64().unwrap_or_default());
                    match (m[0].as_str(), data) {
                        (Some("r"), Data::Registers) => json!(["r", k, registers.get(&k)]),
                        (Some("r"), Data::Lists) => json!(["r", k, lists.get(&k)]),
                        (_, Data::Registers) => {
                            registers.insert(k, v);
                            m.clone()
                        }
                        (_, Data::Lists) => {
                            lists.entry(k).or_default().push(v);
                            m.clone()
                        }
                    }
                })
                .collect();
            ev(h, Kind::Ok, p, "txn", Value::Array(done), t);
        };
        for t in 0..count {
            if open.len() as u64 == in_flight {
                if let Some((p, txn)) = open.pop_front() {
                    complete(&mut h, p, txn, 2 * t);
                }
            }
            let op = w.next_op(&mut rng);
            let p = t % in_flight;
            ev(&mut h, Kind::Invoke, p, "txn", op.value.clone(), 2 * t + 1);
            open.push_back((p, op.value));
        }
        while let Some((p, txn)) = open.pop_front() {
            complete(&mut h, p, txn, 2 * count);
        }
        h
    }

    #[test]
    fn generated_histories_are_strict_serializable() {
        let c = checkers::txn::check(&generated(Data::Registers, 3000, 1), "strict-serializable");
        assert_eq!(c.valid, Validity::Valid, "{:?}", c.problems);
        let c = checkers::txn::append::check(&generated(Data::Lists, 3000, 10), "strict-serializable");
        assert_eq!(c.valid, Validity::Valid, "{:?}", c.problems);
    }

    /// This thread's CPU time so far, from the scheduler's run time (`/proc/thread-self/schedstat`,
    /// nanoseconds); zero where it is missing.
    fn thread_cpu() -> std::time::Duration {
        let ns = std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()));
        std::time::Duration::from_nanos(ns.unwrap_or_default())
    }

    /// Checker speed on generated histories of 10k, 100k and 1M transactions, 10 in flight: each
    /// checked 3 times, printing each run's wall and CPU time (the checking thread's run time, so
    /// that the figure means something on a loaded machine) and their medians: `make txn-speed`
    /// (in release). `TXN_SPEED_SIZES=10000,100000` picks the sizes.
    #[test]
    #[ignore = "timing; run in release with make txn-speed"]
    fn txn_checker_speed() {
        let sizes: Vec<u64> = std::env::var("TXN_SPEED_SIZES")
            .ok()
            .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
            .unwrap_or_else(|| vec![10_000, 100_000, 1_000_000]);
        let median = |mut xs: Vec<f64>| {
            xs.sort_by(f64::total_cmp);
            xs.get(xs.len() / 2).copied().unwrap_or_default()
        };
        for (name, data) in [("txn-list-append", Data::Lists), ("txn-rw-register", Data::Registers)] {
            for &n in &sizes {
                let h = generated(data, n, 10);
                let (mut walls, mut cpus) = (Vec::new(), Vec::new());
                for run in 1..=3 {
                    let (start, cpu) = (std::time::Instant::now(), thread_cpu());
                    let c = match data {
                        Data::Lists => checkers::txn::append::check(&h, "strict-serializable"),
                        Data::Registers => checkers::txn::check(&h, "strict-serializable"),
                    };
                    let (wall, cpu) = (start.elapsed().as_secs_f64(), (thread_cpu() - cpu).as_secs_f64());
                    eprintln!(
                        "{name}: {n} txns, run {run}: wall {wall:.3} s, cpu {cpu:.3} s ({:?})",
                        c.valid
                    );
                    assert_eq!(c.valid, Validity::Valid, "{:?}", c.problems);
                    walls.push(wall);
                    cpus.push(cpu);
                }
                eprintln!(
                    "{name}: {n} txns: median wall {:.3} s, median cpu {:.3} s",
                    median(walls),
                    median(cpus)
                );
            }
        }
    }
}
