//! One test run as a sans-IO state machine (the phases of docs/protocol.md §5.1). The I/O shell
//! feeds it node output lines and `now`, calls [`Run::tick`], and drains the lines to write to
//! each node's stdin.
//!
//! A run is three owned sub-states that [`Run::tick`] drives in turn, each in its own module
//! whose doc states the invariants it keeps: `Router` in `router.rs` (network, endpoints,
//! journal), `Workers` in `workers.rs` (operations, the history) and `Phases` in `phases.rs`
//! (init, setup, main, drain, recovery, final; the nemesis). What is left here is the hand-off
//! of a delivery to its owner: a node's stdin, a service, or a client.
//!
//! A shell bounds its memory with [`Run::is_backlogged`] (stop reading a node that has
//! [`MAX_BACKLOG`] messages in flight) and [`Run::hold_deliveries`] (stop delivering to a node
//! whose stdin is backed up). A run that never needs them is unchanged by them.

mod endpoints;
mod phases;
mod router;
mod setup;
mod workers;

pub use phases::{Failure, Phase, Signal};

use crate::core::faults::Faults;
use crate::core::history::History;
use crate::core::nemesis::Nemesis;
use crate::core::topology::Topology;
use crate::core::wire;
use crate::core::workloads::{Workload, WorkloadConfig, WorkloadKind, WorkloadOpts};
use endpoints::Owner;
use glomers_harness::net::{Ep, Latency, Net, NetStats};
use glomers_harness::services::{Service, NAMES};
use glomers_harness::Rng;
use phases::{Parts, Phases};
use router::Router;
pub use router::SentBytes;
pub use setup::{RunSetup, TestConfig};
use std::time::Duration;
use workers::{Ctx, Workers};

/// Messages in flight charged to one node (those it sent, and services' answers to it) above
/// which a shell should stop reading that node's output until they drain. Far above what a
/// correct node has in flight (pingpong keeps 64 per peer); a node flooding the network is
/// slowed to the speed of delivery instead of growing the bench's memory.
pub const MAX_BACKLOG: u32 = 16_384;

/// A node's index in [`RunConfig::nodes`]. Only the run hands them out, so one that names no
/// node is a bug.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeIdx(pub usize);

/// Everything a run needs to know.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The workload.
    pub workload: WorkloadKind,
    /// Node ids in order.
    pub nodes: Vec<String>,
    /// Worker count.
    pub concurrency: usize,
    /// Operations per second for the whole cluster.
    pub rate: f64,
    /// Length of the main phase.
    pub time_limit: Duration,
    /// Network latency.
    pub latency: Latency,
    /// The faults the nemesis injects.
    pub nemesis: Nemesis,
    /// Mean time between nemesis steps.
    pub nemesis_interval: Duration,
    /// Broadcast topology.
    pub topology: Topology,
    /// Seed of every random choice.
    pub seed: u64,
    /// The kafka and txn flags.
    pub opts: WorkloadOpts,
    /// The simulator's extra faults (none in a process run).
    pub faults: Faults,
}

impl RunConfig {
    /// One line for the console: `kafka on 2 node(s), 4 worker(s), 20 s at rate 1000 (seed 7)`.
    pub fn describe(&self) -> String {
        format!(
            "{} on {} node(s), {} worker(s), {:.0} s at rate {} (seed {})",
            self.workload,
            self.nodes.len(),
            self.concurrency,
            self.time_limit.as_secs_f64(),
            self.rate,
            self.seed
        )
    }
}

/// Something the user should know about a node, reported without aborting the run.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// When it happened.
    pub at: Duration,
    /// The node concerned.
    pub node: String,
    /// What happened, in plain words.
    pub text: String,
}

/// Running totals for the progress line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Operations invoked.
    pub invoked: u64,
    /// Completed ok.
    pub ok: u64,
    /// Completed fail.
    pub fail: u64,
    /// Completed info.
    pub info: u64,
}

/// A test run.
pub struct Run {
    cfg: RunConfig,
    workload: Box<dyn Workload>,
    router: Router,
    services: Vec<Service>,
    workers: Workers,
    phases: Phases,
    /// Whether each node's stdout is no longer read (§2.1: a bad line stops it for good).
    deaf: Vec<bool>,
    writes: Vec<(NodeIdx, Vec<u8>)>,
    /// The journal id of each line in `writes`, in the same order.
    write_ids: Vec<u64>,
    notices: Vec<Notice>,
    rng: Rng,
}

