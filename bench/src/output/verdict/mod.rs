//! The one place a run is judged: every checker over the finished run's history, the verdict
//! they make together, the typed [`Results`] that become `results.json` (written here, beside
//! `history.jsonl`, for both shells), and the [`Report`] of figures that the console summary, the
//! challenge targets and the seed table read.
//!
//! - `results.rs`: [`Checks`] (the history's sections) and [`Results`] (the whole file), typed,
//!   and their JSON with Maelstrom's names (docs/protocol.md §8.1);
//! - `report.rs`: [`Report`] and the console [`summary`];
//! - `headline.rs`: the [`Headline`] figures of a results map read back (from a run directory,
//!   or from the real Maelstrom);
//! - `recheck.rs`: a stored run judged again by today's checkers ([`recheck`], `check DIR`).

mod headline;
mod recheck;
mod report;
mod results;

pub use headline::Headline;
pub use recheck::{recheck, Recheck, RecheckError};
pub use report::{summary, word, Report};
pub use results::{Checks, Results, RunFacts, TimeBase};

use crate::core::checkers::Criteria;
use crate::core::history::{History, Kind};
use crate::core::run::{Failure, Phase, Run};
use crate::output::{edn, FileError};
use std::fmt;
use std::path::Path;
use std::time::Duration;

/// A judged run: the results to write and the figures to show.
#[derive(Debug, Clone)]
pub struct Judged {
    /// Everything results.json holds, typed.
    pub results: Results,
    /// The figures for the summary and the targets.
    pub report: Report,
}

/// Judges a finished run without writing anything; `dir` is where its results go (for the
/// summary).
///
/// # Errors
/// The run aborted (init or setup failed): it has no verdict; the `Failure` says why.
pub fn judge(
    run: &Run,
    criteria: Criteria,
    wall: Duration,
    dir: &Path,
    time_base: TimeBase,
) -> Result<Judged, Failure> {
    if let Phase::Failed(f) = run.phase() {
        return Err(f.clone());
    }
    let history = run.history();
    let cfg = run.config();
    let checks = Checks::new(run.workload().check(history), history, criteria);
    let faults = (time_base == TimeBase::Virtual && cfg.faults.any()).then(|| cfg.faults.describe());
    let results = Results {
        checks,
        net: run.net_stats(),
        bytes: run.net_bytes(),
        invokes: history.events.iter().filter(|e| e.kind == Kind::Invoke).count() as u64,
        run: RunFacts {
            seed: cfg.seed,
            time_base,
            wall,
            nemesis: run.nemesis_log().to_vec(),
            notices: run.notices().to_vec(),
            faults,
        },
    };
    let title = format!("{} on {} node(s)", cfg.workload, cfg.nodes.len());
    let report = Report::from_results(&results, title, dir.to_path_buf());
    Ok(Judged { results, report })
}

/// Writes the history into `dir` (`history.jsonl`, and Maelstrom's `history.edn` and
/// `history.txt`); then, unless the run aborted, judges it and writes `results.json` and
/// `results.edn`.
///
/// # Errors
/// [`NoVerdict`]: the run aborted (init or setup failed), or a file could not be written.
pub fn write(
    run: &Run,
    criteria: Criteria,
    wall: Duration,
    dir: &Path,
    time_base: TimeBase,
) -> Result<Report, NoVerdict> {
    write_history(dir, run.history(), run.nemesis_log())?;
    let judged = judge(run, criteria, wall, dir, time_base).map_err(NoVerdict::Aborted)?;
    write_results(dir, &judged.results)?;
    Ok(judged.report)
}

/// Writes `history.jsonl`, and `history.edn` and `history.txt` with the nemesis's actions
/// (`nemesis`, as the run logged them) among the operations, into `dir`.
///
/// # Errors
/// [`NoVerdict::NotWritten`] naming the file that could not be written.
pub fn write_history(dir: &Path, history: &History, nemesis: &[(Duration, String)]) -> Result<(), NoVerdict> {
    write_file(&dir.join("history.jsonl"), history.to_jsonl())?;
    write_file(&dir.join("history.edn"), edn::history_edn(history, nemesis))?;
    write_file(&dir.join("history.txt"), edn::history_txt(history, nemesis))
}

/// Writes `results.json` and `results.edn` into `dir`.
///
/// # Errors
/// [`NoVerdict::NotWritten`] naming the file that could not be written.
pub fn write_results(dir: &Path, results: &Results) -> Result<(), NoVerdict> {
    let json = results.to_json();
    write_file(&dir.join("results.json"), serde_json::to_string_pretty(&json).unwrap_or_default())?;
    write_file(&dir.join("results.edn"), edn::results_edn(&json))
}

fn write_file(path: &Path, text: String) -> Result<(), NoVerdict> {
    std::fs::write(path, text)
        .map_err(|cause| NoVerdict::NotWritten(FileError::Write { path: path.to_path_buf(), cause }))
}

/// Why a finished run has no verdict on disk.
#[derive(Debug)]
pub enum NoVerdict {
    /// The run aborted (init or setup failed).
    Aborted(Failure),
    /// `history.jsonl` or `results.json` could not be written.
    NotWritten(FileError),
}

impl fmt::Display for NoVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoVerdict::Aborted(failure) => failure.fmt(f),
            NoVerdict::NotWritten(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for NoVerdict {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NoVerdict::Aborted(failure) => Some(failure),
            NoVerdict::NotWritten(e) => Some(e),
        }
    }
}

#[cfg(test)]
mod tests;
