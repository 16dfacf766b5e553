//! `glomers-bench check DIR` (Maelstrom's `analyze`): a stored run judged again from its history
//! (`history.jsonl`) and configuration (`run.json`) by today's checkers. The sections a history
//! decides are replaced in `results.json` (`net` and `glomers`, which the run itself measured,
//! are kept), `results.edn` and `run.json`'s problems are rewritten, and [`Recheck::changes`]
//! says what differs from the stored verdict.

use super::Checks;
use crate::core::checkers::verdict::Validity;
use crate::core::checkers::{Availability, Criteria};
use crate::core::history::History;
use crate::core::workloads::{WorkloadConfig, WorkloadKind};
use crate::output::html::{self, META};
use crate::output::{edn, FileError};
use serde_json::{json, Map, Value};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a directory cannot be judged again.
#[derive(Debug)]
pub enum RecheckError {
    /// It is not a run directory: a file a run always leaves is missing.
    NotARun {
        /// The directory.
        dir: PathBuf,
        /// The missing file.
        missing: &'static str,
    },
    /// `run.json` does not say what the run was (not JSON, or no known workload).
    BadMeta {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// A file of the run could not be read or written.
    File(FileError),
}

impl fmt::Display for RecheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecheckError::NotARun { dir, missing } => write!(
                f,
                "{} is not a run directory: it has no {missing} (give a directory like store/latest or \
                 store/<workload>/<time>)",
                dir.display()
            ),
            RecheckError::BadMeta { path, why } => write!(f, "{}: {why}", path.display()),
            RecheckError::File(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for RecheckError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RecheckError::File(e) => Some(e),
            _ => None,
        }
    }
}

/// A run judged again: its results before (`null` if it had none) and after, and its problems.
#[derive(Debug, Clone)]
pub struct Recheck {
    /// The stored results.
    pub before: Value,
    /// The new results.
    pub after: Value,
    /// The stored problems.
    pub problems_before: Vec<String>,
    /// The new problems.
    pub problems_after: Vec<String>,
}

impl Recheck {
    /// The new verdict.
    pub fn valid(&self) -> Validity {
        Validity::from_json(&self.after["valid?"])
    }

    /// What changed, a line each: the verdict, each section whose fields differ (with the
    /// fields), and the problems added and gone. Empty when nothing changed.
    pub fn changes(&self) -> Vec<String> {
        let mut out = Vec::new();
        let word = |v: &Value| {
            if v.is_null() {
                "none".to_owned()
            } else {
                super::word(Validity::from_json(v)).to_owned()
            }
        };
        if self.before["valid?"] != self.after["valid?"] {
            out.push(format!("verdict: {} -> {}", word(&self.before["valid?"]), word(&self.after["valid?"])));
        }
        let empty = Map::new();
        let sections = |v: &Value| v.as_object().cloned().unwrap_or_default();
        let (before, after) = (sections(&self.before), sections(&self.after));
        for (name, new) in &after {
            let old = before.get(name).unwrap_or(&Value::Null);
            if old == new || !new.is_object() {
                continue;
            }
            let (o, n) = (old.as_object().unwrap_or(&empty), new.as_object().unwrap_or(&empty));
            let mut fields: Vec<String> = n
                .iter()
                .filter(|(k, v)| o.get(*k) != Some(*v))
                .map(|(k, v)| match (o.get(k), v) {
                    (Some(a), b) if is_scalar(a) && is_scalar(b) => format!("{k} {a} -> {b}"),
                    (None, _) => format!("{k} (new)"),
                    _ => k.clone(),
                })
                .collect();
            fields.extend(o.keys().filter(|k| !n.contains_key(*k)).map(|k| format!("{k} (gone)")));
            if old.is_null() {
                out.push(format!("{name}: new section"));
            } else {
                out.push(format!("{name}: {}", fields.join(", ")));
            }
        }
        for p in self.problems_after.iter().filter(|p| !self.problems_before.contains(p)) {
            out.push(format!("new problem: {p}"));
        }
        for p in self.problems_before.iter().filter(|p| !self.problems_after.contains(p)) {
            out.push(format!("problem gone: {p}"));
        }
        out
    }
}

fn is_scalar(v: &Value) -> bool {
    !(v.is_object() || v.is_array())
}

fn write(path: &Path, text: String) -> Result<(), RecheckError> {
    std::fs::write(path, text)
        .map_err(|cause| RecheckError::File(FileError::Write { path: path.to_path_buf(), cause }))
}

fn read_json(path: &Path) -> Result<Value, RecheckError> {
    let text = std::fs::read_to_string(path)
        .map_err(|cause| RecheckError::File(FileError::Read { path: path.to_path_buf(), cause }))?;
    serde_json::from_str(&text)
        .map_err(|e| RecheckError::BadMeta { path: path.to_path_buf(), why: format!("not JSON: {e}") })
}

