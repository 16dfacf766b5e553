//! One test run as a sans-IO state machine: endpoints, the simulated network, services, workers
//! and the phases of MAELSTROM.md §5.1. The I/O shell feeds it node output lines and `now`,
//! calls [`Run::tick`], and drains the lines to write to each node's stdin.
//!
//! Routing lives here; workers and operation scheduling in `workers.rs`; the phase machine in
//! `phases.rs`. The message journal is JSON lines: `{"event":"send","id","time","src","dest",
//! "body"}` for each send, `{"event":"recv"|"drop","id","time"}` for each delivery or partition
//! drop, times in ns since the run began.

mod endpoints;
mod phases;
mod workers;

pub use phases::{Failure, Phase};

use crate::core::faults::Faults;
use crate::core::history::History;
use crate::core::nemesis::Schedule;
use crate::core::net::{Ep, Latency, Net, NetStats, Role};
use crate::core::rng::Rng;
use crate::core::services::{Service, NAMES};
use crate::core::topology::Topology;
use crate::core::wire::{self, Body};
use crate::core::workloads::{Workload, WorkloadConfig, WorkloadKind, WorkloadOpts};
use endpoints::{Endpoints, Owner};
use std::time::Duration;
use workers::Worker;

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
    /// Whether the partition nemesis runs.
    pub nemesis: bool,
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
    net: Net<Box<str>>,
    eps: Endpoints,
    node_eps: Vec<Ep>,
    /// Each node's init client, closed once its `init_ok` arrives.
    init_clients: Vec<Ep>,
    services: Vec<Service>,
    workers: Vec<Worker>,
    /// Whether each node's stdout is still read (§2.1: a bad line stops it for good).
    deaf: Vec<bool>,
    phase: Phase,
    history: History,
    writes: Vec<(usize, Vec<u8>)>,
    journal: Vec<u8>,
    notices: Vec<Notice>,
    nemesis_log: Vec<(Duration, String)>,
    rng: Rng,
    nemesis: Option<Schedule>,
    progress: Progress,
}

impl Run {
    /// Creates the run and sends `init` to every node at `now`.
    pub fn start(cfg: RunConfig, now: Duration) -> Run {
        let wcfg = WorkloadConfig {
            nodes: cfg.nodes.clone(),
            topology: cfg.topology,
            concurrency: cfg.concurrency,
            rate: cfg.rate,
            opts: cfg.opts.clone(),
        };
        let workload = cfg.workload.build(&wcfg);
        let mut rng = Rng::new(cfg.seed);
        let mut net = Net::new(cfg.latency, rng.fork());
        net.set_faults(cfg.faults);
        let mut eps = Endpoints::default();
        let node_eps: Vec<Ep> = (0..cfg.nodes.len())
            .map(|i| {
                let name = cfg.nodes.get(i).cloned().unwrap_or_default();
                eps.add(&mut net, name, Role::Node, Owner::Node(i))
            })
            .collect();
        let mut services = Vec::new();
        for (i, name) in NAMES.iter().enumerate() {
            if let Some(s) = Service::named(name, rng.fork()) {
                eps.add(&mut net, (*name).to_owned(), Role::Service, Owner::Service(i));
                services.push(s);
            }
        }
        let n = cfg.nodes.len();
        let mut run = Run {
            workload,
            net,
            eps,
            node_eps,
            init_clients: Vec::new(),
            services,
            workers: Vec::new(),
            deaf: vec![false; n],
            phase: Phase::Init { deadline: now + phases::INIT_TIMEOUT, waiting: vec![true; n] },
            history: History::default(),
            writes: Vec::new(),
            journal: Vec::new(),
            notices: Vec::new(),
            nemesis_log: Vec::new(),
            rng,
            nemesis: None,
            progress: Progress::default(),
            cfg,
        };
        run.send_init(now);
        run
    }

    /// Handles one line a node wrote to stdout.
    pub fn on_line(&mut self, now: Duration, node: usize, line: &[u8]) {
        if self.deaf.get(node).copied().unwrap_or(true) {
            return;
        }
        let name = self.cfg.nodes.get(node).cloned().unwrap_or_default();
        let routed = match wire::parse_line(line) {
            Err(e) => Err(format!("wrote a line that is not a valid protocol message ({e})")),
            Ok(msg) => match (self.eps.lookup(&msg.src), self.eps.lookup(&msg.dest)) {
                (Some(src), Some(dest)) => {
                    self.send_raw(now, src, dest, msg.body.get().into());
                    Ok(())
                }
                (None, _) => Err(format!("sent a message from an unknown src {:?}", msg.src)),
                (_, None) => Err(self.explain_unknown_dest(&msg.dest, &msg.msg_type)),
            },
        };
        if let Err(why) = routed {
            if let Some(d) = self.deaf.get_mut(node) {
                *d = true;
            }
            let text = format!(
                "{name} {why}. Maelstrom stops reading {name}'s stdout after such a line, and so \
                 does this bench: everything {name} writes from now on is lost"
            );
            self.notices.push(Notice { at: now, node: name, text });
        }
    }

