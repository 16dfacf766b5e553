//! Each reason for an invalid or unknown verdict, in plain words, with the history operations it
//! involves: taken from `run.json` (the words the console printed) or, for older runs, found again
//! by running the checkers over the history; the operations are found from the structured
//! results (error lists, lost values, duplicated ids, anomaly examples).

use super::data::RunData;
use crate::core::checkers;
use crate::core::checkers::verdict::Validity;
use crate::core::history::{History, Kind};
use crate::core::workloads::{WorkloadConfig, WorkloadKind};
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
    if Validity::from_json(&data.results["valid?"]) == Validity::Valid {
        return out;
    }
    if let Some(kind) = WorkloadKind::from_name(workload) {
        out.extend(kind.build(&WorkloadConfig::for_checking()).check(&data.history).problems);
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

/// What a problem's words point at.
enum Ref {
    /// A lost broadcast value (`value 7, acknowledged by …`).
    Lost(Value),
    /// A duplicated unique id (`id 12 was generated 2 times: …`), as JSON text.
    Id(String),
    /// A function that never succeeded (`no read operation ever succeeded …`).
    NoOk(String),
    /// The availability shortfall: its first operation that did not succeed.
    FirstNotOk,
    /// History indices written `#N` (the kafka and txn checkers name operations so).
    Indices(Vec<usize>),
    /// The `i`th entry of the workload's `errors` (echo and g-counter list one per problem).
    Error(usize),
}

/// Every `#N` in a sentence.
fn hash_indices(text: &str) -> Vec<usize> {
    text.split('#')
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

fn parse_ref(text: &str, i: usize) -> Ref {
    if let Some(v) = text.strip_prefix("value ").and_then(|r| r.split(',').next()) {
        if let Ok(v) = serde_json::from_str::<Value>(v) {
            return Ref::Lost(v);
        }
    }
    if let Some(id) = text.strip_prefix("id ").and_then(|r| r.split(" was generated").next()) {
        return Ref::Id(id.to_owned());
    }
    if let Some(f) = text.strip_prefix("no ").and_then(|r| r.split(" operation ever succeeded").next()) {
        return Ref::NoOk(f.to_owned());
    }
    if text.starts_with("availability ") {
        return Ref::FirstNotOk;
    }
    let indices = hash_indices(text);
    if !indices.is_empty() {
        return Ref::Indices(indices);
    }
    Ref::Error(i)
}

/// A value as a hash key: integers (every broadcast value in practice) without formatting.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Int(i64),
    Text(String),
}

fn key(v: &Value) -> Key {
    v.as_i64().map_or_else(|| Key::Text(v.to_string()), Key::Int)
}

/// For each lost value: its broadcast, the last ok read holding it, and a later read missing it;
/// one pass over the history for all of them.
fn lost_links(history: &History, lost: &[&Value]) -> HashMap<Key, Vec<usize>> {
    let keys: HashMap<Key, usize> = lost.iter().enumerate().map(|(k, v)| (key(v), k)).collect();
    let mut add = vec![None; lost.len()];
    let mut present = vec![None; lost.len()];
    let mut absent = vec![None; lost.len()];
    let mut has = vec![false; lost.len()];
    for p in history.pairs() {
        match p.invoke.f.as_str() {
            // Broadcast's adds, or g-set's (only set-full results have lost values).
            "broadcast" | "add" => {
                if let Some(a) = keys.get(&key(&p.invoke.value)).and_then(|&k| add.get_mut(k)) {
                    *a = Some(p.invoke.index);
                }
            }
            "read" => {
                let Some(c) = p.complete.filter(|c| c.kind == Kind::Ok) else { continue };
                has.iter_mut().for_each(|h| *h = false);
                for x in c.value.as_array().into_iter().flatten() {
                    if let Some(h) = keys.get(&key(x)).and_then(|&k| has.get_mut(k)) {
                        *h = true;
                    }
                }
                for (k, h) in has.iter().enumerate() {
                    let slot = if *h { present.get_mut(k) } else { absent.get_mut(k) };
                    if let Some(slot) = slot {
                        *slot = Some(p.invoke.index);
                    }
                }
            }
            _ => {}
        }
    }
    keys.into_iter()
        .map(|(key, k)| {
            let ops = [add.get(k), present.get(k), absent.get(k)]
                .into_iter()
                .flatten()
                .flatten()
                .copied()
                .collect();
            (key, ops)
        })
        .collect()
}

/// The failures of a run, each with its operations; operations are looked up for the first
/// `limit` only (the rest are listed nowhere but results.json).
pub fn failures(data: &RunData, workload: &str, limit: usize) -> Vec<Failure> {
    let h = &data.history;
    let inv = invocation_of(h);
    let errors: Vec<Value> = data.results["workload"]["errors"].as_array().cloned().unwrap_or_default();
    let texts = problem_texts(data, workload);
    let refs: Vec<Ref> = texts.iter().take(limit).enumerate().map(|(i, t)| parse_ref(t, i)).collect();
    let lost: Vec<&Value> =
        refs.iter().filter_map(|r| if let Ref::Lost(v) = r { Some(v) } else { None }).collect();
    let lost = if lost.is_empty() { HashMap::new() } else { lost_links(h, &lost) };
    let ids: HashMap<&str, Vec<usize>> = {
        let mut m: HashMap<&str, Vec<usize>> = refs
            .iter()
            .filter_map(|r| if let Ref::Id(id) = r { Some((id.as_str(), Vec::new())) } else { None })
            .collect();
        if !m.is_empty() {
            for e in h.completions().filter(|e| e.kind == Kind::Ok) {
                if let Some(v) = m.get_mut(e.value.to_string().as_str()) {
                    v.push(e.index);
                }
            }
        }
        m
    };
    texts
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let raw: Vec<usize> = match refs.get(i) {
                None => Vec::new(),
                Some(Ref::Lost(v)) => lost.get(&key(v)).cloned().unwrap_or_default(),
                Some(Ref::Id(id)) => ids.get(id.as_str()).cloned().unwrap_or_default(),
                Some(Ref::NoOk(f)) => h
                    .events
                    .iter()
                    .filter(|e| e.kind == Kind::Invoke && &e.f == f)
                    .take(3)
                    .map(|e| e.index)
                    .collect(),
                Some(Ref::FirstNotOk) => {
                    h.completions().find(|e| e.kind != Kind::Ok).map(|e| e.index).into_iter().collect()
                }
                Some(Ref::Indices(ix)) => ix.clone(),
                Some(Ref::Error(k)) => {
                    let mut ops = Vec::new();
                    if let Some(e) = errors.get(*k) {
                        ops_in(e, &mut ops);
                    }
                    ops
                }
            };
            let mut ops: Vec<usize> = raw.into_iter().filter_map(|x| inv.get(&x).copied()).collect();
            ops.sort_unstable();
            ops.dedup();
            ops.truncate(MAX_LINKS);
            Failure { text, ops }
        })
        .collect()
}

#[cfg(test)]
mod hash_tests {
    use super::*;

    #[test]
    fn kafka_and_txn_sentences_point_at_their_operations() {
        let kafka = "key 3: offset 1002 holds message 9 in poll #812 (process 4) but message 11 in poll #907";
        assert!(matches!(parse_ref(kafka, 0), Ref::Indices(ix) if ix == [812, 907]));
        let txn = "G1a: txn #40 (process 2, ok) [r 1 3] read key 1 = 3, written by txn #12 (process 0, fail)";
        assert!(matches!(parse_ref(txn, 0), Ref::Indices(ix) if ix == [40, 12]));
        assert!(matches!(parse_ref("a sentence with # but no index", 3), Ref::Error(3)));
    }
}
