//! The phases of a run (docs/protocol.md §5.1): init, setup, main, drain, recovery, final, done;
//! the init and setup clients; the nemesis; and the failures that abort a run with exit code 255.
//!
//! Invariants [`Phases`] owns:
//! - phases only move forward, in the order of [`Phase`], and `Done` and `Failed` are final;
//! - `waiting[i]` of init (setup) is set exactly while node `i` owes its `init_ok`
//!   (`topology_ok`), and a reply counts only from node `i`'s own init (setup) client;
//! - node `i`'s init client closes as soon as its `init_ok` arrives (§2.3);
//! - the nemesis runs only in the main phase, and the heal before recovery is logged;
//! - a node is stopped by at most one fault at a time (`stopped[i]`), and every kill or pause
//!   is followed by its restart or resume, at the latest in the heal before recovery;
//! - a restarted node's init client sends `init` again, then (once it answers) the workload's
//!   setup request, as its first process got them.

use super::endpoints::Owner;
use super::router::Router;
use super::workers::{Ctx, Workers};
use super::{NodeIdx, RunConfig};
use crate::core::nemesis::{Action, NodeFault, NodeSchedule, NodeStep, Schedule};
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

/// What the shell must do to a node's process, for the kill and pause nemeses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Kill it (SIGKILL); what it wrote and the bench has not read is lost.
    Kill,
    /// Start a fresh process in its place; the run sends it `init` next.
    Restart,
    /// Stop it (SIGSTOP).
    Pause,
    /// Let it go on (SIGCONT).
    Resume,
}

