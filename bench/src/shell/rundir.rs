//! A run directory (docs/protocol.md §8.1), written the same way by both shells (the process
//! session and the simulator): the message journal as the run goes, each node's log under
//! `node-logs/`, and at the end `history.jsonl`, `results.json`, `run.json` (the configuration
//! and the command that reproduces the run) and the HTML report.

use crate::core::run::Run;
use crate::core::run::TestConfig;
use crate::output::html;
use crate::output::verdict::{self, NoVerdict, Report, TimeBase};
use crate::output::FileError;
use crate::shell::store;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The message journal's file name in a run directory.
pub const JOURNAL: &str = "net-journal.jsonl";

/// A run directory being written.
pub struct RunDir {
    dir: PathBuf,
    journal: BufWriter<File>,
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
        Ok(RunDir { dir, journal: BufWriter::with_capacity(1 << 20, file) })
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
        let report = verdict::write(run, cfg.availability, wall, &self.dir, clock)?;
        if let Err(e) = html::write_meta(&self.dir, cfg, reproduce, &report.problems) {
            eprintln!("glomers-bench: {e}");
        }
        html::after_run(&self.dir);
        Ok(report)
    }

    /// Closes a run that crashed: the journal, and the history so far (a crashed run has no
    /// verdict, but what it did is kept).
    pub fn abandon(mut self, run: &Run) {
        let _ = self.journal.flush();
        let _ = std::fs::write(self.dir.join("history.jsonl"), run.history().to_jsonl());
    }
}
