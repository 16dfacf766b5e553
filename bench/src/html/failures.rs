//! Each reason for an invalid or unknown verdict, in plain words, with the history operations it
//! involves: taken from `run.json` (the words the console printed) or, for older runs, found again
//! by running the checkers over the history; the operations are found from the structured
//! results (error lists, lost values, duplicated ids, anomaly examples).

use super::data::RunData;
use crate::checkers;
use crate::history::{History, Kind};
use crate::workloads::{self, WorkloadConfig};
use serde_json::Value;
use std::collections::HashMap;

/// Links shown per failure at most.
const MAX_LINKS: usize = 8;

/// One failure.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// What went wrong.
    pub text: String,
    /// Invocation indices of the operations involved.
    pub ops: Vec<usize>,
}

/// Maps each event index to the index of its operation's invocation.
pub fn invocation_of(history: &History) -> HashMap<usize, usize> {
    let mut m = HashMap::new();
    for p in history.pairs() {
        m.insert(p.invoke.index, p.invoke.index);
        if let Some(c) = p.complete {
            m.insert(c.index, p.invoke.index);
        }
    }
    m
}

/// The problem texts: as recorded, else recomputed (workload checker and stats).
pub fn problem_texts(data: &RunData, workload: &str) -> Vec<String> {
    if let Some(list) = data.meta.as_ref().and_then(|m| m["problems"].as_array()) {
        return list.iter().filter_map(Value::as_str).map(str::to_owned).collect();
    }
    let mut out = Vec::new();
    if data.results["valid?"] == Value::Bool(true) {
        return out;
    }
    if let Some(w) = workloads::build(workload, &WorkloadConfig::probe()) {
        out.extend(w.check(&data.history).problems);
    }
    out.extend(checkers::stats(&data.history).problems);
    out
}

/// Every history operation named inside a JSON value: objects carrying an `index` and an `f` or
/// `type`, as the checkers copy events into their results.
pub fn ops_in(v: &Value, out: &mut Vec<usize>) {
    match v {
        Value::Object(m) => {
            if let (Some(i), true) =
                (m.get("index").and_then(Value::as_u64), m.contains_key("f") || m.contains_key("type"))
            {
                out.push(i as usize);
            }
            m.values().for_each(|x| ops_in(x, out));
        }
        Value::Array(xs) => xs.iter().for_each(|x| ops_in(x, out)),
        _ => {}
    }
}

fn lost_value_ops(history: &History, value: &Value) -> Vec<usize> {
    let mut ops = Vec::new();
    let (mut last_present, mut last_absent) = (None, None);
    for p in history.pairs() {
        match p.invoke.f.as_str() {
            "broadcast" if &p.invoke.value == value => ops.push(p.invoke.index),
            "read" => {
                let Some(c) = p.complete.filter(|c| c.kind == Kind::Ok) else { continue };
                let has = c.value.as_array().is_some_and(|xs| xs.contains(value));
                if has {
                    last_present = Some(p.invoke.index);
                } else if last_present.is_some() || !ops.is_empty() {
                    last_absent = Some(p.invoke.index);
                }
            }
            _ => {}
        }
    }
    ops.extend(last_present);
    ops.extend(last_absent);
    ops
}

fn links(data: &RunData, text: &str, i: usize, errors: &[Value]) -> Vec<usize> {
    let h = &data.history;
    let mut ops = Vec::new();
    if let Some(rest) = text.strip_prefix("value ") {
        // broadcast: "value 7, acknowledged by …"
        if let Some(v) = rest.split(',').next().and_then(|v| serde_json::from_str::<Value>(v).ok()) {
            ops = lost_value_ops(h, &v);
        }
    } else if let Some(rest) = text.strip_prefix("id ") {
        // unique-ids: "id 12 was generated 2 times: …"
        if let Some(id) = rest.split(" was generated").next() {
            ops.extend(
                h.completions()
                    .filter(|e| e.kind == Kind::Ok && *e.value.to_string() == *id)
                    .map(|e| e.index),
            );
        }
    } else if let Some(f) = text.strip_prefix("no ").and_then(|r| r.split(" operation ever succeeded").next())
    {
        ops.extend(h.events.iter().filter(|e| e.kind == Kind::Invoke && e.f == f).take(3).map(|e| e.index));
    } else if text.starts_with("availability ") {
        ops.extend(h.completions().find(|e| e.kind != Kind::Ok).map(|e| e.index));
    } else if let Some(e) = errors.get(i) {
        // echo and g-counter list one error per problem, in order.
        ops_in(e, &mut ops);
    }
    ops
}

/// The failures of a run, each with its operations.
pub fn failures(data: &RunData, workload: &str) -> Vec<Failure> {
    let inv = invocation_of(&data.history);
    let errors: Vec<Value> = data.results["workload"]["errors"].as_array().cloned().unwrap_or_default();
    problem_texts(data, workload)
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let mut ops: Vec<usize> =
                links(data, &text, i, &errors).into_iter().filter_map(|x| inv.get(&x).copied()).collect();
            ops.sort_unstable();
            ops.dedup();
            ops.truncate(MAX_LINKS);
            Failure { text, ops }
        })
        .collect()
}
