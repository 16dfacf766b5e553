//! The I/O shell around a [`Run`]: starts the node processes, owns the clock, feeds their output
//! and `now` to the run, writes what it routes, streams the message journal, prints a progress
//! line each second, and finally writes the run directory (with [`RunDir`], as the simulator
//! does). The only place that reads `Instant::now`.
//!
//! Each step handles at most one batch of output per node ([`Nodes::next_events`]), skips nodes
//! the run says are backlogged, and holds deliveries to nodes whose stdin is backed up, so the
//! bench's memory stays bounded whatever the nodes do (see [`crate::shell::process`]).

use crate::core::run::TestConfig;
use crate::core::run::{Failure, NodeIdx, Phase, Run, Signal};
use crate::output::html::reproduce;
use crate::output::verdict::{NoVerdict, Report, TimeBase};
use crate::output::FileError;
use crate::shell::process::{check_binary, NodeEvent, Nodes, ProcessError, MAX_LINE};
use crate::shell::rundir::RunDir;
use crate::shell::tail::StdoutTails;
use std::fmt;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

/// How often the session looks again at a node whose stdin is backed up.
const BACKED_UP_POLL: Duration = Duration::from_millis(1);

/// The last lines a crashed node wrote, as Maelstrom shows them.
#[derive(Debug, Default)]
pub struct Tails {
    /// To stdout (protocol messages and stray lines alike).
    pub stdout: Vec<String>,
    /// To stderr (its log).
    pub stderr: Vec<String>,
}

/// Why a test ended without a verdict (exit code 255).
#[derive(Debug)]
pub enum Crash {
    /// The node binary cannot run, or a node's process or log could not be started.
    Process(ProcessError),
    /// The run directory cannot be created.
    RunDir(FileError),
    /// A node closed its stdout (usually: it exited) before the end of the test.
    StdoutClosed {
        /// The node's name.
        node: String,
        /// Its exit status, if it exited soon after.
        status: Option<ExitStatus>,
        /// When, since the start of the run.
        at: Duration,
        /// Its log file.
        log: PathBuf,
        /// The last lines it wrote.
        tail: Box<Tails>,
    },
    /// A node exited on its own before teardown.
    Exited {
        /// The node's name.
        node: String,
        /// Its exit status.
        status: ExitStatus,
        /// Its log file.
        log: PathBuf,
        /// The last lines it wrote.
        tail: Box<Tails>,
    },
    /// The run aborted: init or setup failed.
    Aborted(Failure),
    /// `history.jsonl` or `results.json` could not be written.
    NotWritten(FileError),
}

impl From<NoVerdict> for Crash {
    fn from(e: NoVerdict) -> Self {
        match e {
            NoVerdict::Aborted(failure) => Crash::Aborted(failure),
            NoVerdict::NotWritten(e) => Crash::NotWritten(e),
        }
    }
}

impl fmt::Display for Crash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Crash::Process(e) => e.fmt(f),
            Crash::RunDir(e) | Crash::NotWritten(e) => e.fmt(f),
            Crash::StdoutClosed { node, status, at, log, tail } => {
                write!(f, "node {node} ")?;
                match status {
                    Some(s) => write!(f, "exited ({s})")?,
                    None => f.write_str("closed its stdout")?,
                }
                write!(f, " at {:.1} s, before the end of the test", at.as_secs_f64())?;
                write_tail(f, tail, log)
            }
            Crash::Exited { node, status, log, tail } => {
                write!(f, "node {node} exited ({status}) before the end of the test")?;
                write_tail(f, tail, log)
            }
            Crash::Aborted(failure) => failure.fmt(f),
        }
    }
}

/// The last lines a crashed node wrote to stdout, then to stderr (Maelstrom shows both), each
/// indented under a line saying how many, then where its whole stderr is.
fn write_tail(f: &mut fmt::Formatter<'_>, tail: &Tails, log: &std::path::Path) -> fmt::Result {
    for (lines, stream) in [(&tail.stdout, "stdout"), (&tail.stderr, "stderr")] {
        match lines.len() {
            0 => write!(f, "\nit wrote nothing to {stream}")?,
            n => {
                write!(f, "\nthe last {n} line(s) it wrote to {stream}:")?;
                for line in lines {
                    write!(f, "\n    {line}")?;
                }
            }
        }
    }
    write!(f, "\nits whole stderr is in {}", log.display())
}

