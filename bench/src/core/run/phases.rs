//! The phases of a run (MAELSTROM.md §5.1): init, setup, main, drain, recovery, final, done;
//! the init and setup clients; and the failures that abort a run with exit code 255.

use super::endpoints::Owner;
use super::{Run, Worker};
use crate::core::nemesis::{Action, Schedule};
use crate::core::net::Ep;
use crate::core::wire::Body;
use crate::core::workloads::body;
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
    /// Waiting for the setup replies (broadcast's `topology_ok`).
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

impl Run {
    pub(super) fn send_init(&mut self, now: Duration) {
        let nodes: Vec<Value> = self.cfg.nodes.iter().map(|n| json!(n)).collect();
        for (i, name) in self.cfg.nodes.clone().into_iter().enumerate() {
            let client = self.eps.add_client(&mut self.net, Owner::Init(i));
            self.init_clients.push(client);
            let msg =
                body("init", &[("msg_id", json!(1)), ("node_id", json!(name)), ("node_ids", json!(nodes))]);
            if let Some(&node) = self.node_eps.get(i) {
                self.send_body(now, client, node, &msg);
            }
        }
    }

    fn start_setup(&mut self, now: Duration) {
        let n = self.cfg.nodes.len();
        let mut waiting = vec![false; n];
        for (i, name) in self.cfg.nodes.clone().into_iter().enumerate() {
            let client = self.eps.add_client(&mut self.net, Owner::Setup(i));
            if let (Some(mut req), Some(&node)) = (self.workload.setup_request(&name), self.node_eps.get(i)) {
                req.insert("msg_id".into(), json!(1));
                if let Some(w) = waiting.get_mut(i) {
                    *w = true;
                }
                self.send_body(now, client, node, &req);
            }
        }
        self.phase = Phase::Setup { deadline: now + SETUP_TIMEOUT, waiting };
    }

    fn start_main(&mut self, now: Duration) {
        let n = self.cfg.nodes.len().max(1);
        for t in 0..self.cfg.concurrency {
            let client = self.eps.add_client(&mut self.net, Owner::Worker(t));
            self.workers.push(Worker::new(t, t % n, client, self.workload.client()));
        }
        if self.cfg.nemesis {
            self.nemesis = Some(
                Schedule::new(self.cfg.nemesis_interval, self.cfg.nodes.len(), now, self.rng.fork())
                    .with_faults(self.cfg.faults.one_way, self.cfg.faults.flap),
            );
        }
        self.phase = Phase::Main { start: now, end: now + self.cfg.time_limit, next_op: now };
    }

    /// Handles a reply addressed to an init or setup client, or to a worker.
    pub(super) fn on_client_reply(&mut self, now: Duration, owner: Owner, reply: Body) {
        match owner {
            Owner::Init(i) => {
                let Phase::Init { waiting, .. } = &mut self.phase else { return };
                if reply.get("in_reply_to") != Some(&json!(1)) {
                    return;
                }
                let name = self.cfg.nodes.get(i).cloned().unwrap_or_default();
                if reply.get("type").and_then(Value::as_str) != Some("init_ok") {
                    self.phase = Phase::Failed(Failure::InitRejected(name, Value::Object(reply).to_string()));
                    return;
                }
                if let Some(w) = waiting.get_mut(i) {
                    *w = false;
                }
                // The init client closes as soon as init_ok arrives (§2.3).
                if let Some(&client) = self.init_clients.get(i) {
                    self.eps.close(client);
                }
            }
            Owner::Setup(i) => {
                let Phase::Setup { waiting, .. } = &mut self.phase else { return };
                if reply.get("in_reply_to") != Some(&json!(1)) || !waiting.get(i).copied().unwrap_or(false) {
                    return;
                }
                let name = self.cfg.nodes.get(i).cloned().unwrap_or_default();
                if reply.get("type").and_then(Value::as_str) != self.cfg.workload.setup().map(|s| s.reply) {
                    self.phase =
                        Phase::Failed(Failure::SetupRejected(name, Value::Object(reply).to_string()));
                    return;
                }
                if let Some(w) = waiting.get_mut(i) {
                    *w = false;
                }
            }
            Owner::Worker(t) => self.on_worker_reply(now, t, reply),
            Owner::Node(_) | Owner::Service(_) => {}
        }
    }

