//! The `txn-rw-register` checker (MAELSTROM.md §7.6): Elle's rw-register analysis as Maelstrom
//! runs it, with versions inferred only from "null comes first" and "writes follow reads".
//!
//! Layout: [`parse`] (transactions from the history), [`versions`] (version order,
//! `cyclic-versions`), [`graph`] (dependency edges), [`cycles`] (SCCs, shortest paths),
//! [`search`] (cycle anomalies), [`anomalies`] (G1a, G1b, internal, lost-update), [`models`]
//! (what each consistency model prohibits), [`stricter`] (an optional stricter version order,
//! reported under `stricter-version-order` and never deciding the verdict).
//!
//! Validity follows Maelstrom: the anomalies worth reporting are those the chosen models
//! prohibit plus `empty-transaction-graph`; the run is valid only if none was found. The result
//! map has Elle's keys (`valid?`, `anomaly-types`, `anomalies`, `not`, `also-not`).

pub mod anomalies;
pub mod cycles;
pub mod graph;
pub mod models;
pub mod parse;
pub mod search;
pub mod stricter;
pub mod versions;

use crate::core::history::History;
use crate::core::workloads::{Checked, Validity};
use anomalies::Case;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// How many instances of each anomaly the result map and the problems list show.
const SHOWN: usize = 8;

/// Checks a history against `models` (the `--consistency-models` text).
pub fn check(history: &History, models: &str) -> Checked {
    let unknown = |why: String| Checked {
        valid: Validity::Unknown,
        result: json!({"valid?": "unknown", "error": why}),
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
    let mut checked = result(&models, found);
    if let (Some(extra), Some(map)) =
        (stricter::check(&txns, &versions, history, SHOWN), checked.result.as_object_mut())
    {
        map.insert("stricter-version-order".into(), extra);
    }
    checked
}

/// The result map and problems from what was found.
fn result(models: &[models::Model], found: BTreeMap<String, Vec<Case>>) -> Checked {
    let reportable: Vec<&String> = found
        .keys()
        .filter(|a| *a == "empty-transaction-graph" || models.iter().any(|m| models::prohibits(m, a)))
        .collect();
    if reportable.is_empty() {
        return Checked { valid: Validity::Valid, result: json!({"valid?": true}), problems: Vec::new() };
    }
    let mut anomalies = Map::new();
    let mut problems = Vec::new();
    for name in &reportable {
        let cases = found.get(*name).map(Vec::as_slice).unwrap_or_default();
        if *name == "empty-transaction-graph" {
            anomalies.insert((*name).clone(), json!(true));
        } else {
            let shown: Vec<Value> = cases.iter().take(SHOWN).map(|c| c.json.clone()).collect();
            anomalies.insert((*name).clone(), Value::Array(shown));
        }
        problems.extend(cases.iter().take(3).map(|c| c.text.clone()));
        if cases.len() > 3 {
            problems.push(format!("{name}: … and {} more", cases.len() - 3));
        }
    }
    let all: Vec<&str> = found.keys().map(String::as_str).collect();
    let (not, also_not) = models::boundary(&all);
    let counts: Map<String, Value> = found.iter().map(|(k, v)| (k.clone(), json!(v.len()))).collect();
    Checked {
        valid: Validity::Invalid,
        result: json!({
            "valid?": false,
            "anomaly-types": reportable,
            "anomalies": anomalies,
            "anomaly-counts": counts,
            "not": not,
            "also-not": also_not,
        }),
        problems,
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
