//! The phases of a run (docs/protocol.md §5.1): init, setup, main, drain, recovery, final, done;
//! the init and setup clients; the nemesis; and the failures that abort a run with exit code 255.
//!
//! Invariants [`Phases`] owns:
//! - phases only move forward, in the order of [`Phase`], and `Done` and `Failed` are final;
//! - `waiting[i]` of init (setup) is set exactly while node `i` owes its `init_ok`
//!   (`topology_ok`), and a reply counts only from node `i`'s own init (setup) client;
//! - node `i`'s init client closes as soon as its `init_ok` arrives (§2.3);
//! - the nemesis runs only in the main phase, and the heal before recovery is logged.

use super::endpoints::Owner;
use super::router::Router;
use super::workers::{Ctx, Workers};
use super::{NodeIdx, RunConfig};
use crate::core::nemesis::{Action, Schedule};
use crate::core::wire::Body;
use crate::core::workloads::{body, SetupRpc, Workload};
use glomers_harness::net::Ep;
use glomers_harness::Rng;
use serde_json::{json, Value};
use std::fmt;
use std::time::Duration;

/// How long a node has to answer `init` (§2.3).
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a node has to answer the setup request (§5.1).
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(5);
/// The pause between the heal and the final operations (§5.1).
pub const RECOVERY: Duration = Duration::from_secs(10);

/// Where a run is.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Waiting for `init_ok` from the nodes still flagged.
    Init {
        /// Give up then.
        deadline: Duration,
        /// Nodes that have not answered yet.
        waiting: Vec<bool>,
    },
    /// Waiting for the setup replies (for broadcast, `topology_ok`).
    Setup {
        /// Give up then.
        deadline: Duration,
        /// Nodes that have not answered yet.
        waiting: Vec<bool>,
    },
    /// Operations run until `end`.
    Main {
        /// When the main phase started (the first operation).
        start: Duration,
        /// No operation starts at or after this.
        end: Duration,
        /// When the next operation is due.
        next_op: Duration,
    },
    /// Waiting for operations in flight to finish.
    Drain,
    /// Healed; pausing until `until`.
    Recovery {
        /// End of the pause.
        until: Duration,
    },
    /// Final operations in flight.
    Final,
    /// Over.
    Done,
    /// Aborted.
    Failed(Failure),
}

/// Why a run aborted (exit code 255).
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// A node did not answer `init` in time.
    InitTimeout(String),
    /// A node answered `init` with something other than `init_ok`.
    InitRejected(String, String),
    /// A node did not answer the setup request in time.
    SetupTimeout(String, String),
    /// A node answered the setup request with something unexpected.
    SetupRejected(String, String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::InitTimeout(n) => write!(
                f,
                "node {n} never answered init within {} s (it must reply {{\"type\":\"init_ok\",\"in_reply_to\":1}})",
                INIT_TIMEOUT.as_secs()
            ),
            Failure::InitRejected(n, b) => write!(f, "node {n} answered init with {b} instead of init_ok"),
            Failure::SetupTimeout(n, t) => write!(
                f,
                "node {n} never answered {t} within {} s",
                SETUP_TIMEOUT.as_secs()
            ),
            Failure::SetupRejected(n, b) => write!(f, "node {n} answered the setup request with {b}"),
        }
    }
}

impl std::error::Error for Failure {}

/// The phase machine and the clients and nemesis it runs.
pub struct Phases {
    phase: Phase,
    /// Each node's init client, closed once its `init_ok` arrives.
    init_clients: Vec<Ep>,
    nemesis: Option<Schedule>,
    /// Nemesis actions so far, with their times.
    log: Vec<(Duration, String)>,
    /// The workload's setup request and its expected reply, if it has one.
    setup: Option<SetupRpc>,
}

/// What the phase machine acts on: the run's configuration, network, workers, workload and RNG.
pub struct Parts<'a> {
    /// The configuration.
    pub cfg: &'a RunConfig,
    /// The network.
    pub router: &'a mut Router,
    /// The workers.
    pub workers: &'a mut Workers,
    /// The workload.
    pub workload: &'a mut dyn Workload,
    /// The run's RNG.
    pub rng: &'a mut Rng,
}

