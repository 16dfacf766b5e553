//! The transaction checkers (docs/protocol.md §7.6, §7.10): Elle's rw-register analysis as
//! Maelstrom runs it (versions inferred only from "null comes first" and "writes follow
//! reads"), and Elle's list-append analysis.
//!
//! Layout: `parse` (transactions from the history, replies that do not answer their request),
//! `versions` (rw-register version order, `cyclic-versions`, its graph), `graph` (the
//! dependency graph both share), `cycles` (SCCs, shortest paths), `search` (cycle anomalies),
//! `exists` (`<model>-cycle-exists` when the search names no cycle that rules a model out),
//! `anomalies` (G1a, G1b, internal, lost-update), `models` (Elle's models and anomalies),
//! `stricter` (an optional stricter version order, reported under `stricter-version-order` and
//! never deciding the verdict).
//!
//! Validity follows Elle: the anomalies worth reporting are those the chosen models prohibit,
//! plus `empty-transaction-graph` and our `invalid-reply`; the run is invalid if a prohibited
//! one (or an invalid reply) was found. An empty graph alone is invalid for rw-register (as
//! Maelstrom's wrapper has it) and unknown for list-append. The result map has Elle's keys
//! (`valid?`, `anomaly-types`, `anomalies`, `not`, `also-not`).

mod anomalies;
pub mod append;
mod cycles;
mod exists;
mod graph;
mod hashing;
mod models;
mod parse;
mod search;
mod stricter;
mod versions;

use super::verdict::{Checked, Section, Validity};
use crate::core::history::History;
use anomalies::Case;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashSet};

/// How many instances of each anomaly the result map and the problems list show.
const SHOWN: usize = 8;

/// What the txn checker found.
#[derive(Debug, Clone, PartialEq)]
pub enum TxnResult {
    /// The models or a transaction could not be read: nothing was checked.
    Unreadable(String),
    /// The history was analysed.
    Analysed {
        /// The anomalies the models prohibit, if any (then the run is invalid).
        found: Option<Anomalies>,
        /// What the optional stricter version order found, never deciding the verdict.
        stricter: Option<Value>,
    },
}

/// The anomalies reported, with Elle's keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Anomalies {
    /// The anomalies the models prohibit (`anomaly-types`).
    pub types: Vec<String>,
    /// Up to 8 instances of each (`anomalies`).
    pub shown: Map<String, Value>,
    /// How many instances of every anomaly found, prohibited or not (`anomaly-counts`).
    pub counts: BTreeMap<String, usize>,
    /// The weakest models ruled out (`not`).
    pub not: Vec<&'static str>,
    /// The stronger models ruled out with them (`also-not`).
    pub also_not: Vec<&'static str>,
}

impl TxnResult {
    /// The anomalies the models prohibit (`anomaly-types`).
    pub fn anomaly_types(&self) -> &[String] {
        match self {
            TxnResult::Analysed { found: Some(a), .. } => &a.types,
            _ => &[],
        }
    }
}

impl Section for TxnResult {
    fn to_results_json(&self, valid: Validity) -> Value {
        let (mut result, stricter) = match self {
            TxnResult::Unreadable(why) => return json!({"valid?": valid.to_json(), "error": why}),
            TxnResult::Analysed { found: None, stricter } => (json!({"valid?": valid.to_json()}), stricter),
            TxnResult::Analysed { found: Some(a), stricter } => (
                json!({
                    "valid?": valid.to_json(),
                    "anomaly-types": a.types,
                    "anomalies": a.shown,
                    "anomaly-counts": a.counts,
                    "not": a.not,
                    "also-not": a.also_not,
                }),
                stricter,
            ),
        };
        if let (Some(extra), Some(map)) = (stricter, result.as_object_mut()) {
            map.insert("stricter-version-order".into(), extra.clone());
        }
        result
    }
}

/// The anomalies found so far, by name, before the models decide which count.
#[derive(Debug, Default)]
pub struct Found(BTreeMap<String, Vec<Case>>);

impl Found {
    /// Records the cases of an anomaly (nothing if there are none).
    pub fn add(&mut self, name: &str, cases: Vec<Case>) {
        if !cases.is_empty() {
            self.0.entry(name.to_owned()).or_default().extend(cases);
        }
    }

    /// Searches `g` for cycle anomalies, and notes an empty graph.
    pub fn cycles<T: graph::Vertex>(&mut self, g: &graph::Graph<'_, T>, order: graph::Order) {
        let (cycles, exist) = search::cycles(g, order);
        for c in cycles {
            let case = Case { json: c.to_json(g), text: c.explain(g) };
            self.add(&c.name.clone(), vec![case]);
        }
        for e in exist {
            self.add(e.name, vec![Case { json: e.to_json(g), text: e.explain(g) }]);
        }
        if g.is_empty() {
            let text = "empty-transaction-graph: no dependency between any two transactions could be \
                        inferred, so nothing was checked"
                .to_owned();
            self.add(EMPTY_GRAPH, vec![Case { json: json!(true), text }]);
        }
    }

    /// Drops the `-cycle-exists` cases whose model the other anomalies found already rule out
    /// (Elle's `remove-redundant-cycle-exists`).
    fn drop_redundant_cycle_exists(&mut self) {
        let others: Vec<&str> =
            self.0.keys().map(String::as_str).filter(|a| exists::model_of(a).is_none()).collect();
        let impossible = models::impossible(&others);
        self.0.retain(|a, _| exists::model_of(a).is_none_or(|m| !impossible.contains(m)));
    }

