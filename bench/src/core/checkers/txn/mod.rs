//! The `txn-rw-register` checker (docs/protocol.md §7.6): Elle's rw-register analysis as Maelstrom
//! runs it, with versions inferred only from "null comes first" and "writes follow reads".
//!
//! Layout: `parse` (transactions from the history), `versions` (version order,
//! `cyclic-versions`), `graph` (dependency edges), `cycles` (SCCs, shortest paths),
//! `search` (cycle anomalies), `anomalies` (G1a, G1b, internal, lost-update), `models`
//! (what each consistency model prohibits), `stricter` (an optional stricter version order,
//! reported under `stricter-version-order` and never deciding the verdict).
//!
//! Validity follows Maelstrom: the anomalies worth reporting are those the chosen models
//! prohibit plus `empty-transaction-graph`; the run is valid only if none was found. The result
//! map has Elle's keys (`valid?`, `anomaly-types`, `anomalies`, `not`, `also-not`).

mod anomalies;
mod cycles;
mod graph;
mod models;
mod parse;
mod search;
mod stricter;
mod versions;

use super::verdict::{Checked, Section, Validity};
use crate::core::history::History;
use anomalies::Case;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

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
    /// The models ruled out (`not`).
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

/// Checks a history against `models` (the `--consistency-models` text).
pub fn check(history: &History, models: &str) -> Checked<TxnResult> {
    let unknown = |why: String| Checked {
        valid: Validity::Unknown,
        result: TxnResult::Unreadable(why.clone()),
        problems: vec![why],
    };
    let models = match models::parse(models) {
        Ok(m) => m,
        Err(why) => return unknown(why),
    };
    let txns = match parse::transactions(history) {
        Ok(t) => t,
        Err(why) => return unknown(format!("the checker cannot read a transaction: {why}")),
    };
    let order = models::order_needed(&models);
    let (versions, cyclic) = versions::infer(&txns);
    let g = graph::Graph::build(&txns, &versions, history, order);

    let mut found: BTreeMap<String, Vec<Case>> = BTreeMap::new();
    let mut add = |name: &str, cases: Vec<Case>| {
        if !cases.is_empty() {
            found.entry(name.to_owned()).or_default().extend(cases);
        }
    };
    add("G1a", anomalies::g1a(&txns));
    add("G1b", anomalies::g1b(&txns));
    add("internal", anomalies::internal(&txns));
    add("lost-update", anomalies::lost_update(&txns));
    add("cyclic-versions", cyclic.iter().map(|c| Case { json: c.to_json(), text: c.explain() }).collect());
    for c in search::cycles(&g, order) {
        let case = Case { json: c.to_json(&g), text: c.explain(&g) };
        add(&c.name.clone(), vec![case]);
    }
    if g.edge_count() == 0 {
        let text = "empty-transaction-graph: no dependency between any two ok transactions could be \
                    inferred, so nothing was checked"
            .to_owned();
        add("empty-transaction-graph", vec![Case { json: json!(true), text }]);
    }
    let (found, problems) = reportable(&models, found);
    let stricter = stricter::check(&txns, &versions, history, SHOWN);
    Checked {
        valid: Validity::from_ok(found.is_none()),
        result: TxnResult::Analysed { found, stricter },
        problems,
    }
}

/// The anomalies the models prohibit (none when valid), and the problems.
fn reportable(
    models: &[models::Model],
    found: BTreeMap<String, Vec<Case>>,
) -> (Option<Anomalies>, Vec<String>) {
    let types: Vec<String> = found
        .keys()
        .filter(|a| *a == "empty-transaction-graph" || models.iter().any(|m| models::prohibits(m, a)))
        .cloned()
        .collect();
    if types.is_empty() {
        return (None, Vec::new());
    }
    let mut shown = Map::new();
    let mut problems = Vec::new();
    for name in &types {
        let cases = found.get(name).map(Vec::as_slice).unwrap_or_default();
        if name == "empty-transaction-graph" {
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

#[cfg(test)]
mod tests;