/// The phase machine and the clients and nemesis it runs.
pub struct Phases {
    phase: Phase,
    /// Each node's init client, closed once its `init_ok` arrives.
    init_clients: Vec<Ep>,
    /// Every node id, as `init`'s `node_ids`.
    all: Value,
    /// The partition nemesis.
    nemesis: Option<Schedule>,
    /// The kill and pause nemeses.
    node_faults: Vec<NodeSchedule>,
    /// The fault holding each node stopped, if any.
    stopped: Vec<Option<NodeFault>>,
    /// What the shell must do to node processes, in order, since it last asked.
    signals: Vec<(NodeIdx, Signal)>,
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
        let all = json!(nodes);
        let mut init_clients = Vec::with_capacity(nodes.len());
        for (i, name) in nodes.iter().enumerate() {
            let client = router.add_client(Owner::Init(NodeIdx(i)));
            init_clients.push(client);
            let msg = init_body(name, &all);
            let node = router.node_ep(NodeIdx(i));
            router.send_body(now, client, node, &msg);
        }
        let waiting = vec![true; nodes.len()];
        Phases {
            phase: Phase::Init { deadline: now + INIT_TIMEOUT, waiting },
            init_clients,
            all,
            nemesis: None,
            node_faults: Vec::new(),
            stopped: vec![None; nodes.len()],
            signals: Vec::new(),
            log: Vec::new(),
            setup,
        }
    }

    fn start_setup(&mut self, now: Duration, p: &mut Parts<'_>) {
        let n = p.cfg.nodes.len();
        let waiting = (0..n).map(|i| send_setup(now, NodeIdx(i), p.router, p.workload)).collect();
        self.phase = Phase::Setup { deadline: now + SETUP_TIMEOUT, waiting };
    }

    fn start_main(&mut self, now: Duration, p: &mut Parts<'_>) {
        let (count, nodes) = (p.cfg.concurrency, p.cfg.nodes.len());
        p.workers.spawn(
            count,
            nodes,
            &mut Ctx { router: p.router, workload: p.workload, final_phase: false },
        );
        let (nemesis, interval) = (p.cfg.nemesis, p.cfg.nemesis_interval);
        if nemesis.partition {
            self.nemesis = Some(
                Schedule::new(interval, nodes, now, p.rng.fork())
                    .with_faults(p.cfg.faults.one_way, p.cfg.faults.flap),
            );
        }
        // Forked only when on, so a partition-only run draws exactly what it always drew.
        for (on, fault) in [(nemesis.kill, NodeFault::Kill), (nemesis.pause, NodeFault::Pause)] {
            if on {
                self.node_faults.push(NodeSchedule::new(fault, interval, now, p.rng.fork()));
            }
        }
        self.phase = Phase::Main { start: now, end: now + p.cfg.time_limit, next_op: now };
    }

    /// Handles a reply to node `i`'s init client: during the init phase, or after a restart
    /// (then an `init_ok` is followed by the workload's setup request, and anything else is
    /// ignored: the node's operations fail on their own).
    pub fn on_init_reply(
        &mut self,
        now: Duration,
        i: NodeIdx,
        reply: Body,
        router: &mut Router,
        workload: &dyn Workload,
    ) {
        if reply.get("in_reply_to").and_then(Value::as_u64) != Some(1) {
            return;
        }
        let Phase::Init { waiting, .. } = &mut self.phase else {
            if let Some(&client) = self.init_clients.get(i.0) {
                router.close(client);
            }
            if reply.get("type").and_then(Value::as_str) == Some("init_ok") {
                send_setup(now, i, router, workload);
            }
            return;
        };
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
                    self.run_node_faults(now, p.router);
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
                    for k in 0..self.node_faults.len() {
                        if let Some(step) = self.node_faults.get_mut(k).and_then(NodeSchedule::stop_all) {
                            self.apply(now, step, " (final heal)", p.router);
                        }
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
                let node_faults = self.node_faults.iter().map(NodeSchedule::next_at).min();
                [Some(*end), op, nem, node_faults].into_iter().flatten().min()
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

    /// What the shell must do to node processes, not yet taken.
    pub fn signals(&self) -> &[(NodeIdx, Signal)] {
        &self.signals
    }

    /// What the shell must do to node processes since the last call, in order.
    pub fn take_signals(&mut self) -> Vec<(NodeIdx, Signal)> {
        std::mem::take(&mut self.signals)
    }

    /// Runs the kill and pause schedules due at `now`.
    fn run_node_faults(&mut self, now: Duration, router: &mut Router) {
        for k in 0..self.node_faults.len() {
            let up: Vec<bool> = self.stopped.iter().map(Option::is_none).collect();
            if let Some(step) = self.node_faults.get_mut(k).and_then(|s| s.poll(now, &up)) {
                self.apply(now, step, "", router);
            }
        }
    }

    /// Carries out a kill, pause, restart or resume: on the network (a killed node loses what
    /// is in flight to and from it; deliveries to a paused one wait), in the signals for the
    /// shell, in the log; a restarted node gets `init` from a fresh init client.
    fn apply(&mut self, now: Duration, step: NodeStep, note: &str, router: &mut Router) {
        let (fault, nodes, start) = match step {
            NodeStep::Start(f, v) => (f, v, true),
            NodeStep::Stop(f, v) => (f, v, false),
        };
        let mut names = Vec::new();
        for &n in &nodes {
            let i = NodeIdx(n);
            names.push(router.node_name(i).to_owned());
            if let Some(s) = self.stopped.get_mut(n) {
                *s = start.then_some(fault);
            }
            let signal = match (fault, start) {
                (NodeFault::Kill, true) => Signal::Kill,
                (NodeFault::Kill, false) => Signal::Restart,
                (NodeFault::Pause, true) => Signal::Pause,
                (NodeFault::Pause, false) => Signal::Resume,
            };
            match fault {
                NodeFault::Kill => router.set_down(now, i, start),
                NodeFault::Pause => router.pause(i, start),
            }
            self.signals.push((i, signal));
            if signal == Signal::Restart {
                let client = router.add_client(Owner::Init(i));
                if let Some(c) = self.init_clients.get_mut(n) {
                    *c = client;
                }
                let dest = router.node_ep(i);
                let msg = init_body(router.node_name(i), &self.all);
                router.send_body(now, client, dest, &msg);
            }
        }
        let (on, off) = fault.words();
        self.log.push((now, format!("{} {}{note}", if start { on } else { off }, names.join(" "))));
    }
}

/// The `init` message to node `name` (§2.3); `all` is every node id.
fn init_body(name: &str, all: &Value) -> Body {
    body("init", &[("msg_id", json!(1)), ("node_id", json!(name)), ("node_ids", all.clone())])
}

/// Sends node `i` the workload's setup request from a fresh setup client; whether there is one.
fn send_setup(now: Duration, i: NodeIdx, router: &mut Router, workload: &dyn Workload) -> bool {
    let client = router.add_client(Owner::Setup(i));
    let Some(mut req) = workload.setup_request(router.node_name(i)) else { return false };
    req.insert("msg_id".into(), json!(1));
    let dest = router.node_ep(i);
    router.send_body(now, client, dest, &req);
    true
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
