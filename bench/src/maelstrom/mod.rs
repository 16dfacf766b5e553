//! Runs the real Maelstrom (`--maelstrom PATH`) with a challenge's flags and reads its
//! `results.edn` into the same `Report` a workbench run produces, so both print the same
//! summary and are judged against the same targets.

use crate::core::checkers::latency::Latencies;
use crate::core::workloads::WorkloadKind;
use crate::output::edn;
use crate::output::verdict::{Headline, Report};
use serde_json::Value;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Where Maelstrom leaves its newest results, relative to the directory it ran in (§8.1).
const LATEST: &str = "store/latest/results.edn";

/// Why the real Maelstrom gave no results to read.
#[derive(Debug)]
pub enum MaelstromError {
    /// It could not be started.
    Start {
        /// The path given to `--maelstrom`.
        path: PathBuf,
        /// The cause.
        cause: io::Error,
    },
    /// It reported a crashed run (exit 255).
    Crashed,
    /// Its results file could not be read.
    Unreadable(io::Error),
    /// Its results file is not EDN.
    Malformed(edn::EdnError),
}

impl fmt::Display for MaelstromError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MaelstromError::Start { path, cause } => write!(f, "cannot start {}: {cause}", path.display()),
            MaelstromError::Crashed => {
                write!(f, "it reports a crashed run (exit 255); see {LATEST} and jepsen.log")
            }
            MaelstromError::Unreadable(cause) => write!(f, "cannot read {LATEST}: {cause}"),
            MaelstromError::Malformed(why) => write!(f, "{LATEST}: {why}"),
        }
    }
}

impl std::error::Error for MaelstromError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MaelstromError::Start { cause, .. } | MaelstromError::Unreadable(cause) => Some(cause),
            MaelstromError::Malformed(e) => Some(e),
            MaelstromError::Crashed => None,
        }
    }
}

/// Runs `maelstrom test -w WORKLOAD --bin BIN FLAGS` in the current directory, showing its
/// output, and reads the results.
///
/// # Errors
/// [`MaelstromError`] when Maelstrom cannot start, crashes (exit 255), or leaves no readable
/// results.
pub fn run(
    maelstrom: &Path,
    workload: WorkloadKind,
    bin: &Path,
    flags: &[String],
) -> Result<Report, MaelstromError> {
    let start = Instant::now();
    let status = Command::new(maelstrom)
        .args(["test", "-w", workload.name(), "--bin"])
        .arg(bin)
        .args(flags)
        .status()
        .map_err(|cause| MaelstromError::Start { path: maelstrom.to_path_buf(), cause })?;
    if status.code() == Some(255) {
        return Err(MaelstromError::Crashed);
    }
    let text = std::fs::read_to_string(LATEST).map_err(MaelstromError::Unreadable)?;
    let results = edn::parse(&text).map_err(MaelstromError::Malformed)?;
    let dir = std::fs::canonicalize("store/latest").unwrap_or_else(|_| PathBuf::from("store/latest"));
    Ok(from_results(results, workload, start.elapsed(), dir))
}

/// A `Report` from Maelstrom's results map (read from EDN), which has the names of our
/// results.json. It has no per-operation latencies and names no anomalies for the seed table.
pub fn from_results(results: Value, workload: WorkloadKind, wall: Duration, dir: PathBuf) -> Report {
    let h = Headline::read(&results);
    let problems = results
        .as_object()
        .map(|sections| {
            sections
                .iter()
                .filter(|(_, v)| v.get("valid?").is_some_and(|ok| ok != &Value::Bool(true)))
                .map(|(name, v)| format!("Maelstrom's `{name}` section is not valid: {v}"))
                .collect()
        })
        .unwrap_or_default();
    Report {
        valid: h.valid,
        msgs_per_op: h.msgs_per_op,
        bytes_per_op: h.bytes_per_op,
        server_bytes: h.server_bytes,
        stable_latency: h.stable_latency,
        broadcast: h.broadcast,
        latency: Latencies::default(),
        anomalies: Vec::new(),
        availability: h.availability,
        messages: h.messages,
        faults: String::new(),
        problems,
        notices: Vec::new(),
        wall,
        dir,
        seed: 0,
        title: format!("{workload} on the real Maelstrom (seed not applicable)"),
        weak_points: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::checkers::verdict::{Quantiles, Validity};

    #[test]
    fn a_maelstrom_results_map_becomes_a_report() {
        let text = r#"{:availability {:valid? true, :ok-fraction 1.0}
            :net {:all {:send-count 12000} :clients {:send-count 4060}
                  :servers {:send-count 7940, :msgs-per-op 3.97}}
            :workload {:valid? false, :lost-count 1, :stable-latencies {0 0, 0.5 452, 0.95 674, 0.99 791, 1 802}}
            :valid? false}"#;
        let results = edn::parse(text).unwrap();
        let r = from_results(results, WorkloadKind::Broadcast, Duration::from_secs(30), PathBuf::from("x"));
        assert_eq!(r.valid, Validity::Invalid);
        assert_eq!(r.msgs_per_op, Some(3.97));
        assert_eq!((r.bytes_per_op, r.server_bytes), (None, None), "Maelstrom does not weigh messages");
        assert_eq!(r.stable_latency, Some(Quantiles { p50: 452, p99: 791, max: 802 }));
        assert_eq!(r.broadcast, None, "no attempt-count");
        assert_eq!(r.messages, (7940, 4060));
        assert_eq!(r.availability, 1.0);
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        assert!(r.problems[0].starts_with("Maelstrom's `workload` section is not valid"));
    }

    #[test]
    fn unknown_validity_stays_unknown() {
        let results = edn::parse("{:valid? :unknown}").unwrap();
        let r = from_results(results, WorkloadKind::TxnRwRegister, Duration::ZERO, PathBuf::new());
        assert_eq!(r.valid, Validity::Unknown);
        assert_eq!(r.msgs_per_op, None);
    }
}