impl std::error::Error for Crash {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Crash::Process(e) => Some(e),
            Crash::RunDir(e) | Crash::NotWritten(e) => Some(e),
            Crash::Aborted(failure) => Some(failure),
            Crash::StdoutClosed { .. } | Crash::Exited { .. } => None,
        }
    }
}

/// Runs one test and judges it.
///
/// # Errors
/// [`Crash`] when the run itself failed: a bad binary, a node that never answered init or
/// exited early, a run directory or results that could not be written.
pub fn run_test(cfg: &TestConfig, progress: bool) -> Result<Report, Crash> {
    check_binary(&cfg.bin).map_err(Crash::Process)?;
    let mut dir = RunDir::create(&cfg.store, cfg.run.workload.name()).map_err(Crash::RunDir)?;
    dir.note(&format!("glomers-bench: {}", cfg.run.describe()));
    let origin = Instant::now();
    let mut run = Run::start(cfg.run.clone(), Duration::ZERO);
    let dirs = (dir.node_logs(), dir.node_data());
    let mut nodes =
        Nodes::spawn(&cfg.bin, &cfg.node_args, &cfg.run.nodes, (&dirs.0, &dirs.1), cfg.log_stderr)
            .map_err(Crash::Process)?;
    let mut stdin = Stdins::new(cfg.run.nodes.len());
    let mut next_progress = Duration::from_secs(1);
    let mut crashed: Option<Crash> = None;
    let mut stdout = StdoutTails::new(cfg.run.nodes.len());
    loop {
        let now = origin.elapsed();
        run.tick(now);
        // Before the writes: a restarted node's init is among them.
        for (i, signal) in run.take_signals() {
            if signal == Signal::Kill {
                stdin.forget(i);
            }
            if let Err(e) = nodes.signal(i, signal) {
                crashed = Some(Crash::Process(e));
            }
        }
        if crashed.is_some() {
            break;
        }
        stdin.flush(&mut run, &nodes);
        dir.journal(&run.take_journal());
        if run.is_over() {
            break;
        }
        if progress && now >= next_progress {
            let p = run.progress();
            dir.say(&format!(
                "[{:5.1} s] {:<8} ops {} · ok {} · fail {} · info {}",
                now.as_secs_f64(),
                phase_name(run.phase()),
                p.invoked,
                p.ok,
                p.fail,
                p.info
            ));
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
                NodeEvent::Lines(lines) => lines.iter().for_each(|line| {
                    stdout.record(i.0, line);
                    run.on_line(at, i, line)
                }),
                NodeEvent::LineTooLong => run.on_overlong_line(at, i, MAX_LINE),
                NodeEvent::Eof => {
                    let status = nodes.exit_status(i, Duration::from_millis(200));
                    let name = run.node_name(i);
                    crashed = Some(Crash::StdoutClosed {
                        node: name.to_owned(),
                        status,
                        at: origin.elapsed(),
                        log: dir.node_log(name),
                        tail: Box::new(Tails { stdout: stdout.lines(i.0), stderr: Vec::new() }),
                    });
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
            let node = run.node_name(i).to_owned();
            let tail = Box::new(Tails { stdout: stdout.lines(i.0), stderr: Vec::new() });
            crashed = Some(Crash::Exited { log: dir.node_log(&node), node, status: s, tail });
        }
    }
    // Its log is whole once every node is gone.
    nodes.kill_all();
    let wall = origin.elapsed();
    // An aborted run (init or setup failed) explains itself better than the crash it caused.
    if let Some(mut c) = crashed.filter(|_| !matches!(run.phase(), Phase::Failed(_))) {
        if let Crash::StdoutClosed { node, tail, .. } | Crash::Exited { node, tail, .. } = &mut c {
            tail.stderr = dir.log_tail(node);
        }
        dir.abandon(&run, &c.to_string());
        return Err(c);
    }
    dir.finish(&run, cfg, &reproduce(cfg), wall, TimeBase::Wall).map_err(Crash::from)
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

    /// Drops what waits for node `i`, killed: it dies with the process.
    fn forget(&mut self, i: NodeIdx) {
        if let Some(p) = self.pending.get_mut(i.0) {
            p.clear();
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
