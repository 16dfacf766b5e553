//! A run directory (docs/protocol.md §8.1), written the same way by both shells (the process
//! session and the simulator): the message journal as the run goes, each node's log under
//! `node-logs/`, `jepsen.log` with what the console showed of the run, and at the end
//! `history.jsonl`, `results.json`, their EDN twins, `run.json` (the configuration and the
//! command that reproduces the run) and the HTML report.

use crate::core::run::Run;
use crate::core::run::TestConfig;
use crate::output::html;
use crate::output::verdict::{self, NoVerdict, Report, TimeBase};
use crate::output::FileError;
use crate::shell::store;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The message journal's file name in a run directory.
pub const JOURNAL: &str = "net-journal.jsonl";
/// The run's log: what the console showed of it (Maelstrom's name, so its users' scripts find it).
pub const LOG: &str = "jepsen.log";
/// The lines of a node's stderr (and of its stdout) a crash shows, as Maelstrom.
pub const TAIL_LINES: usize = 32;
/// How much of the end of a node's log is read for them.
const TAIL_BYTES: u64 = 64 << 10;

/// A run directory being written.
pub struct RunDir {
    dir: PathBuf,
    journal: BufWriter<File>,
    /// [`LOG`]; `None` if it could not be created (the run goes on without it).
    log: Option<BufWriter<File>>,
}

impl RunDir {
    /// Creates `store/<workload>/<time>/` with `node-logs/`, points `store/latest` at it, and
    /// opens the journal.
    ///
    /// # Errors
    /// [`FileError::Create`] when the directory or the journal cannot be created.
    pub fn create(store_root: &Path, workload: &str) -> Result<RunDir, FileError> {
        let dir = store::create_run_dir(store_root, workload)?;
        store::mark_latest(store_root, &dir);
        let path = dir.join(JOURNAL);
        let file = File::create(&path).map_err(|cause| FileError::Create { path, cause })?;
        let log = File::create(dir.join(LOG)).ok().map(BufWriter::new);
        Ok(RunDir { dir, journal: BufWriter::with_capacity(1 << 20, file), log })
    }

    /// Prints a line on the console (stderr) and keeps it in the run's log.
    pub fn say(&mut self, line: &str) {
        eprintln!("{line}");
        self.note(line);
    }

    /// Keeps text in the run's log only (what is printed elsewhere, like the summary).
    pub fn note(&mut self, text: &str) {
        if let Some(log) = &mut self.log {
            let _ = log.write_all(text.as_bytes());
            if !text.ends_with('\n') {
                let _ = log.write_all(b"\n");
            }
        }
    }

    /// The last lines node `name` wrote to its log (its stderr), for a crash to show: from the
    /// log's last `TAIL_BYTES` at most, however long the log.
    pub fn log_tail(&self, name: &str) -> Vec<String> {
        let Ok(mut file) = File::open(self.node_log(name)) else { return Vec::new() };
        let len = file.metadata().map_or(0, |m| m.len());
        let mut bytes = Vec::new();
        if file.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES))).is_err()
            || file.read_to_end(&mut bytes).is_err()
        {
            return Vec::new();
        }
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(TAIL_LINES)..].iter().map(|l| (*l).to_owned()).collect()
    }

    /// Where node logs go.
    pub fn node_logs(&self) -> PathBuf {
        self.dir.join("node-logs")
    }

    /// Where the nodes' data directories go (`node-data/<id>/`, docs/protocol.md §5.6).
    pub fn node_data(&self) -> PathBuf {
        self.dir.join("node-data")
    }

    /// Node `name`'s log file.
    pub fn node_log(&self, name: &str) -> PathBuf {
        self.node_logs().join(format!("{name}.log"))
    }

    /// Appends journal lines (a failed write loses journal lines, never the run).
    pub fn journal(&mut self, lines: &[u8]) {
        let _ = self.journal.write_all(lines);
    }

    /// Finishes a run that ended: the journal, the history, the verdict in `results.json`,
    /// `run.json` with `reproduce` (the command line that repeats the run), and the report.
    /// The report and `run.json` are logged when they fail and never change the verdict.
    ///
    /// # Errors
    /// [`NoVerdict`]: the run aborted (init or setup failed), or a file could not be written.
    pub fn finish(
        mut self,
        run: &Run,
        cfg: &TestConfig,
        reproduce: &str,
        wall: Duration,
        clock: TimeBase,
    ) -> Result<Report, NoVerdict> {
        let _ = self.journal.flush();
        let report = match verdict::write(run, cfg.criteria, wall, &self.dir, clock) {
            Ok(report) => report,
            Err(e) => {
                self.note(&format!("glomers-bench: no verdict: {e}"));
                return Err(e);
            }
        };
        if let Err(e) = html::write_meta(&self.dir, cfg, reproduce, &report.problems) {
            self.say(&format!("glomers-bench: {e}"));
        }
        html::after_run(&self.dir);
        self.note(&verdict::summary(&report));
        Ok(report)
    }

    /// Closes a run that crashed (`why`, for the log): the journal, and the history so far (a
    /// crashed run has no verdict, but what it did is kept).
    pub fn abandon(mut self, run: &Run, why: &str) {
        self.note(&format!("glomers-bench: the run crashed: {why}"));
        let _ = self.journal.flush();
        let _ = verdict::write_history(&self.dir, run.history(), run.nemesis_log());
    }
}
