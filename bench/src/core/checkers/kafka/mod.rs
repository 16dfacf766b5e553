//! The kafka checker (docs/protocol.md §7.5): Jepsen's `jepsen.tests.kafka` analysis without
//! write-write inference, on histories of one-micro-op `send`/`poll` operations and `assign`s.
//! `ops` parses the history once; `orders` builds each key's log; `monotonic`, `reads`
//! and `lag` find the anomalies; this module condenses them into Maelstrom's result map; `seen`
//! gives the report's pictures what they draw.

mod intmap;
mod lag;
mod monotonic;
mod ops;
mod orders;
mod reads;
mod seen;

pub use seen::{realtime_lags, sightings, Sighting};

use super::verdict::{Checked, Section, Validity};
use crate::core::history::{History, Kind};
use ops::{Msg, Op, Parsed};
use orders::Orders;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Examples kept per anomaly in `errs`.
const SHOWN: usize = 8;

/// One case of an anomaly.
#[derive(Debug)]
struct Case {
    /// Jepsen's error map, for `errs`.
    data: Value,
    /// The case in one plain sentence.
    sentence: String,
    /// How severe it is, for picking examples (a skip's delta, a duplicate's count…).
    rank: i64,
}

/// Cases by anomaly name.
type Found = BTreeMap<&'static str, Vec<Case>>;

/// What the kafka checker found.
#[derive(Debug, Clone, PartialEq)]
pub struct KafkaResult {
    /// The anomalies found, each failing the test (`error-types`, `bad-error-types`).
    pub error_types: Vec<&'static str>,
    /// Each anomaly's Jepsen data (`{count, errs}`, or unseen's counts and messages), written as
    /// is.
    pub anomalies: BTreeMap<&'static str, Value>,
    /// Polled messages no send could have written, if any (`{count, errs}`).
    pub unknown_messages: Option<Value>,
    /// The distinct errors of indeterminate sends and polls.
    pub info_txn_causes: Vec<Value>,
    /// The worst real-time lag of a poll.
    pub worst_realtime_lag: Value,
}

impl Section for KafkaResult {
    fn to_results_json(&self, valid: Validity) -> Value {
        let mut result = Map::new();
        if let Some(data) = &self.unknown_messages {
            result.insert("unknown-messages".into(), data.clone());
        }
        result.insert("valid?".into(), valid.to_json());
        result.insert("error-types".into(), json!(self.error_types));
        result.insert("bad-error-types".into(), json!(self.error_types));
        result.insert("info-txn-causes".into(), json!(self.info_txn_causes));
        result.insert("worst-realtime-lag".into(), self.worst_realtime_lag.clone());
        for (name, data) in &self.anomalies {
            result.insert((*name).to_owned(), data.clone());
        }
        Value::Object(result)
    }
}

/// Checks a kafka history.
pub fn check(history: &History) -> Checked<KafkaResult> {
    let p = Parsed::new(history);
    let orders = Orders::new(&p);
    let mut found = Found::new();
    orders::inconsistent_offsets(&p, &orders, &mut found);
    orders::duplicates(&p, &orders, &mut found);
    monotonic::check(&p, &orders, &mut found);
    reads::lost_writes(&p, &orders, &mut found);
    let phantoms = reads::writers_of_reads(&p, &mut found);

    let mut sections: BTreeMap<&'static str, (Value, String)> =
        found.into_iter().map(|(name, cases)| (name, condense(name, cases))).collect();
    if let Some(unseen) = reads::unseen(&p) {
        sections.insert("unseen", unseen);
    }
    // Every anomaly found here fails the test: the allowed ones (G0 and the PL-1 cycles) need
    // write-write inference, which Maelstrom turns off.
    let error_types: Vec<&'static str> = sections.keys().copied().collect();
    let mut problems: Vec<String> = sections.values().map(|(_, s)| s.clone()).collect();
    let mut valid = Validity::from_ok(error_types.is_empty());
    let mut unknown_messages = None;
    if !phantoms.is_empty() {
        let (data, sentence) = condense("unknown-messages", phantoms);
        problems
            .push(format!("{sentence}; Jepsen's checker stops on such a message, so the verdict is unknown"));
        unknown_messages = Some(data);
        valid = valid.and(Validity::Unknown);
    }
    if let Some(first) = p.malformed.first() {
        problems.push(format!(
            "{} history event(s) had a value of an unexpected shape and were skipped (the first: #{first})",
            p.malformed.len()
        ));
        valid = valid.and(Validity::Unknown);
    }
    let result = KafkaResult {
        error_types,
        anomalies: sections.into_iter().map(|(name, (data, _))| (name, data)).collect(),
        unknown_messages,
        info_txn_causes: info_txn_causes(&p),
        worst_realtime_lag: lag::worst(&p),
    };
    Checked { valid, result, problems }
}

/// `{count, errs}` with the most telling examples, and the anomaly in one sentence.
fn condense(name: &str, mut cases: Vec<Case>) -> (Value, String) {
    let count = cases.len();
    match name {
        // Jepsen shows the widest skips and the deepest regressions.
        "poll-skip" | "int-poll-skip" | "duplicate" | "inconsistent-offsets" => {
            cases.sort_by_key(|c| std::cmp::Reverse(c.rank))
        }
        "nonmonotonic-poll" | "int-nonmonotonic-poll" | "nonmonotonic-send" => cases.sort_by_key(|c| c.rank),
        _ => {}
    }
    cases.truncate(SHOWN);
    let errs: Vec<Value> = cases.iter().map(|c| c.data.clone()).collect();
    let first = cases.first().map(|c| c.sentence.as_str()).unwrap_or_default();
    let sentence = match count {
        1 => format!("{name}: {first}"),
        n => format!("{name}: {n} cases, e.g. {first}"),
    };
    (json!({"count": count, "errs": errs}), sentence)
}

/// The distinct `error` values of indeterminate sends and polls (`null` for one without).
fn info_txn_causes(p: &Parsed<'_>) -> Vec<Value> {
    let mut causes: Vec<Value> = Vec::new();
    for op in &p.ops {
        let Some(c) = op.complete else { continue };
        if c.kind == Kind::Info && matches!(op.f, ops::F::Send | ops::F::Poll) {
            let cause = c.error.clone().unwrap_or(Value::Null);
            if !causes.contains(&cause) {
                causes.push(cause);
            }
        }
    }
    causes
}

/// An operation in an error map: where it is in the history and how it ended.
fn op_ref(op: &Op<'_>) -> Value {
    let e = op.complete.unwrap_or(op.invoke);
    json!({"index": e.index, "process": op.process(), "type": e.kind.name(), "f": e.f,
           "time": e.time.as_secs_f64()})
}

/// "a", "a but b", "a, b but c".
fn list(items: &[String], conj: &str) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {conj} {last}", rest.join(", ")),
    }
}

/// "message 6", "messages 6, 7", "messages 6, 7, … (40 in all)".
fn list_msgs(msgs: &[Msg]) -> String {
    const MAX: usize = 10;
    let shown: Vec<String> = msgs.iter().take(MAX).map(Msg::to_string).collect();
    match msgs.len() {
        0 => "messages not known".to_owned(),
        1 => format!("message {}", shown.join("")),
        n if n <= MAX => format!("messages {}", shown.join(", ")),
        n => format!("messages {}, … ({n} in all)", shown.join(", ")),
    }
}

#[cfg(test)]
mod tests;
