//! The I/O shell around a [`Run`]: starts the node processes, owns the clock, feeds their output
//! and `now` to the run, writes what it routes, streams the message journal, prints a progress
//! line each second, and finally writes the run directory (with [`RunDir`], as the simulator
//! does). The only place that reads `Instant::now`.
//!
//! Each step handles at most one batch of output per node ([`Nodes::next_events`]), skips nodes
//! the run says are backlogged, and holds deliveries to nodes whose stdin is backed up, so the
//! bench's memory stays bounded whatever the nodes do (see [`crate::shell::process`]).

use crate::core::run::TestConfig;
use crate::core::run::{NodeIdx, Phase, Run};
use crate::output::html::reproduce;
use crate::output::verdict::Report;
use crate::output::verdict::TimeBase;
use crate::shell::process::{check_binary, NodeEvent, Nodes, MAX_LINE};
use crate::shell::rundir::RunDir;
use std::time::{Duration, Instant};

/// How often the session looks again at a node whose stdin is backed up.
const BACKED_UP_POLL: Duration = Duration::from_millis(1);

/// How a test ended without a verdict (exit code 255).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crash(pub String);

/// Runs one test and judges it.
///
/// # Errors
/// [`Crash`] when the run itself failed: a bad binary, a node that never answered init or
/// exited early, an I/O error.
pub fn run_test(cfg: &TestConfig, progress: bool) -> Result<Report, Crash> {
    check_binary(&cfg.bin).map_err(Crash)?;
    let mut dir = RunDir::create(&cfg.store, cfg.run.workload.name()).map_err(Crash)?;
    let origin = Instant::now();
    let mut run = Run::start(cfg.run.clone(), Duration::ZERO);
    let mut nodes = Nodes::spawn(&cfg.bin, &cfg.node_args, &cfg.run.nodes, &dir.node_logs(), cfg.log_stderr)
        .map_err(Crash)?;
    let mut stdin = Stdins::new(cfg.run.nodes.len());
    let mut next_progress = Duration::from_secs(1);
    let mut crashed: Option<String> = None;
    loop {
        let now = origin.elapsed();
        run.tick(now);
        stdin.flush(&mut run, &nodes);
        dir.journal(&run.take_journal());
        if run.is_over() {
            break;
        }
        if progress && now >= next_progress {
            let p = run.progress();
            eprintln!(
                "[{:5.1} s] {:<8} ops {} · ok {} · fail {} · info {}",
                now.as_secs_f64(),
                phase_name(run.phase()),
                p.invoked,
                p.ok,
                p.fail,
                p.info
            );
            next_progress = Duration::from_secs(now.as_secs() + 1);
        }
        let mut wake = run.next_deadline().unwrap_or(now + Duration::from_millis(100)).min(next_progress);
        if stdin.any_held() {
            wake = wake.min(now + BACKED_UP_POLL);
        }
        let timeout = wake.saturating_sub(origin.elapsed());
        for (i, ev) in nodes.next_events(|i| !run.is_backlogged(i), timeout) {
            let at = origin.elapsed();
            match ev {
                NodeEvent::Lines(lines) => lines.iter().for_each(|line| run.on_line(at, i, line)),
                NodeEvent::LineTooLong => run.on_overlong_line(at, i, MAX_LINE),
                NodeEvent::Eof => {
                    let status = nodes
                        .exit_status(i, Duration::from_millis(200))
                        .map_or("closed its stdout".to_owned(), |s| format!("exited ({s})"));
                    let name = run.node_name(i);
                    crashed = Some(format!(
                        "node {name} {status} at {:.1} s, before the end of the test; see {}",
                        origin.elapsed().as_secs_f64(),
                        dir.node_log(name).display()
                    ));
                }
            }
        }
        if crashed.is_some() {
            break;
        }
    }
    dir.journal(&run.take_journal());
    // A node that exited on its own before teardown makes the run crash (§5.1).
    if crashed.is_none() {
        if let Some((i, s)) = nodes.exited().into_iter().next() {
            crashed = Some(format!("node {} exited ({s}) before the end of the test", run.node_name(i)));
        }
    }
    nodes.kill_all();
    let wall = origin.elapsed();
    // An aborted run (init or setup failed) explains itself better than the crash it caused.
    if let Some(c) = crashed.filter(|_| !matches!(run.phase(), Phase::Failed(_))) {
        dir.abandon(&run);
        return Err(Crash(c));
    }
    dir.finish(&run, cfg, &reproduce(cfg), wall, TimeBase::Wall).map_err(Crash)
}

/// What the session has routed to each node's stdin but not yet handed to its writer, and
/// which nodes the run holds deliveries to.
struct Stdins {
    /// Lines for each node, gathered so one step costs one hand-over per node.
    pending: Vec<Vec<u8>>,
    /// Whether deliveries to each node are held (its stdin is backed up).
    held: Vec<bool>,
}

impl Stdins {
    fn new(nodes: usize) -> Self {
        Stdins { pending: vec![Vec::new(); nodes], held: vec![false; nodes] }
    }

    /// Hands the run's writes to the nodes' writers, except to nodes whose stdin is backed up:
    /// the run then holds deliveries to them, so what waits here is at most one step's worth.
    fn flush(&mut self, run: &mut Run, nodes: &Nodes) {
        for (i, line) in run.take_writes() {
            if let Some(p) = self.pending.get_mut(i.0) {
                p.extend_from_slice(&line);
            }
        }
        for (k, (pending, held)) in self.pending.iter_mut().zip(self.held.iter_mut()).enumerate() {
            let i = NodeIdx(k);
            if !pending.is_empty() && !nodes.is_backed_up(i) {
                nodes.write(i, std::mem::take(pending));
            }
            let hold = nodes.is_backed_up(i);
            if hold != *held {
                run.hold_deliveries(i, hold);
                *held = hold;
            }
        }
    }

    fn any_held(&self) -> bool {
        self.held.iter().any(|&h| h)
    }
}

fn phase_name(p: &Phase) -> &'static str {
    match p {
        Phase::Init { .. } => "init",
        Phase::Setup { .. } => "setup",
        Phase::Main { .. } => "main",
        Phase::Drain => "drain",
        Phase::Recovery { .. } => "recovery",
        Phase::Final => "final",
        Phase::Done => "done",
        Phase::Failed(_) => "failed",
    }
}
