//! The list-append anomalies found without the dependency graph: `G1a` (an `ok` read holding an
//! element a failed transaction appended), `G1b` (an `ok` read ending in an element whose
//! appender appended to that key again later), `internal` (a read disagreeing with the
//! transaction's own earlier read or appends), `future-read` (a read holding an element the same
//! transaction appends later), `dirty-update` (a failed append followed, in a key's order, by a
//! committed one) and `lost-update` (two `ok` transactions read the same list of a key and both
//! appended to it).

use super::super::anomalies::Case;
use super::super::graph::Vertex;
use super::super::hashing::FastMap;
use super::super::parse::MicroOp;
use super::orders::Orders;
use super::parse::{Mop, Txn};
use crate::core::history::Kind;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The `ok` transactions.
fn ok(txns: &[Txn]) -> impl Iterator<Item = &Txn> {
    txns.iter().filter(|t| t.kind == Kind::Ok)
}

/// One case about a read `m` of `t` and the transaction `writer` that appended `element`.
fn read_case(label: &str, t: &Txn, m: &Mop, writer: &Txn, element: i64, what: &str) -> Case {
    Case {
        json: json!({"op": t.to_json(), "mop": m.to_json(), "writer": writer.to_json(), "element": element}),
        text: format!(
            "{label}: {} read key {}, holding {element}, {what} {}",
            t.show(),
            m.key(),
            writer.show()
        ),
    }
}

/// `G1a`: `ok` reads holding an element that a failed transaction appended.
pub fn g1a(txns: &[Txn]) -> Vec<Case> {
    let failed: FastMap<(i64, i64), &Txn> = txns
        .iter()
        .filter(|t| t.kind == Kind::Fail)
        .flat_map(|t| {
            t.mops
                .iter()
                .filter_map(move |m| if let Mop::Append(k, v) = m { Some(((*k, *v), t)) } else { None })
        })
        .collect();
    let mut out = Vec::new();
    for t in ok(txns) {
        for m in &t.mops {
            let Mop::Read(k, Some(v)) = m else { continue };
            for e in v {
                if let Some(w) = failed.get(&(*k, *e)) {
                    out.push(read_case(
                        "G1a (aborted read)",
                        t,
                        m,
                        w,
                        *e,
                        "which was appended by the failed (aborted)",
                    ));
                }
            }
        }
    }
    out
}

/// `G1b`: `ok` reads ending in an element its appender followed with another append to the key.
pub fn g1b(txns: &[Txn]) -> Vec<Case> {
    let mut intermediate: FastMap<(i64, i64), &Txn> = FastMap::default();
    for t in txns {
        for (i, m) in t.mops.iter().enumerate() {
            let Mop::Append(k, v) = m else { continue };
            let appended_again =
                t.mops.iter().skip(i + 1).any(|n| matches!(n, Mop::Append(k2, _) if k2 == k));
            if appended_again {
                intermediate.insert((*k, *v), t);
            }
        }
    }
    let mut out = Vec::new();
    for t in ok(txns) {
        for m in &t.mops {
            let Mop::Read(k, Some(v)) = m else { continue };
            let Some(e) = v.last() else { continue };
            if let Some(w) = intermediate.get(&(*k, *e)).filter(|w| w.index != t.index) {
                out.push(read_case(
                    "G1b (intermediate read)",
                    t,
                    m,
                    w,
                    *e,
                    "as its last element, which was followed by another append within",
                ));
            }
        }
    }
    out
}

/// What a transaction expects a key to hold: the whole list, or only its tail.
#[derive(Debug, Clone)]
enum Expected {
    /// Read before, plus what it appended since.
    Known(Vec<i64>),
    /// Only appended: the list must end with these.
    Suffix(Vec<i64>),
}

/// `internal`: an `ok` transaction's read disagreeing with its own earlier read of the key and
/// the appends it made since (or, without an earlier read, not ending in its own appends).
pub fn internal(txns: &[Txn]) -> Vec<Case> {
    let mut out = Vec::new();
    for t in ok(txns) {
        // Each key's expectation (a transaction touches few keys: a list beats hashing).
        let mut state: Vec<(i64, Expected)> = Vec::new();
        for m in &t.mops {
            let at = state.iter().position(|(k, _)| *k == m.key());
            match (m, at) {
                (Mop::Append(_, v), Some(i)) => {
                    if let Some((_, Expected::Known(l) | Expected::Suffix(l))) = state.get_mut(i) {
                        l.push(*v);
                    }
                }
                (Mop::Append(k, v), None) => state.push((*k, Expected::Suffix(vec![*v]))),
                (Mop::Read(k, v), at) => {
                    let expected = at.and_then(|i| state.get(i)).map(|(_, e)| e);
                    let seen = v.as_deref().unwrap_or_default();
                    let bad = match expected {
                        Some(Expected::Known(l)) => l != seen,
                        Some(Expected::Suffix(l)) => !seen.ends_with(l),
                        None => false,
                    };
                    if bad {
                        let shown = match expected {
                            Some(Expected::Known(l)) => json!(l),
                            Some(Expected::Suffix(l)) => json!(["...", l]),
                            None => Value::Null,
                        };
                        out.push(Case {
                            json: json!({"op": t.to_json(), "mop": m.to_json(), "expected": shown}),
                            text: format!(
                                "internal: {} read key {k} as {seen:?}, but its own earlier micro-ops \
                                 left it {}",
                                t.show(),
                                match expected {
                                    Some(Expected::Suffix(l)) => format!("ending in {l:?}"),
                                    Some(Expected::Known(l)) => format!("{l:?}"),
                                    None => String::new(),
                                }
                            ),
                        });
                        break;
                    }
                    let known = Expected::Known(seen.to_vec());
                    match at.and_then(|i| state.get_mut(i)) {
                        Some(slot) => slot.1 = known,
                        None => state.push((*k, known)),
                    }
                }
            }
        }
    }
    out
}

