//! `run.json`: what a report needs that results.json lacks: the configuration (flags, seed,
//! binary, versions, a command to reproduce the run; every flag a verdict depends on, so that
//! `glomers-bench check` judges the run as it was judged) and each problem in plain words; and the
//! shell quoting of the command lines that reproduce runs.

use crate::core::checkers::Availability;
use crate::core::run::TestConfig;
use crate::core::workloads::{WorkloadKind, CHECKER_BUDGET};
use crate::output::FileError;
use serde_json::{json, Value};
use std::path::Path;
use std::time::UNIX_EPOCH;

/// A shell word, quoted when it needs to be (for the reproduce and replay command lines).
pub fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@".contains(c)) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn lower_debug(x: impl std::fmt::Debug) -> String {
    format!("{x:?}").to_lowercase()
}

/// The `glomers-bench test` command that repeats this run (same flags and seed).
pub fn reproduce(cfg: &TestConfig) -> String {
    let r = &cfg.run;
    let mut w: Vec<String> = vec![
        "glomers-bench".into(),
        "test".into(),
        "-w".into(),
        r.workload.name().into(),
        "--bin".into(),
        cfg.bin.display().to_string(),
        "--nodes".into(),
        r.nodes.join(","),
        "--concurrency".into(),
        r.concurrency.to_string(),
        "--rate".into(),
        r.rate.to_string(),
        "--time-limit".into(),
        r.time_limit.as_secs_f64().to_string(),
    ];
    if r.latency.mean_ms > 0 {
        w.extend(["--latency".into(), r.latency.mean_ms.to_string()]);
        w.extend(["--latency-dist".into(), lower_debug(r.latency.dist)]);
    }
    if r.nemesis.any() {
        w.extend(["--nemesis".into(), r.nemesis.names().join(",")]);
        w.extend(["--nemesis-interval".into(), r.nemesis_interval.as_secs_f64().to_string()]);
    }
    if r.workload == WorkloadKind::Broadcast {
        w.extend(["--topology".into(), lower_debug(r.topology)]);
    }
    if let Some(k) = r.opts.key_count {
        w.extend(["--key-count".into(), k.to_string()]);
    }
    if r.opts.repeat_adds > 0.0 {
        w.extend(["--repeat-adds".into(), r.opts.repeat_adds.to_string()]);
    }
    if r.opts.checker_budget != CHECKER_BUDGET {
        w.extend(["--checker-budget-ms".into(), r.opts.checker_budget.as_millis().to_string()]);
    }
    match cfg.criteria.availability {
        Availability::Any => {}
        Availability::Total => w.extend(["--availability".into(), "total".into()]),
        Availability::AtLeast(p) => w.extend(["--availability".into(), p.to_string()]),
    }
    if cfg.criteria.strict {
        w.push("--strict".into());
    }
    w.extend(["--seed".into(), r.seed.to_string()]);
    if !cfg.node_args.is_empty() {
        w.push("--".into());
        w.extend(cfg.node_args.iter().cloned());
    }
    w.iter().map(|s| shell_word(s)).collect::<Vec<_>>().join(" ")
}

/// The configuration and problems as JSON; `reproduce` is the command line that repeats the run
/// (a `test` one from [`reproduce`], or the simulator's replay command).
pub fn meta(cfg: &TestConfig, reproduce: &str, problems: &[String]) -> Value {
    let r = &cfg.run;
    let bin = std::fs::canonicalize(&cfg.bin).unwrap_or_else(|_| cfg.bin.clone());
    let file = std::fs::metadata(&bin).ok();
    json!({
        "workload": r.workload.name(),
        "reproduce": reproduce,
        "argv": std::env::args().collect::<Vec<_>>(),
        "bin": bin.display().to_string(),
        "bin-size": file.as_ref().map(std::fs::Metadata::len),
        "bin-modified": file.and_then(|m| m.modified().ok()).and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| crate::output::stamp::timestamp(UNIX_EPOCH + d)),
        "node-args": cfg.node_args,
        "nodes": r.nodes,
        "concurrency": r.concurrency,
        "rate": r.rate,
        "time-limit": r.time_limit.as_secs_f64(),
        "latency": format!("{} ms {}", r.latency.mean_ms, lower_debug(r.latency.dist)),
        "nemesis": r.nemesis.names(),
        "nemesis-interval": r.nemesis_interval.as_secs_f64(),
        "topology": lower_debug(r.topology),
        "availability": lower_debug(cfg.criteria.availability),
        "strict": cfg.criteria.strict,
        "key-count": r.opts.key_count,
        "max-writes-per-key": r.opts.max_writes_per_key,
        "max-txn-length": r.opts.max_txn_length,
        "consistency-models": r.opts.consistency_models,
        "repeat-adds": r.opts.repeat_adds,
        "checker-budget-ms": r.opts.checker_budget.as_millis() as u64,
        "seed": r.seed,
        "glomers-bench": env!("CARGO_PKG_VERSION"),
        "platform": format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS),
        "problems": problems,
    })
}

/// Writes `dir/run.json`.
///
/// # Errors
/// [`FileError::Write`] when it cannot be written.
pub fn write_meta(
    dir: &Path,
    cfg: &TestConfig,
    reproduce: &str,
    problems: &[String],
) -> Result<(), FileError> {
    let path = dir.join(super::META);
    let text = serde_json::to_string_pretty(&meta(cfg, reproduce, problems)).unwrap_or_default();
    std::fs::write(&path, text).map_err(|cause| FileError::Write { path, cause })
}