    fn explain_unknown_dest(&self, dest: &str, msg_type: &str) -> String {
        match self.eps.closed_owner(dest) {
            Some(Owner::Init(_)) => {
                format!("sent {msg_type} to {dest}, the init client, which closed after init_ok")
            }
            Some(_) => format!(
                "sent {msg_type} to {dest}, a client that has gone away (its request timed out \
                 or failed and it was replaced)"
            ),
            None => format!("sent {msg_type} to {dest:?}, which is not on the network"),
        }
    }

    /// Sends a raw body through the network, journaling it. A send is journaled before the
    /// partition check, so dropped messages still count as sent (§3.3).
    fn send_raw(&mut self, now: Duration, src: Ep, dest: Ep, body: Box<str>) {
        let line = format!(
            "{{\"event\":\"send\",\"id\":{},\"time\":{},\"src\":{},\"dest\":{},\"body\":{body}}}\n",
            self.net.next_id(),
            now.as_nanos(),
            serde_json::Value::from(self.eps.name(src)),
            serde_json::Value::from(self.eps.name(dest)),
        );
        self.journal.extend_from_slice(line.as_bytes());
        self.net.send(now, src, dest, body);
        for id in self.net.take_dropped() {
            self.journal_event("drop", id, now);
        }
    }

    /// Sends a decoded body.
    fn send_body(&mut self, now: Duration, src: Ep, dest: Ep, body: &Body) {
        self.send_raw(now, src, dest, wire::encode_body(body).into());
    }

    fn journal_event(&mut self, event: &str, id: u64, now: Duration) {
        let line = format!("{{\"event\":\"{event}\",\"id\":{id},\"time\":{}}}\n", now.as_nanos());
        self.journal.extend_from_slice(line.as_bytes());
    }

    /// Delivers everything due at `now`, then runs timeouts, the nemesis and the phase machine.
    pub fn tick(&mut self, now: Duration) {
        loop {
            while let Some(p) = self.net.poll(now) {
                self.journal_event("recv", p.id, now);
                for id in self.net.take_dropped() {
                    self.journal_event("drop", id, now);
                }
                self.deliver(now, p.src, p.dest, p.id, &p.payload);
            }
            self.expire_rpcs(now);
            self.start_paused_ops(now);
            self.advance(now);
            if !matches!(self.net.next_deadline(), Some(d) if d <= now) {
                break;
            }
        }
    }

    fn deliver(&mut self, now: Duration, src: Ep, dest: Ep, id: u64, body: &str) {
        match self.eps.owner(dest) {
            Some(Owner::Node(i)) => {
                let line = wire::encode_line(id, self.eps.name(src), self.eps.name(dest), body);
                self.writes.push((i, line));
            }
            Some(Owner::Service(i)) => {
                let Ok(req) = wire::decode_body(body) else { return };
                let caller = self.eps.name(src).to_owned();
                let reply = self.services.get_mut(i).and_then(|s| s.handle(&caller, &req));
                if let Some(reply) = reply {
                    self.send_body(now, dest, src, &reply);
                }
            }
            Some(owner) => {
                let Ok(reply) = wire::decode_body(body) else { return };
                self.on_client_reply(now, owner, reply);
            }
            None => {}
        }
    }

    /// When the run next needs a [`Run::tick`], if ever.
    pub fn next_deadline(&self) -> Option<Duration> {
        [self.net.next_deadline(), self.phase_deadline(), self.worker_deadline()].into_iter().flatten().min()
    }

    /// Lines to write, as (node index, line), since the last call.
    pub fn take_writes(&mut self) -> Vec<(usize, Vec<u8>)> {
        std::mem::take(&mut self.writes)
    }

    /// Journal lines since the last call.
    pub fn take_journal(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.journal)
    }

    /// Notices so far.
    pub fn notices(&self) -> &[Notice] {
        &self.notices
    }

    /// Nemesis actions so far, with their times.
    pub fn nemesis_log(&self) -> &[(Duration, String)] {
        &self.nemesis_log
    }

    /// Totals for the progress line.
    pub fn progress(&self) -> Progress {
        self.progress
    }

    /// The current phase.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// Network statistics.
    pub fn net_stats(&self) -> NetStats {
        self.net.stats()
    }

    /// The history so far.
    pub fn history(&self) -> &History {
        &self.history
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
#[path = "tests.rs"]
mod tests;