impl Phases {
    /// Sends `init` to every node at `now` and waits for their `init_ok`.
    pub fn start(now: Duration, nodes: &[String], setup: Option<SetupRpc>, router: &mut Router) -> Self {
        let all: Vec<Value> = nodes.iter().map(|n| json!(n)).collect();
        let mut init_clients = Vec::with_capacity(nodes.len());
        for (i, name) in nodes.iter().enumerate() {
            let client = router.add_client(Owner::Init(NodeIdx(i)));
            init_clients.push(client);
            let msg =
                body("init", &[("msg_id", json!(1)), ("node_id", json!(name)), ("node_ids", json!(all))]);
            let node = router.node_ep(NodeIdx(i));
            router.send_body(now, client, node, &msg);
        }
        let waiting = vec![true; nodes.len()];
        Phases {
            phase: Phase::Init { deadline: now + INIT_TIMEOUT, waiting },
            init_clients,
            nemesis: None,
            log: Vec::new(),
            setup,
        }
    }

    fn start_setup(&mut self, now: Duration, p: &mut Parts<'_>) {
        let n = p.cfg.nodes.len();
        let mut waiting = vec![false; n];
        for (i, w) in waiting.iter_mut().enumerate() {
            let node = NodeIdx(i);
            let client = p.router.add_client(Owner::Setup(node));
            if let Some(mut req) = p.workload.setup_request(p.router.node_name(node)) {
                req.insert("msg_id".into(), json!(1));
                *w = true;
                let dest = p.router.node_ep(node);
                p.router.send_body(now, client, dest, &req);
            }
        }
        self.phase = Phase::Setup { deadline: now + SETUP_TIMEOUT, waiting };
    }

    fn start_main(&mut self, now: Duration, p: &mut Parts<'_>) {
        let (count, nodes) = (p.cfg.concurrency, p.cfg.nodes.len());
        p.workers.spawn(
            count,
            nodes,
            &mut Ctx { router: p.router, workload: p.workload, final_phase: false },
        );
        if p.cfg.nemesis {
            self.nemesis = Some(
                Schedule::new(p.cfg.nemesis_interval, nodes, now, p.rng.fork())
                    .with_faults(p.cfg.faults.one_way, p.cfg.faults.flap),
            );
        }
        self.phase = Phase::Main { start: now, end: now + p.cfg.time_limit, next_op: now };
    }

    /// Handles a reply to node `i`'s init client.
    pub fn on_init_reply(&mut self, i: NodeIdx, reply: Body, router: &mut Router) {
        let Phase::Init { waiting, .. } = &mut self.phase else { return };
        if reply.get("in_reply_to").and_then(Value::as_u64) != Some(1) {
            return;
        }
        if reply.get("type").and_then(Value::as_str) != Some("init_ok") {
            let name = router.node_name(i).to_owned();
            self.phase = Phase::Failed(Failure::InitRejected(name, Value::Object(reply).to_string()));
            return;
        }
        if let Some(w) = waiting.get_mut(i.0) {
            *w = false;
        }
        // The init client closes as soon as init_ok arrives (§2.3).
        if let Some(&client) = self.init_clients.get(i.0) {
            router.close(client);
        }
    }

    /// Handles a reply to node `i`'s setup client.
    pub fn on_setup_reply(&mut self, i: NodeIdx, reply: Body, router: &Router) {
        let Phase::Setup { waiting, .. } = &mut self.phase else { return };
        let Some(w) = waiting.get_mut(i.0) else { return };
        if reply.get("in_reply_to").and_then(Value::as_u64) != Some(1) || !*w {
            return;
        }
        if reply.get("type").and_then(Value::as_str) != self.setup.map(|s| s.reply) {
            let name = router.node_name(i).to_owned();
            self.phase = Phase::Failed(Failure::SetupRejected(name, Value::Object(reply).to_string()));
            return;
        }
        *w = false;
    }

