//! What a report is made from, read back from a run directory: `results.json`, `history.jsonl`,
//! the message journal (reduced to server sends per second and type) and `run.json` (the run's
//! configuration and the problems found, written by [`super::write_meta`]).

use super::journal::{lane_kind, Journal, LaneKind};
use crate::core::history::{Event, History, Kind};
use crate::output::FileError;
use crate::shell::rundir::JOURNAL;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything one report shows.
#[derive(Debug, Clone, Default)]
pub struct RunData {
    /// The run directory.
    pub dir: PathBuf,
    /// `results.json`.
    pub results: Value,
    /// The history, in order.
    pub history: History,
    /// Server-to-server sends per second, by message type.
    pub messages: Messages,
    /// The message journal, whole.
    pub journal: Journal,
    /// `run.json`, if the run wrote one (older runs did not).
    pub meta: Option<Value>,
}

/// Server messages (neither end a client) counted per whole second of the run, by body type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Messages {
    /// Type → count in each second (index = second).
    pub per_second: BTreeMap<String, Vec<u64>>,
    /// Sends dropped by a partition.
    pub dropped: u64,
    /// Whether a journal was read at all.
    pub present: bool,
}

impl Messages {
    fn add(&mut self, ty: &str, second: usize) {
        let v = self.per_second.entry(ty.to_owned()).or_default();
        if v.len() <= second {
            v.resize(second + 1, 0);
        }
        if let Some(c) = v.get_mut(second) {
            *c += 1;
        }
    }
}

/// Reads the journal whole (up to its limit) and counts server messages per second over all of
/// it.
fn read_journal(path: &Path) -> (Journal, Messages) {
    let mut m = Messages::default();
    let mut dropped = 0;
    let server = |name: &str| lane_kind(name) != LaneKind::Client;
    let journal = Journal::read(
        path,
        |s| {
            if server(s.src) && server(s.dest) {
                m.add(s.ty, (s.time / 1_000_000_000) as usize);
            }
        },
        || dropped += 1,
    );
    m.dropped = dropped;
    m.present = journal.present;
    (journal, m)
}

/// One history line back into an [`Event`]; `None` for a line that is not one.
pub fn parse_event(v: &Value) -> Option<Event> {
    let kind = match v.get("type")?.as_str()? {
        "invoke" => Kind::Invoke,
        "ok" => Kind::Ok,
        "fail" => Kind::Fail,
        "info" => Kind::Info,
        _ => return None,
    };
    Some(Event {
        index: usize::try_from(v.get("index")?.as_u64()?).ok()?,
        kind,
        f: v.get("f").and_then(Value::as_str).unwrap_or("?").to_owned(),
        value: v.get("value").cloned().unwrap_or(Value::Null),
        process: v.get("process").and_then(Value::as_u64).unwrap_or(0),
        time: Duration::from_nanos(v.get("time").and_then(Value::as_u64).unwrap_or(0)),
        node: v.get("node").and_then(Value::as_str).unwrap_or("").to_owned(),
        final_op: v.get("final?").and_then(Value::as_bool).unwrap_or(false),
        error: v.get("error").cloned(),
        exception: v.get("exception").and_then(Value::as_str).map(str::to_owned),
    })
}

/// Reads `history.jsonl` (lines that do not parse are skipped).
///
/// # Errors
/// [`FileError::Read`] when the file cannot be read.
pub fn read_history(path: &Path) -> Result<Vec<Event>, FileError> {
    let text = read(path)?;
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| parse_event(&v))
        .collect())
}

fn read(path: &Path) -> Result<String, FileError> {
    std::fs::read_to_string(path).map_err(|cause| FileError::Read { path: path.to_path_buf(), cause })
}

fn read_json(path: &Path) -> Result<Value, FileError> {
    serde_json::from_str(&read(path)?).map_err(|cause| FileError::NotJson { path: path.to_path_buf(), cause })
}

/// Loads a run directory.
///
/// # Errors
/// A [`FileError`] when `results.json` or `history.jsonl` is missing or unreadable, or
/// `results.json` is not JSON.
pub fn load(dir: &Path) -> Result<RunData, FileError> {
    let results = read_json(&dir.join("results.json"))?;
    let events = read_history(&dir.join("history.jsonl"))?;
    let (journal, messages) = read_journal(&dir.join(JOURNAL));
    Ok(RunData {
        dir: dir.to_path_buf(),
        results,
        history: History { events },
        messages,
        journal,
        meta: read_json(&dir.join(super::META)).ok(),
    })
}
