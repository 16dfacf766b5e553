//! `results.json` as typed values (docs/protocol.md §8.1): what the history's checkers found
//! ([`Checks`]) and what the run itself adds, its traffic and its own facts ([`Results`]). JSON
//! with Maelstrom's names and nesting is made here and only here, when the file is written.

use crate::core::checkers::evidence::{self, Evidence};
use crate::core::checkers::latency::{self, Latencies};
use crate::core::checkers::verdict::{Checked, Validity};
use crate::core::checkers::{self, AvailabilityResult, Criteria, Exceptions, Stats, WorkloadResult};
use crate::core::history::History;
use crate::core::run::{Notice, SentBytes};
use glomers_harness::net::{Counts, NetStats};
use serde_json::{json, Map, Value};
use std::time::Duration;

/// Every checker's result over one history: the sections of results.json a history decides.
#[derive(Debug, Clone, PartialEq)]
pub struct Checks {
    /// The workload's checker (`workload`).
    pub workload: Checked<WorkloadResult>,
    /// `stats`.
    pub stats: Checked<Stats>,
    /// `availability`.
    pub availability: Checked<AvailabilityResult>,
    /// `exceptions`.
    pub exceptions: Exceptions,
    /// `perf.latency`.
    pub latency: Latencies,
    /// `evidence`: how much the verdict rests on.
    pub evidence: Checked<Evidence>,
}

impl Checks {
    /// Runs the checkers every run gets beside the workload's own, whose result is `workload`.
    pub fn new(workload: Checked<WorkloadResult>, history: &History, criteria: Criteria) -> Self {
        let stats = checkers::stats(history);
        let evidence = evidence::evidence(history, &stats.result, &workload.result, criteria.strict);
        Checks {
            workload,
            stats,
            availability: checkers::availability(history, criteria.availability),
            exceptions: checkers::exceptions(history),
            latency: latency::by_f(history),
            evidence,
        }
    }

    /// The verdict: every section must be valid.
    pub fn valid(&self) -> Validity {
        self.workload.valid.and(self.stats.valid).and(self.availability.valid).and(self.evidence.valid)
    }

    /// Every problem: the workload's, then stats', availability's and evidence's (`--strict`).
    pub fn problems(&self) -> Vec<String> {
        let sections = [
            &self.workload.problems,
            &self.stats.problems,
            &self.availability.problems,
            &self.evidence.problems,
        ];
        sections.into_iter().flatten().cloned().collect()
    }

    /// The weak points of the verdict, in plain words.
    pub fn weak_points(&self) -> Vec<String> {
        self.evidence.result.weak.iter().map(|w| w.describe()).collect()
    }

    /// The history's sections of results.json, with the top-level `valid?`.
    pub fn to_results_json(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("perf".into(), json!({"valid?": true, "latency": self.latency.to_results_json()}));
        m.insert("timeline".into(), json!({"valid?": true}));
        m.insert("exceptions".into(), self.exceptions.to_results_json());
        m.insert("stats".into(), self.stats.to_results_json());
        m.insert("availability".into(), self.availability.to_results_json());
        m.insert("workload".into(), self.workload.to_results_json());
        m.insert("evidence".into(), self.evidence.to_results_json());
        m.insert("valid?".into(), self.valid().to_json());
        m
    }
}

/// Which clock timed the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBase {
    /// Real time: node processes over pipes. `glomers.wall-time` is the run's wall time.
    Wall,
    /// Virtual time: the in-process simulator. `results.json` then holds no wall time (a seed
    /// must replay byte for byte) and says `"clock": "virtual"`, and `"faults"` when the
    /// simulator's extra faults were on.
    Virtual,
}

/// The `glomers` section: what this workbench adds about the run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunFacts {
    /// The seed.
    pub seed: u64,
    /// Which clock timed the run.
    pub time_base: TimeBase,
    /// Wall time of the whole test (written only on the wall clock).
    pub wall: Duration,
    /// Each nemesis action and when.
    pub nemesis: Vec<(Duration, String)>,
    /// Node misbehaviour the run noticed.
    pub notices: Vec<Notice>,
    /// The simulator's extra faults, when any was on.
    pub faults: Option<String>,
}

impl RunFacts {
    fn to_results_json(&self) -> Value {
        let nemesis: Vec<Value> = self
            .nemesis
            .iter()
            .map(|(t, what)| json!({"time": t.as_nanos() as u64, "action": what}))
            .collect();
        let notices: Vec<Value> = self
            .notices
            .iter()
            .map(|n| json!({"time": n.at.as_nanos() as u64, "node": n.node, "text": n.text}))
            .collect();
        let mut g = json!({"seed": self.seed, "nemesis": nemesis, "notices": notices});
        if let Some(g) = g.as_object_mut() {
            match self.time_base {
                TimeBase::Wall => {
                    g.insert("wall-time".into(), json!(self.wall.as_secs_f64()));
                }
                TimeBase::Virtual => {
                    g.insert("clock".into(), json!("virtual"));
                    if let Some(faults) = &self.faults {
                        g.insert("faults".into(), json!(faults));
                    }
                }
            }
        }
        g
    }
}

/// A whole `results.json`, typed.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    /// What the history's checkers found.
    pub checks: Checks,
    /// Messages per group (§3.3).
    pub net: NetStats,
    /// Bytes sent per group.
    pub bytes: SentBytes,
    /// Operations invoked, the denominator of `msgs-per-op`.
    pub invokes: u64,
    /// The `glomers` section.
    pub run: RunFacts,
}

impl Results {
    /// The verdict.
    pub fn valid(&self) -> Validity {
        self.checks.valid()
    }

    /// `net.servers.msgs-per-op`: messages between servers per operation (none without
    /// operations).
    pub fn msgs_per_op(&self) -> Option<f64> {
        per_op(self.net.servers.send, self.invokes)
    }

    /// `net.servers.bytes-per-op`: bytes sent between servers per operation (none without
    /// operations).
    pub fn bytes_per_op(&self) -> Option<f64> {
        per_op(self.bytes.servers, self.invokes)
    }

    /// The file's contents, with Maelstrom's names and nesting, and beside Maelstrom's counts
    /// the bytes sent (`send-bytes`, and `bytes-per-op` where there is `msgs-per-op`).
    pub fn to_json(&self) -> Value {
        let section = |c: Counts, bytes: u64, with_per_op: bool| {
            let mut v =
                json!({"send-count": c.send, "recv-count": c.recv, "msg-count": c.send, "send-bytes": bytes});
            if let (true, Some(o)) = (with_per_op, v.as_object_mut()) {
                o.insert("msgs-per-op".into(), json!(per_op(c.send, self.invokes)));
                o.insert("bytes-per-op".into(), json!(per_op(bytes, self.invokes)));
            }
            v
        };
        let mut m = self.checks.to_results_json();
        m.insert(
            "net".into(),
            json!({
                "all": section(self.net.all, self.bytes.all, true),
                "clients": section(self.net.clients, self.bytes.clients, false),
                "servers": section(self.net.servers, self.bytes.servers, true),
                "valid?": true,
            }),
        );
        m.insert("glomers".into(), self.run.to_results_json());
        Value::Object(m)
    }
}

/// A group's messages (or bytes) per operation invoked.
fn per_op(sent: u64, invokes: u64) -> Option<f64> {
    (invokes > 0).then(|| sent as f64 / invokes as f64)
}