impl Run {
    /// Creates the run and sends `init` to every node at `now`.
    pub fn start(cfg: RunConfig, now: Duration) -> Run {
        let wcfg = WorkloadConfig {
            nodes: cfg.nodes.clone(),
            topology: cfg.topology,
            concurrency: cfg.concurrency,
            rate: cfg.rate,
            latency_ms: cfg.latency.mean_ms,
            opts: cfg.opts.clone(),
        };
        let workload = cfg.workload.build(&wcfg);
        let mut rng = Rng::new(cfg.seed);
        let mut net = Net::new(cfg.latency, rng.fork());
        net.set_faults(cfg.faults.net());
        let mut router = Router::new(net, &cfg.nodes);
        if cfg.nemesis.kill || cfg.nemesis.pause {
            router.drop_late_answers();
        }
        let mut services = Vec::new();
        for (i, name) in NAMES.iter().enumerate() {
            if let Some(s) = Service::named(name, rng.fork()) {
                router.add_service(name, i);
                services.push(s);
            }
        }
        let phases = Phases::start(now, &cfg.nodes, cfg.workload.setup(), &mut router);
        Run {
            workload,
            router,
            services,
            workers: Workers::default(),
            phases,
            deaf: vec![false; cfg.nodes.len()],
            writes: Vec::new(),
            write_ids: Vec::new(),
            notices: Vec::new(),
            rng,
            cfg,
        }
    }

    /// Node `i`'s id.
    ///
    /// # Panics
    /// `i` is not a node of this run (a bug: only the run hands out node indices).
    pub fn node_name(&self, i: NodeIdx) -> &str {
        self.router.node_name(i)
    }

    /// Handles one line node `node` wrote to stdout.
    pub fn on_line(&mut self, now: Duration, node: NodeIdx, line: &[u8]) {
        self.on_line_caused(now, node, line, None);
    }

    /// Handles one line node `node` wrote while handling the message with journal id `cause`
    /// (`None`: on a timer, or not known), which the journal records (docs/reports.md).
    pub fn on_line_caused(&mut self, now: Duration, node: NodeIdx, line: &[u8], cause: Option<u64>) {
        // A killed node's last words, read after its death, are lost with it.
        if self.deaf.get(node.0).copied().unwrap_or(true) || self.router.is_down(node) {
            return;
        }
        if let Err(why) = self.router.route_line(now, line, cause) {
            self.make_deaf(now, node, &why);
        }
    }

    /// Node `node` wrote a line longer than the shell accepts: like any line that is not a
    /// protocol message, it stops the node's output for good.
    pub fn on_overlong_line(&mut self, now: Duration, node: NodeIdx, max_bytes: usize) {
        if !self.deaf.get(node.0).copied().unwrap_or(true) {
            self.make_deaf(now, node, &format!("wrote a line longer than {max_bytes} bytes"));
        }
    }

    fn make_deaf(&mut self, now: Duration, node: NodeIdx, why: &str) {
        if let Some(d) = self.deaf.get_mut(node.0) {
            *d = true;
        }
        let name = self.node_name(node).to_owned();
        let text = format!(
            "{name} {why}. Maelstrom stops reading {name}'s stdout after such a line, and so \
             does this bench: everything {name} writes from now on is lost"
        );
        self.notices.push(Notice { at: now, node: name, text });
    }

    /// Delivers everything due at `now`, then runs timeouts, the nemesis and the phase machine.
    pub fn tick(&mut self, now: Duration) {
        loop {
            while let Some(p) = self.router.poll(now) {
                self.deliver(now, p.src, p.dest, p.id, &p.payload);
            }
            let mut ctx = Ctx {
                router: &mut self.router,
                workload: self.workload.as_mut(),
                final_phase: self.phases.is_final(),
            };
            self.workers.expire(now, &mut ctx);
            self.workers.start_paused(now, &mut ctx);
            let parts = Parts {
                cfg: &self.cfg,
                router: &mut self.router,
                workers: &mut self.workers,
                workload: self.workload.as_mut(),
                rng: &mut self.rng,
            };
            let signalled = self.phases.signals().len();
            self.phases.advance(now, parts);
            // What was delivered to a node before it was killed dies with it.
            let killed: Vec<NodeIdx> = self
                .phases
                .signals()
                .get(signalled..)
                .unwrap_or_default()
                .iter()
                .filter(|(_, s)| *s == Signal::Kill)
                .map(|(i, _)| *i)
                .collect();
            if !killed.is_empty() {
                self.writes.retain(|(i, _)| !killed.contains(i));
            }
            if !matches!(self.router.next_deadline(), Some(d) if d <= now) {
                break;
            }
        }
    }