    /// Moves through the phases as far as `now` allows.
    pub(super) fn advance(&mut self, now: Duration) {
        loop {
            match &self.phase {
                Phase::Init { deadline, waiting } => {
                    if let Some(i) = waiting.iter().position(|&w| w) {
                        if now >= *deadline {
                            let name = self.cfg.nodes.get(i).cloned().unwrap_or_default();
                            self.phase = Phase::Failed(Failure::InitTimeout(name));
                        }
                        return;
                    }
                    self.start_setup(now);
                }
                Phase::Setup { deadline, waiting } => {
                    if let Some(i) = waiting.iter().position(|&w| w) {
                        if now >= *deadline {
                            let name = self.cfg.nodes.get(i).cloned().unwrap_or_default();
                            let label = self.cfg.workload.setup().map_or("setup", |s| s.request);
                            self.phase = Phase::Failed(Failure::SetupTimeout(name, label.into()));
                        }
                        return;
                    }
                    self.start_main(now);
                }
                Phase::Main { end, .. } => {
                    if now >= *end {
                        self.phase = Phase::Drain;
                        continue;
                    }
                    self.run_nemesis(now);
                    self.dispatch_ops(now);
                    return;
                }
                Phase::Drain => {
                    if !self.workers_idle() {
                        return;
                    }
                    if !self.workload.has_final_phase() {
                        self.phase = Phase::Done;
                        return;
                    }
                    if self.nemesis.is_some() {
                        self.net.heal();
                        self.nemesis_log.push((now, "stop-partition (final heal)".into()));
                    }
                    self.phase = Phase::Recovery { until: now + RECOVERY };
                }
                Phase::Recovery { until } => {
                    if now < *until {
                        return;
                    }
                    self.phase = Phase::Final;
                    self.start_final_ops(now);
                }
                Phase::Final => {
                    if self.workers_idle() {
                        self.phase = Phase::Done;
                    }
                    return;
                }
                Phase::Done | Phase::Failed(_) => return,
            }
        }
    }

    fn run_nemesis(&mut self, now: Duration) {
        let Some(schedule) = self.nemesis.as_mut() else { return };
        if let Some(action) = schedule.poll(now) {
            match action {
                Action::Start(p) => {
                    let grudge: Vec<(Ep, Vec<Ep>)> = p
                        .drops
                        .iter()
                        .enumerate()
                        .filter_map(|(r, senders)| {
                            let r = *self.node_eps.get(r)?;
                            Some((r, senders.iter().filter_map(|s| self.node_eps.get(*s).copied()).collect()))
                        })
                        .collect();
                    self.net.set_grudge(&grudge);
                    self.nemesis_log.push((now, format!("start-partition {}", p.describe(&self.cfg.nodes))));
                }
                Action::Stop => {
                    self.net.heal();
                    self.nemesis_log.push((now, "stop-partition".into()));
                }
            }
        }
    }

    /// The phase's own next deadline.
    pub(super) fn phase_deadline(&self) -> Option<Duration> {
        match &self.phase {
            Phase::Init { deadline, .. } | Phase::Setup { deadline, .. } => Some(*deadline),
            Phase::Main { end, next_op, .. } => {
                let op = if self.workers.iter().any(Worker::is_free) && self.cfg.rate > 0.0 {
                    Some(*next_op)
                } else {
                    None
                };
                let nem = self.nemesis.as_ref().map(Schedule::next_at);
                [Some(*end), op, nem].into_iter().flatten().min()
            }
            Phase::Recovery { until } => Some(*until),
            Phase::Drain | Phase::Final | Phase::Done | Phase::Failed(_) => None,
        }
    }

    /// Whether the run is over (done or failed).
    pub fn is_over(&self) -> bool {
        matches!(self.phase, Phase::Done | Phase::Failed(_))
    }
}