    /// Records the replies that did not answer their requests.
    pub fn invalid_replies(&mut self, invalid: &[parse::InvalidReply]) {
        self.add(
            INVALID_REPLY,
            invalid.iter().map(|r| Case { json: r.to_json(), text: r.explain() }).collect(),
        );
    }
}

/// Elle's marker for a history with no dependency at all.
const EMPTY_GRAPH: &str = "empty-transaction-graph";

/// A reply whose micro-ops do not answer the request (Maelstrom issue #57); it fails every model.
const INVALID_REPLY: &str = "invalid-reply";

/// The models as read from `--consistency-models`: what they prohibit and the graph they need.
#[derive(Debug, Clone)]
pub struct Judge {
    /// Anomalies the models prohibit.
    prohibited: HashSet<&'static str>,
    /// The extra order the graph needs.
    pub order: graph::Order,
    /// Whether an empty graph alone makes the run invalid (Maelstrom's rw-register wrapper) or
    /// unknown (Elle, list-append).
    empty_is_invalid: bool,
}

impl Judge {
    /// Reads the models.
    ///
    /// # Errors
    /// The sentence naming an unknown model.
    pub fn new(models: &str, empty_is_invalid: bool) -> Result<Self, String> {
        let prohibited = models::prohibited(&models::parse(models)?);
        let order = models::order_needed(&prohibited);
        Ok(Judge { prohibited, order, empty_is_invalid })
    }

    /// Whether the models prohibit `anomaly`.
    pub fn prohibits(&self, anomaly: &str) -> bool {
        anomaly == INVALID_REPLY || self.prohibited.contains(anomaly)
    }

    /// The verdict on what was found, as Elle's result map would have it.
    pub fn verdict(&self, mut found: Found, stricter: Option<Value>) -> Checked<TxnResult> {
        found.drop_redundant_cycle_exists();
        let bad = found.0.keys().any(|a| self.prohibits(a));
        let empty = found.0.contains_key(EMPTY_GRAPH);
        let (anomalies, problems) = self.reportable(found.0);
        let valid = if bad || (empty && self.empty_is_invalid) {
            Validity::Invalid
        } else if anomalies.is_some() {
            Validity::Unknown
        } else {
            Validity::Valid
        };
        Checked { valid, result: TxnResult::Analysed { found: anomalies, stricter }, problems }
    }

    /// The anomalies worth reporting (none when valid), and the problems.
    fn reportable(&self, found: BTreeMap<String, Vec<Case>>) -> (Option<Anomalies>, Vec<String>) {
        let types: Vec<String> =
            found.keys().filter(|a| *a == EMPTY_GRAPH || self.prohibits(a)).cloned().collect();
        if types.is_empty() {
            return (None, Vec::new());
        }
        let mut shown = Map::new();
        let mut problems = Vec::new();
        for name in &types {
            let cases = found.get(name).map(Vec::as_slice).unwrap_or_default();
            if name == EMPTY_GRAPH {
                shown.insert(name.clone(), json!(true));
            } else {
                let first: Vec<Value> = cases.iter().take(SHOWN).map(|c| c.json.clone()).collect();
                shown.insert(name.clone(), Value::Array(first));
            }
            problems.extend(cases.iter().take(3).map(|c| c.text.clone()));
            if cases.len() > 3 {
                problems.push(format!("{name}: … and {} more", cases.len() - 3));
            }
        }
        let all: Vec<&str> = found.keys().map(String::as_str).collect();
        let (not, also_not) = models::boundary(&all);
        let counts = found.iter().map(|(k, v)| (k.clone(), v.len())).collect();
        (Some(Anomalies { types, shown, counts, not, also_not }), problems)
    }
}

/// The verdict when nothing could be checked.
fn unreadable(why: String) -> Checked<TxnResult> {
    Checked { valid: Validity::Unknown, result: TxnResult::Unreadable(why.clone()), problems: vec![why] }
}

/// What both checkers read first: the models, the transactions and the invalid replies.
type Prepared<T> = (Judge, Vec<T>, Vec<parse::InvalidReply>);

/// The models read from `models` and the transactions read by `transactions`.
///
/// # Errors
/// Why they could not be read (then the verdict is unknown).
fn prepare<T>(
    history: &History,
    models: &str,
    empty_is_invalid: bool,
    transactions: fn(&History) -> parse::Parsed<T>,
) -> Result<Prepared<T>, String> {
    let judge = Judge::new(models, empty_is_invalid)?;
    let (txns, invalid) =
        transactions(history).map_err(|why| format!("the checker cannot read a transaction: {why}"))?;
    Ok((judge, txns, invalid))
}

/// Checks a txn-rw-register history against `models` (the `--consistency-models` text).
pub fn check(history: &History, models: &str) -> Checked<TxnResult> {
    let (judge, txns, invalid) = match prepare(history, models, true, parse::transactions) {
        Ok(p) => p,
        Err(why) => return unreadable(why),
    };
    let (versions, cyclic) = versions::infer(&txns);
    let g = versions::graph(&txns, &versions, history, judge.order, graph::WW | graph::WR | graph::RW);
    let mut found = Found::default();
    found.invalid_replies(&invalid);
    found.add("G1a", anomalies::g1a(&txns));
    found.add("G1b", anomalies::g1b(&txns));
    found.add("internal", anomalies::internal(&txns));
    found.add("lost-update", anomalies::lost_update(&txns));
    found.add(
        "cyclic-versions",
        cyclic.iter().map(|c| Case { json: c.to_json(), text: c.explain() }).collect(),
    );
    found.cycles(&g, judge.order);
    let stricter = stricter::check(&txns, &versions, history, SHOWN);
    judge.verdict(found, stricter)
}

#[cfg(test)]
mod agreement;
#[cfg(test)]
mod tests;