/// The checker settings `run.json` records.
fn config(meta: &Value) -> WorkloadConfig {
    let mut cfg = WorkloadConfig::for_checking();
    cfg.nodes =
        meta["nodes"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect();
    cfg.concurrency = meta["concurrency"].as_u64().map_or(1, |c| c as usize);
    cfg.rate = meta["rate"].as_f64().unwrap_or(0.0);
    let latency = meta["latency"].as_str().and_then(|l| l.split(' ').next()).and_then(|n| n.parse().ok());
    cfg.latency_ms = latency.unwrap_or(0);
    cfg.opts.key_count = meta["key-count"].as_u64();
    if let Some(w) = meta["max-writes-per-key"].as_u64() {
        cfg.opts.max_writes_per_key = w;
    }
    if let Some(l) = meta["max-txn-length"].as_u64() {
        cfg.opts.max_txn_length = l;
    }
    if let Some(m) = meta["consistency-models"].as_str() {
        cfg.opts.consistency_models = m.to_owned();
    }
    if let Some(r) = meta["repeat-adds"].as_f64() {
        cfg.opts.repeat_adds = r;
    }
    if let Some(b) = meta["checker-budget-ms"].as_u64() {
        cfg.opts.checker_budget = Duration::from_millis(b);
    }
    cfg
}

/// The criteria `run.json` records (`availability` as written by `meta.rs`: `any`, `total`,
/// `atleast(0.5)`); `strict` overrides its `strict`.
fn criteria(meta: &Value, strict: Option<bool>) -> Criteria {
    let availability = match meta["availability"].as_str() {
        Some("total") => Availability::Total,
        Some(a) => a
            .strip_prefix("atleast(")
            .and_then(|a| a.strip_suffix(')'))
            .and_then(|p| p.parse().ok())
            .map_or(Availability::Any, Availability::AtLeast),
        None => Availability::Any,
    };
    Criteria { availability, strict: strict.unwrap_or(meta["strict"].as_bool().unwrap_or(false)) }
}

/// Judges the run in `dir` again and rewrites its results, `run.json`'s problems and its
/// report; `strict` overrides the run's own `--strict`.
///
/// # Errors
/// [`RecheckError`]: `dir` is not a run directory, its `run.json` names no known workload, or a
/// file could not be read or written.
pub fn recheck(dir: &Path, strict: Option<bool>) -> Result<Recheck, RecheckError> {
    for missing in ["history.jsonl", META] {
        if !dir.join(missing).is_file() {
            return Err(RecheckError::NotARun { dir: dir.to_path_buf(), missing });
        }
    }
    let meta_path = dir.join(META);
    let mut meta = read_json(&meta_path)?;
    let name = meta["workload"].as_str().unwrap_or("");
    let kind = WorkloadKind::from_name(name).ok_or_else(|| RecheckError::BadMeta {
        path: meta_path.clone(),
        why: format!("workload {name:?} is not one this bench judges"),
    })?;
    let history =
        History { events: html::read_history(&dir.join("history.jsonl")).map_err(RecheckError::File)? };
    let before =
        if dir.join("results.json").is_file() { read_json(&dir.join("results.json"))? } else { Value::Null };
    let criteria = criteria(&meta, strict);
    let checks = Checks::new(kind.build(&config(&meta)).check(&history), &history, criteria);
    // A run that crashed has no results.json: it gets the sections its history decides.
    let mut after = match &before {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    after.extend(checks.to_results_json());
    let after = Value::Object(after);
    let problems_before: Vec<String> = meta["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    let problems_after = checks.problems();
    write(&dir.join("results.json"), serde_json::to_string_pretty(&after).unwrap_or_default())?;
    write(&dir.join("results.edn"), edn::results_edn(&after))?;
    meta["problems"] = json!(problems_after);
    meta["strict"] = json!(criteria.strict);
    write(&meta_path, serde_json::to_string_pretty(&meta).unwrap_or_default())?;
    html::after_run(dir);
    Ok(Recheck { before, after, problems_before, problems_after })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checker_settings_of_run_json_are_the_ones_judged_with() {
        let meta = json!({"workload": "g-set", "nodes": ["n0"], "repeat-adds": 0.25, "checker-budget-ms": 7,
                          "consistency-models": "read-committed", "key-count": 3});
        let cfg = config(&meta);
        assert_eq!(cfg.opts.repeat_adds, 0.25);
        assert_eq!(cfg.opts.checker_budget, Duration::from_millis(7));
        assert_eq!((cfg.opts.consistency_models.as_str(), cfg.opts.key_count), ("read-committed", Some(3)));
        // An older run.json without them: the defaults it was judged with.
        let old = config(&json!({"workload": "lin-kv"}));
        assert_eq!(old.opts.checker_budget, crate::core::workloads::CHECKER_BUDGET);
        assert_eq!(old.opts.repeat_adds, 0.0);
    }
}
