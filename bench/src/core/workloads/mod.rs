//! Workloads (docs/protocol.md §7): each is a generator of operations, a client that turns an
//! operation into RPCs and their replies into an outcome (the protocol is in `client.rs`), and
//! a checker, called from [`Workload::check`]. A new workload is one module here implementing
//! [`Workload`] (and a [`Client`] when one operation takes several RPCs), its checker under
//! `checkers/` (which never imports this module), and a variant of [`WorkloadKind`].

mod broadcast;
mod client;
mod counter;
mod echo;
mod g_set;
mod kafka;
mod kind;
mod lin_kv;
mod txn;
mod unique_ids;

pub use client::{
    body, standard_completion, Client, ClientReply, Completion, FinalStep, Op, SingleRpc, Step,
};

use crate::core::checkers::verdict::Checked;
use crate::core::checkers::WorkloadResult;
use crate::core::history::History;
use crate::core::topology::Topology;
use crate::core::wire::Body;
use glomers_harness::Rng;
pub use kind::{SetupRpc, WorkloadKind};
use serde_json::Value;
use std::time::Duration;

/// How long a client waits for a reply unless its workload says otherwise (§2.5).
pub const RPC_TIMEOUT: Duration = Duration::from_secs(5);

/// What a workload does after the main phase, the heal and the 10 s pause (§5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinalPhase {
    /// No final phase.
    None,
    /// One final read per worker (broadcast §7.3, the counters §7.4, g-set §7.8).
    OneRead,
    /// The workload's own [`Workload::final_step`] decides (kafka polls until caught up).
    Custom,
}

/// A workload: generator, client factory and checker.
pub trait Workload {
    /// The request each node's setup client sends before the main phase, if any (§5.1);
    /// only broadcast has one.
    fn setup_request(&self, _node: &str) -> Option<Body> {
        None
    }
    /// The next main-phase operation.
    fn next_op(&mut self, rng: &mut Rng) -> Op;
    /// The next main-phase operation for worker `worker`; workloads whose operations depend on
    /// the worker (lin-kv gives each group of workers its own key) override it.
    fn next_op_for(&mut self, _worker: usize, rng: &mut Rng) -> Op {
        self.next_op(rng)
    }
    /// How long a client waits for a reply (§2.5): 5 s, except where a workload says otherwise.
    fn rpc_timeout(&self) -> Duration {
        RPC_TIMEOUT
    }
    /// The workload's final phase.
    fn final_phase(&self) -> FinalPhase {
        FinalPhase::None
    }
    /// Whether the workload has a final phase: heal, a 10 s pause, then final operations (§5.1).
    fn has_final_phase(&self) -> bool {
        self.final_phase() != FinalPhase::None
    }
    /// Worker `worker`'s next final-phase operation at `now`, given how its previous one ended
    /// (`None` before the first). With [`FinalPhase::OneRead`], a read and then nothing; a
    /// [`FinalPhase::Custom`] workload implements its own.
    fn final_step(&mut self, _worker: usize, _now: Duration, last: Option<&Completion>) -> FinalStep {
        match (self.final_phase(), last) {
            (FinalPhase::OneRead, None) => {
                FinalStep::Op(Op { f: "read", value: Value::Null, final_op: true })
            }
            _ => FinalStep::Done,
        }
    }
    /// Sees every completed operation of worker `worker` (kafka's generator learns which keys
    /// have sends not yet polled, and the highest offsets known).
    fn on_complete(&mut self, _worker: usize, _op: &Op, _c: &Completion) {}
    /// A fresh client.
    fn client(&self) -> Box<dyn Client>;
    /// Whether a worker keeps its client after an indeterminate outcome (§1); only unique-ids
    /// and txn-rw-register do.
    fn reuses_clients(&self) -> bool {
        false
    }
    /// Judges the history with the workload's checker.
    fn check(&self, history: &History) -> Checked<WorkloadResult>;
}

/// Settings workloads read.
#[derive(Debug, Clone)]
pub struct WorkloadConfig {
    /// Node ids in order.
    pub nodes: Vec<String>,
    /// `--topology`.
    pub topology: Topology,
    /// Worker count.
    pub concurrency: usize,
    /// `--rate`.
    pub rate: f64,
    /// `--latency`, the mean in ms (lin-kv's client timeout depends on it).
    pub latency_ms: u64,
    /// The kafka and txn flags.
    pub opts: WorkloadOpts,
}

impl WorkloadConfig {
    /// Enough to build a workload whose checker judges a stored history.
    pub fn for_checking() -> Self {
        WorkloadConfig {
            nodes: vec![],
            topology: Topology::Grid,
            concurrency: 1,
            rate: 0.0,
            latency_ms: 0,
            opts: WorkloadOpts::default(),
        }
    }
}

/// The flags of the kafka, txn-rw-register, g-set and lin-kv workloads (§5.5).
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadOpts {
    /// `--key-count`: keys active at once (default 10 for kafka, txn-rw-register).
    pub key_count: Option<u64>,
    /// `--max-writes-per-key` (default 16).
    pub max_writes_per_key: u64,
    /// `--max-txn-length` (default 4).
    pub max_txn_length: u64,
    /// `--consistency-models`, as given (default `strict-serializable`).
    pub consistency_models: String,
    /// `--repeat-adds`: the fraction of g-set adds that repeat an earlier element (default 0).
    pub repeat_adds: f64,
    /// `--checker-budget-ms`: how long the lin-kv checker may search before its verdict is
    /// unknown (default [`CHECKER_BUDGET`]).
    pub checker_budget: Duration,
}

/// The lin-kv checker's default time budget.
pub const CHECKER_BUDGET: Duration = Duration::from_secs(60);

impl Default for WorkloadOpts {
    fn default() -> Self {
        WorkloadOpts {
            key_count: None,
            max_writes_per_key: 16,
            max_txn_length: 4,
            consistency_models: "strict-serializable".into(),
            repeat_adds: 0.0,
            checker_budget: CHECKER_BUDGET,
        }
    }
}