    /// Moves through the phases as far as `now` allows, running the nemesis and starting
    /// operations on the way.
    pub fn advance(&mut self, now: Duration, mut p: Parts<'_>) {
        loop {
            match &mut self.phase {
                Phase::Init { deadline, waiting } => {
                    if let Some(i) = waiting.iter().position(|&w| w) {
                        if now >= *deadline {
                            let name = p.router.node_name(NodeIdx(i)).to_owned();
                            self.phase = Phase::Failed(Failure::InitTimeout(name));
                        }
                        return;
                    }
                    self.start_setup(now, &mut p);
                }
                Phase::Setup { deadline, waiting } => {
                    if let Some(i) = waiting.iter().position(|&w| w) {
                        if now >= *deadline {
                            let name = p.router.node_name(NodeIdx(i)).to_owned();
                            let label = self.setup.map_or("setup", |s| s.request);
                            self.phase = Phase::Failed(Failure::SetupTimeout(name, label.into()));
                        }
                        return;
                    }
                    self.start_main(now, &mut p);
                }
                Phase::Main { end, next_op, .. } => {
                    if now >= *end {
                        self.phase = Phase::Drain;
                        continue;
                    }
                    run_nemesis(self.nemesis.as_mut(), &mut self.log, now, p.cfg, p.router);
                    let mut ctx = Ctx { router: p.router, workload: p.workload, final_phase: false };
                    p.workers.dispatch(now, next_op, p.cfg.rate, p.rng, &mut ctx);
                    return;
                }
                Phase::Drain => {
                    if !p.workers.is_idle() {
                        return;
                    }
                    if !p.workload.has_final_phase() {
                        self.phase = Phase::Done;
                        return;
                    }
                    if self.nemesis.is_some() {
                        p.router.heal();
                        self.log.push((now, "stop-partition (final heal)".into()));
                    }
                    self.phase = Phase::Recovery { until: now + RECOVERY };
                }
                Phase::Recovery { until } => {
                    if now < *until {
                        return;
                    }
                    self.phase = Phase::Final;
                    p.workers.start_final(
                        now,
                        &mut Ctx { router: p.router, workload: p.workload, final_phase: true },
                    );
                }
                Phase::Final => {
                    if p.workers.is_idle() {
                        self.phase = Phase::Done;
                    }
                    return;
                }
                Phase::Done | Phase::Failed(_) => return,
            }
        }
    }

    /// The phase's own next deadline; operations are due only while a worker is free.
    pub fn deadline(&self, workers: &Workers, rate: f64) -> Option<Duration> {
        match &self.phase {
            Phase::Init { deadline, .. } | Phase::Setup { deadline, .. } => Some(*deadline),
            Phase::Main { end, next_op, .. } => {
                let op = (workers.any_free() && rate > 0.0).then_some(*next_op);
                let nem = self.nemesis.as_ref().map(Schedule::next_at);
                [Some(*end), op, nem].into_iter().flatten().min()
            }
            Phase::Recovery { until } => Some(*until),
            Phase::Drain | Phase::Final | Phase::Done | Phase::Failed(_) => None,
        }
    }

    /// The current phase.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// Whether completions should ask for the next final step.
    pub fn is_final(&self) -> bool {
        self.phase == Phase::Final
    }

    /// Nemesis actions so far, with their times.
    pub fn nemesis_log(&self) -> &[(Duration, String)] {
        &self.log
    }
}

fn run_nemesis(
    schedule: Option<&mut Schedule>,
    log: &mut Vec<(Duration, String)>,
    now: Duration,
    cfg: &RunConfig,
    router: &mut Router,
) {
    let Some(action) = schedule.and_then(|s| s.poll(now)) else { return };
    match action {
        Action::Start(p) => {
            let grudge: Vec<(NodeIdx, Vec<NodeIdx>)> = p
                .drops
                .iter()
                .enumerate()
                .map(|(r, senders)| (NodeIdx(r), senders.iter().map(|&s| NodeIdx(s)).collect()))
                .collect();
            router.set_grudge(&grudge);
            log.push((now, format!("start-partition {}", p.describe(&cfg.nodes))));
        }
        Action::Stop => {
            router.heal();
            log.push((now, "stop-partition".into()));
        }
    }
}
