//! `lin-kv` (docs/protocol.md §7.7): reads, writes and cas over independent integer keys, after
//! Jepsen's linearizable-register test as Maelstrom runs it. Workers form groups of 2 × node
//! count (workers `t` to `t + 2N - 1`, so each group reaches every node); a group works on one
//! key at a time. In a group the first half only reads; the others write (one time in three) or
//! cas (two in three), with values 0–4. A key is retired, and the group moves to the next unused
//! key, once [`PROCESS_LIMIT`] distinct processes have worked on it: a process is replaced after
//! each `info`, so keys turn over as faults pile up. Maelstrom sets no per-key operation limit.
//!
//! When `--concurrency` is not a multiple of 2N (Maelstrom refuses such a run), the workers left
//! over join the last group; with fewer than 2N workers there is one group, half of it reading.
//!
//! Reads are idempotent, writes and cas are not (an unknown outcome is `info`); clients are
//! reused; the RPC timeout is max(1 s, 10 × `--latency`). No final phase. The checker is
//! [`checkers::linearizable`].

use super::{
    body, standard_completion, Client, ClientReply, Completion, Op, SingleRpc, Workload, WorkloadConfig,
};
use crate::core::checkers::verdict::Checked;
use crate::core::checkers::{self, WorkloadResult};
use crate::core::history::{History, Kind};
use crate::core::wire::{Body, Field};
use glomers_harness::Rng;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;

/// Distinct processes a key sees before it is retired (Jepsen's `:process-limit`).
pub const PROCESS_LIMIT: usize = 20;

/// The values written and compared: 0 to 4.
const VALUES: u64 = 5;

/// One group of workers and its key.
#[derive(Debug, Clone, Default)]
struct Group {
    key: u64,
    /// The processes that worked on `key`.
    processes: HashSet<u64>,
}

/// The lin-kv workload: groups, their keys, and each worker's current process.
pub struct LinKv {
    /// Workers per group (2 × node count).
    group_size: usize,
    groups: Vec<Group>,
    next_key: u64,
    /// Per worker, how many times its process was replaced.
    replaced: Vec<u64>,
    concurrency: u64,
    timeout: Duration,
    budget: Duration,
}

impl LinKv {
    /// Groups of 2 × node-count workers, on keys 0, 1, 2, ….
    pub fn new(cfg: &WorkloadConfig) -> Self {
        let workers = cfg.concurrency.max(1);
        let group_size = (2 * cfg.nodes.len()).clamp(1, workers);
        let count = workers / group_size;
        LinKv {
            group_size,
            groups: (0..count as u64).map(|key| Group { key, processes: HashSet::new() }).collect(),
            next_key: count as u64,
            replaced: vec![0; workers],
            concurrency: workers as u64,
            timeout: Duration::from_millis(cfg.latency_ms.saturating_mul(10)).max(Duration::from_secs(1)),
            budget: cfg.opts.checker_budget,
        }
    }

    /// Worker `worker`'s group and position in it.
    fn place(&self, worker: usize) -> (usize, usize) {
        let g = (worker / self.group_size).min(self.groups.len().saturating_sub(1));
        (g, worker - g * self.group_size)
    }
}

fn request(op: &Op) -> Body {
    let key = op.value.get(0).cloned().unwrap_or(Value::Null);
    let arg = op.value.get(1).cloned().unwrap_or(Value::Null);
    match op.f {
        "read" => body("read", &[("key", key)]),
        "write" => body("write", &[("key", key), ("value", arg)]),
        _ => {
            let from = arg.get(0).cloned().unwrap_or(Value::Null);
            let to = arg.get(1).cloned().unwrap_or(Value::Null);
            body("cas", &[("key", key), ("from", from), ("to", to)])
        }
    }
}

fn complete(op: &Op, reply: ClientReply) -> Completion {
    let key = op.value.get(0).cloned().unwrap_or(Value::Null);
    let mut c = match op.f {
        "read" => standard_completion(reply, true, "read_ok", &[("value", Field::Any)], |b| {
            json!([key, b.get("value").cloned().unwrap_or(Value::Null)])
        }),
        "write" => standard_completion(reply, false, "write_ok", &[], |_| op.value.clone()),
        _ => standard_completion(reply, false, "cas_ok", &[], |_| op.value.clone()),
    };
    if c.kind != Kind::Ok {
        // Like Jepsen, an operation that did not succeed keeps the value it was invoked with.
        c.value = op.value.clone();
    }
    c
}

impl Workload for LinKv {
    fn next_op(&mut self, rng: &mut Rng) -> Op {
        self.next_op_for(0, rng)
    }

    fn next_op_for(&mut self, worker: usize, rng: &mut Rng) -> Op {
        let (g, position) = self.place(worker);
        let process = worker as u64 + self.replaced.get(worker).copied().unwrap_or(0) * self.concurrency;
        let Some(group) = self.groups.get_mut(g) else {
            return Op { f: "read", value: json!([0, null]), final_op: false };
        };
        if !group.processes.contains(&process) {
            if group.processes.len() >= PROCESS_LIMIT {
                group.key = self.next_key;
                self.next_key += 1;
                group.processes.clear();
            }
            group.processes.insert(process);
        }
        let key = group.key;
        if position < self.group_size / 2 {
            return Op { f: "read", value: json!([key, null]), final_op: false };
        }
        if rng.below(3) == 0 {
            Op { f: "write", value: json!([key, rng.below(VALUES)]), final_op: false }
        } else {
            let (from, to) = (rng.below(VALUES), rng.below(VALUES));
            Op { f: "cas", value: json!([key, [from, to]]), final_op: false }
        }
    }

