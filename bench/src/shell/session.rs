//! The I/O shell around a [`Run`]: starts the node processes, owns the clock, feeds their output
//! and `now` to the run, writes what it routes, streams the message journal, prints a progress
//! line each second, and finally writes the results (with [`results::write`], as the
//! simulator does). The only place that reads `Instant::now`.

use crate::cli::config::TestConfig;
use crate::core::run::{Phase, Run};
use crate::output::report::Report;
use crate::output::results;
use crate::shell::process::{check_binary, NodeEvent, Nodes};
use crate::shell::store;
use crossbeam_channel::{unbounded, RecvTimeoutError};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::time::{Duration, Instant};

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
    let dir = store::create_run_dir(&cfg.store, cfg.run.workload.name()).map_err(Crash)?;
    store::mark_latest(&cfg.store, &dir);
    let origin = Instant::now();
    let mut run = Run::start(cfg.run.clone(), Duration::ZERO);
    let (tx, rx) = unbounded();
    let mut nodes =
        Nodes::spawn(&cfg.bin, &cfg.node_args, &cfg.run.nodes, &dir.join("node-logs"), cfg.log_stderr, &tx)
            .map_err(Crash)?;
    drop(tx);
    let journal_path = dir.join("net-journal.jsonl");
    let mut journal = BufWriter::with_capacity(
        1 << 20,
        File::create(&journal_path)
            .map_err(|e| Crash(format!("cannot create {}: {e}", journal_path.display())))?,
    );
    let mut next_progress = Duration::from_secs(1);
    let mut crashed: Option<String> = None;
    loop {
        let now = origin.elapsed();
        run.tick(now);
        for (i, line) in run.take_writes() {
            nodes.write(i, line);
        }
        let _ = journal.write_all(&run.take_journal());
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
        let wake = run.next_deadline().unwrap_or(now + Duration::from_millis(100)).min(next_progress);
        let event = match rx.recv_timeout(wake.saturating_sub(origin.elapsed())) {
            Ok(ev) => ev,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        // Take whatever else has arrived too, so a burst costs one tick.
        for ev in std::iter::once(event).chain(rx.try_iter().take(4096)) {
            match ev {
                NodeEvent::Line(i, line) => run.on_line(origin.elapsed(), i, &line),
                NodeEvent::Eof(i) => {
                    let name = cfg.run.nodes.get(i).cloned().unwrap_or_default();
                    let status = nodes
                        .exit_status(i, Duration::from_millis(200))
                        .map_or("closed its stdout".to_owned(), |s| format!("exited ({s})"));
                    crashed = Some(format!(
                        "node {name} {status} at {:.1} s, before the end of the test; see {}",
                        origin.elapsed().as_secs_f64(),
                        dir.join("node-logs").join(format!("{name}.log")).display()
                    ));
                }
            }
        }
        if crashed.is_some() {
            break;
        }
    }
    let _ = journal.write_all(&run.take_journal());
    let _ = journal.flush();
    // A node that exited on its own before teardown makes the run crash (§5.1).
    if crashed.is_none() {
        if let Some((i, s)) = nodes.exited().into_iter().next() {
            let name = cfg.run.nodes.get(i).cloned().unwrap_or_default();
            crashed = Some(format!("node {name} exited ({s}) before the end of the test"));
        }
    }
    nodes.kill_all();
    let wall = origin.elapsed();
    // An aborted run (init or setup failed) explains itself better than the crash it caused.
    if let Some(c) = crashed.filter(|_| !matches!(run.phase(), Phase::Failed(_))) {
        // The history is kept even when the run has no verdict.
        let _ = std::fs::write(dir.join("history.jsonl"), run.history().to_jsonl());
        return Err(Crash(c));
    }
    let report = results::write(&run, cfg.availability, wall, &dir, results::Clock::Wall).map_err(Crash)?;
    // The HTML report: its failures are logged and never change the verdict.
    if let Err(e) = crate::output::html::write_meta(&dir, cfg, &report.problems) {
        eprintln!("glomers-bench: {e}");
    }
    crate::output::html::after_run(&dir);
    Ok(report)
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