/// `future-read`: an `ok` transaction read an element it appends only later.
pub fn future_read(txns: &[Txn]) -> Vec<Case> {
    let mut out = Vec::new();
    for t in ok(txns) {
        for (i, m) in t.mops.iter().enumerate() {
            let Mop::Append(k, v) = m else { continue };
            let earlier = t
                .mops
                .iter()
                .take(i)
                .find(|r| matches!(r, Mop::Read(k2, Some(l)) if k2 == k && l.contains(v)));
            if let Some(r) = earlier {
                out.push(Case {
                    json: json!({"op": t.to_json(), "mop": r.to_json(), "element": v}),
                    text: format!(
                        "future-read: {} read key {k} holding {v} before appending {v} itself",
                        t.show()
                    ),
                });
                break;
            }
        }
    }
    out
}

/// `dirty-update`: in a key's order, an element appended by a failed transaction followed by
/// one appended by a committed one.
pub fn dirty_update(txns: &[Txn], orders: &Orders) -> Vec<Case> {
    let mut writer: FastMap<(i64, i64), &Txn> = FastMap::default();
    for t in txns {
        for m in &t.mops {
            if let Mop::Append(k, v) = m {
                writer.insert((*k, *v), t);
            }
        }
    }
    let keys: BTreeMap<&i64, &Vec<i64>> = orders.order.iter().collect();
    let mut out = Vec::new();
    for (k, order) in keys {
        let mut last: Option<&Txn> = None;
        let mut values: Vec<i64> = Vec::new();
        for v in order {
            let Some(t2) = writer.get(&(*k, *v)).copied() else { continue };
            values.push(*v);
            let t1_kind = last.map_or(Kind::Ok, |t| t.kind);
            match (t1_kind, t2.kind) {
                (Kind::Fail, Kind::Ok) => {
                    if let Some(t1) = last {
                        out.push(Case {
                            json: json!({"key": k, "values": values, "txns": [t1.to_json(), "...", t2.to_json()]}),
                            text: format!(
                                "dirty-update: key {k} went through {values:?}: {} failed, yet the committed {} \
                                 appended on top of its element",
                                t1.show(),
                                t2.show()
                            ),
                        });
                    }
                    last = Some(t2);
                    values = vec![*v];
                }
                (_, Kind::Info) | (Kind::Fail, Kind::Fail) => {}
                _ => {
                    last = Some(t2);
                    values = vec![*v];
                }
            }
        }
    }
    out
}

/// A key and a list read of it.
type KeyState<'a> = (i64, &'a [i64]);

/// `lost-update`: `ok` transactions that read the same list of a key, then appended to it.
pub fn lost_update(txns: &[Txn]) -> Vec<Case> {
    let mut by_read: FastMap<KeyState<'_>, Vec<&Txn>> = FastMap::default();
    for t in ok(txns) {
        // Each key's first read, and whether it was counted (few keys: a list beats hashing).
        let mut first_read: Vec<(i64, &[i64], bool)> = Vec::new();
        for m in &t.mops {
            match m {
                Mop::Read(k, v) => {
                    if !first_read.iter().any(|(k2, _, _)| k2 == k) {
                        first_read.push((*k, v.as_deref().unwrap_or_default(), false));
                    }
                }
                Mop::Append(k, _) => {
                    if let Some((_, read, counted)) = first_read.iter_mut().find(|(k2, _, _)| k2 == k) {
                        if !*counted {
                            *counted = true;
                            by_read.entry((*k, *read)).or_default().push(t);
                        }
                    }
                }
            }
        }
    }
    let mut lost: Vec<(KeyState<'_>, Vec<&Txn>)> =
        by_read.into_iter().filter(|(_, ts)| ts.len() > 1).collect();
    lost.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    lost.into_iter()
        .map(|((key, value), ts)| {
            let names: Vec<String> = ts.iter().map(|t| t.show()).collect();
            Case {
                json: json!({"key": key, "value": value, "txns": ts.iter().map(|t| t.to_json()).collect::<Vec<_>>()}),
                text: format!(
                    "lost-update: {} transactions read key {key} = {value:?} and then appended to it: {}",
                    ts.len(),
                    names.join("; ")
                ),
            }
        })
        .collect()
}