    fn deliver(&mut self, now: Duration, src: Ep, dest: Ep, id: u64, body: &str) {
        match self.router.owner(dest) {
            Some(Owner::Node(i)) => {
                let line = wire::encode_line(id, self.router.name(src), self.router.name(dest), body);
                self.writes.push((i, line));
                self.write_ids.push(id);
            }
            Some(Owner::Service(i)) => {
                let Ok(req) = wire::decode_body(body) else { return };
                let caller = self.router.name(src).to_owned();
                let reply = self.services.get_mut(i).and_then(|s| s.handle(&caller, &req));
                if let Some(reply) = reply {
                    self.router.send_body(now, dest, src, &reply);
                }
            }
            Some(owner) => {
                let Ok(reply) = wire::decode_body(body) else { return };
                match owner {
                    Owner::Init(i) => {
                        self.phases.on_init_reply(now, i, reply, &mut self.router, self.workload.as_ref());
                    }
                    Owner::Setup(i) => self.phases.on_setup_reply(i, reply, &self.router),
                    Owner::Worker(t) => {
                        let mut ctx = Ctx {
                            router: &mut self.router,
                            workload: self.workload.as_mut(),
                            final_phase: self.phases.is_final(),
                        };
                        self.workers.on_reply(now, t, reply, &mut ctx);
                    }
                    Owner::Node(_) | Owner::Service(_) => {}
                }
            }
            None => {}
        }
    }

    /// When the run next needs a [`Run::tick`], if ever.
    pub fn next_deadline(&self) -> Option<Duration> {
        [
            self.router.next_deadline(),
            self.phases.deadline(&self.workers, self.cfg.rate),
            self.workers.deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Whether the shell should stop reading node `i` for now: [`MAX_BACKLOG`] messages charged
    /// to it are still in flight. Reading resumes as they are delivered.
    pub fn is_backlogged(&self, i: NodeIdx) -> bool {
        self.router.is_backlogged(i)
    }

    /// Holds deliveries to node `i` (its stdin is backed up) or, with `held == false`,
    /// releases them. Held messages stay on the network, in order, and count against their
    /// senders' backlogs, so the senders are slowed in turn; nothing is dropped.
    pub fn hold_deliveries(&mut self, i: NodeIdx, held: bool) {
        self.router.hold(i, held);
    }

    /// Lines to write, as (node, line), since the last call.
    pub fn take_writes(&mut self) -> Vec<(NodeIdx, Vec<u8>)> {
        self.write_ids.clear();
        std::mem::take(&mut self.writes)
    }

    /// Lines to write, as (node, line, journal id of the message), since the last call.
    pub fn take_writes_with_ids(&mut self) -> Vec<(NodeIdx, Vec<u8>, u64)> {
        let ids = std::mem::take(&mut self.write_ids);
        std::mem::take(&mut self.writes).into_iter().zip(ids).map(|((i, l), id)| (i, l, id)).collect()
    }

    /// Journal lines since the last call.
    pub fn take_journal(&mut self) -> Vec<u8> {
        self.router.take_journal()
    }

    /// Notices so far.
    pub fn notices(&self) -> &[Notice] {
        &self.notices
    }

    /// Nemesis actions so far, with their times.
    pub fn nemesis_log(&self) -> &[(Duration, String)] {
        self.phases.nemesis_log()
    }

    /// What the shell must do to node processes (kill, restart, pause, resume) since the last
    /// call, in order. A shell takes them after each [`Run::tick`], before the writes: a
    /// restarted node's `init` is among the writes.
    pub fn take_signals(&mut self) -> Vec<(NodeIdx, Signal)> {
        self.phases.take_signals()
    }

    /// Totals for the progress line.
    pub fn progress(&self) -> Progress {
        self.workers.progress()
    }

    /// The current phase.
    pub fn phase(&self) -> &Phase {
        self.phases.phase()
    }

    /// Whether the run is over (done or failed).
    pub fn is_over(&self) -> bool {
        matches!(self.phase(), Phase::Done | Phase::Failed(_))
    }

    /// Network statistics.
    pub fn net_stats(&self) -> NetStats {
        self.router.stats()
    }

    /// Bytes sent per group (see [`SentBytes`]).
    pub fn net_bytes(&self) -> SentBytes {
        self.router.bytes()
    }

    /// The history so far.
    pub fn history(&self) -> &History {
        self.workers.history()
    }

    /// The workload, for checking.
    pub fn workload(&self) -> &dyn Workload {
        self.workload.as_ref()
    }

    /// The configuration.
    pub fn config(&self) -> &RunConfig {
        &self.cfg
    }
}

#[cfg(test)]
mod tests;