    fn rpc_timeout(&self) -> Duration {
        self.timeout
    }

    fn on_complete(&mut self, worker: usize, _op: &Op, c: &Completion) {
        if c.kind == Kind::Info {
            if let Some(r) = self.replaced.get_mut(worker) {
                *r += 1;
            }
        }
    }

    fn client(&self) -> Box<dyn Client> {
        Box::new(SingleRpc { request, complete })
    }

    fn reuses_clients(&self) -> bool {
        true
    }

    fn check(&self, history: &History) -> Checked<WorkloadResult> {
        checkers::linearizable::check(history, self.budget).map(WorkloadResult::LinKv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::topology::Topology;
    use crate::core::workloads::WorkloadOpts;

    fn cfg(nodes: usize, concurrency: usize, latency_ms: u64) -> WorkloadConfig {
        WorkloadConfig {
            nodes: (0..nodes).map(|i| format!("n{i}")).collect(),
            topology: Topology::Grid,
            concurrency,
            rate: 10.0,
            latency_ms,
            opts: WorkloadOpts::default(),
        }
    }

    fn key(op: &Op) -> u64 {
        op.value[0].as_u64().unwrap_or(u64::MAX)
    }

    #[test]
    fn groups_of_2n_share_a_key_and_their_first_half_reads() {
        // 3 nodes, --concurrency 10n = 30 workers: 5 groups of 6.
        let mut w = LinKv::new(&cfg(3, 30, 0));
        let mut rng = Rng::new(1);
        for t in 0..30 {
            let op = w.next_op_for(t, &mut rng);
            assert_eq!(key(&op), (t / 6) as u64, "worker {t}");
            assert_eq!(op.f == "read", t % 6 < 3, "worker {t}: {op:?}");
        }
        let mut fs = std::collections::HashMap::new();
        for _ in 0..3000 {
            let op = w.next_op_for(5, &mut rng);
            *fs.entry(op.f).or_insert(0) += 1;
            match op.f {
                "write" => assert!(op.value[1].as_u64() < Some(5)),
                _ => assert!(op.value[1][0].as_u64() < Some(5) && op.value[1][1].as_u64() < Some(5)),
            }
        }
        assert!(fs["cas"] > fs["write"] * 3 / 2, "{fs:?}");
        assert_eq!(w.rpc_timeout(), Duration::from_secs(1));
        assert_eq!(LinKv::new(&cfg(3, 30, 250)).rpc_timeout(), Duration::from_millis(2500));
    }

    #[test]
    fn a_key_is_retired_after_20_processes_and_the_group_takes_a_fresh_one() {
        let mut w = LinKv::new(&cfg(1, 4, 0));
        let mut rng = Rng::new(2);
        let info = Completion { kind: Kind::Info, value: Value::Null, error: None, exception: None };
        assert_eq!(key(&w.next_op_for(0, &mut rng)), 0);
        assert_eq!(key(&w.next_op_for(2, &mut rng)), 1);
        // Worker 0's process is replaced 19 times: processes 0, 4, ..., 76 make 20 on key 0.
        for _ in 0..19 {
            let op = w.next_op_for(0, &mut rng);
            w.on_complete(0, &op, &info);
        }
        assert_eq!(key(&w.next_op_for(0, &mut rng)), 0);
        // Worker 1 is the 21st process: the group moves on to key 2 (key 1 is group 1's).
        assert_eq!(key(&w.next_op_for(1, &mut rng)), 2);
        assert_eq!(key(&w.next_op_for(0, &mut rng)), 2);
        // Leftover workers join the last group; fewer than 2N workers make one group.
        let odd = LinKv::new(&cfg(2, 6, 0));
        assert_eq!((odd.groups.len(), odd.place(5)), (1, (0, 5)));
        assert_eq!(LinKv::new(&cfg(3, 2, 0)).place(1), (0, 1));
    }

    #[test]
    fn requests_and_outcomes_follow_the_protocol() {
        let op = |f, v| Op { f, value: v, final_op: false };
        let cas = op("cas", json!([3, [1, 2]]));
        assert_eq!(Value::Object(request(&cas)), json!({"type": "cas", "key": 3, "from": 1, "to": 2}));
        let read = op("read", json!([3, null]));
        assert_eq!(Value::Object(request(&read)), json!({"type": "read", "key": 3}));
        let reply = |v: Value| match v {
            Value::Object(m) => ClientReply::Body(m),
            _ => ClientReply::Timeout,
        };
        let ok = complete(&read, reply(json!({"type": "read_ok", "value": 4, "in_reply_to": 1})));
        assert_eq!((ok.kind, ok.value), (Kind::Ok, json!([3, 4])));
        assert_eq!(complete(&read, ClientReply::Timeout).kind, Kind::Fail);
        let t = complete(&cas, ClientReply::Timeout);
        assert_eq!((t.kind, t.value), (Kind::Info, cas.value.clone()));
        for (code, kind) in [(20, Kind::Fail), (22, Kind::Fail), (13, Kind::Info)] {
            let e = complete(&cas, reply(json!({"type": "error", "code": code, "in_reply_to": 1})));
            assert_eq!(e.kind, kind, "code {code}");
        }
        let bad = complete(&cas, reply(json!({"type": "cas_ok", "in_reply_to": 1, "value": 2})));
        assert_eq!(bad.kind, Kind::Info);
    }
}
