//! The end of a run, shared by both shells (the process session and the simulator): the history
//! as `history.jsonl`, the verdict of every checker, and `results.json`.

use crate::core::checkers::Availability;
use crate::core::run::{Phase, Run};
use crate::output::report::{self, Report};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// Which clock timed the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Real time: node processes over pipes. `glomers.wall-time` is the run's wall time.
    Wall,
    /// Virtual time: the in-process simulator. `results.json` then holds no wall time (a seed
    /// must replay byte for byte) and says `"clock": "virtual"`, and `"faults"` when the
    /// simulator's extra faults were on.
    Virtual,
}

/// Writes `history.jsonl` into `dir`; then, unless the run aborted, judges it and writes
/// `results.json`.
///
/// # Errors
/// Why the run has no verdict: it aborted (init or setup failed), or a file could not be
/// written.
pub fn write(
    run: &Run,
    want: Availability,
    wall: Duration,
    dir: &Path,
    clock: Clock,
) -> Result<Report, String> {
    std::fs::write(dir.join("history.jsonl"), run.history().to_jsonl())
        .map_err(|e| format!("cannot write history: {e}"))?;
    let report = judge(run, want, wall, dir, clock)?;
    let text = serde_json::to_string_pretty(&report.results).unwrap_or_default();
    std::fs::write(dir.join("results.json"), text).map_err(|e| format!("cannot write results: {e}"))?;
    Ok(report)
}

/// Judges a finished run without writing anything.
///
/// # Errors
/// The run aborted (init or setup failed): it has no verdict.
pub fn judge(
    run: &Run,
    want: Availability,
    wall: Duration,
    dir: &Path,
    clock: Clock,
) -> Result<Report, String> {
    if let Phase::Failed(f) = run.phase() {
        return Err(f.to_string());
    }
    let mut report = report::judge(run, want, wall, dir.to_path_buf());
    if clock == Clock::Virtual {
        if let Some(g) = report.results.get_mut("glomers").and_then(Value::as_object_mut) {
            g.remove("wall-time");
            g.insert("clock".into(), Value::from("virtual"));
            let faults = run.config().faults;
            if faults.any() {
                g.insert("faults".into(), Value::from(faults.describe()));
            }
        }
    }
    Ok(report)
}
