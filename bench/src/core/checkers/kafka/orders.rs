//! Version orders (docs/protocol.md §7.5): for each key, every offset → message pair seen in any
//! poll, or in a send known to have taken effect, builds a log; its *indices* number the observed
//! offsets densely. Also the two anomalies read straight off the logs: `inconsistent-offsets`
//! (two messages at one offset) and `duplicate` (one message at two offsets).

use super::intmap::{IntMap, IntSet};
use super::ops::{Key, Msg, Parsed};
use super::{list, Case, Found};
use serde_json::json;
use std::collections::BTreeMap;

/// One key's log.
#[derive(Debug, Default)]
pub(super) struct KeyOrder {
    /// Offset → the distinct messages seen there, first seen first (never empty).
    pub log: BTreeMap<i64, Vec<Msg>>,
    /// Dense index → (offset, the first message seen there).
    pub by_index: Vec<(i64, Msg)>,
    /// Message → its index; as Jepsen, only a representative message is indexed, and a message at
    /// several indices keeps the last.
    pub by_value: IntMap<Msg, usize>,
}

impl KeyOrder {
    /// Records `msg` at `offset`.
    fn add(&mut self, offset: i64, msg: Msg) {
        let at = self.log.entry(offset).or_default();
        if !at.contains(&msg) {
            at.push(msg);
        }
    }

    /// The index of `msg`, if known.
    pub fn index(&self, msg: Msg) -> Option<usize> {
        self.by_value.get(&msg).copied()
    }
}

/// Every key's log.
#[derive(Debug, Default)]
pub(super) struct Orders {
    keys: IntMap<Key, KeyOrder>,
}

impl Orders {
    /// Builds the logs from all polls (whatever their outcome) and from the sends that must have
    /// committed (Jepsen's rule).
    pub fn new(p: &Parsed<'_>) -> Self {
        let mut keys: IntMap<Key, KeyOrder> = IntMap::default();
        for op in &p.ops {
            if p.must_have_committed(op) {
                for s in &op.sends {
                    if let Some(offset) = s.offset {
                        keys.entry(s.key).or_default().add(offset, s.msg);
                    }
                }
            }
            for (k, pairs) in &op.reads {
                let order = keys.entry(*k).or_default();
                for &(offset, msg) in pairs {
                    order.add(offset, msg);
                }
            }
        }
        for order in keys.values_mut() {
            for (offset, msgs) in &order.log {
                if let Some(&first) = msgs.first() {
                    order.by_value.insert(first, order.by_index.len());
                    order.by_index.push((*offset, first));
                }
            }
        }
        Orders { keys }
    }

    /// A key's log.
    pub fn get(&self, key: Key) -> Option<&KeyOrder> {
        self.keys.get(&key)
    }

    /// The messages strictly between indices `from` and `to` of `key`'s log.
    pub fn between(&self, key: Key, from: usize, to: usize) -> Vec<Msg> {
        let Some(o) = self.keys.get(&key) else { return Vec::new() };
        o.by_index.get(from + 1..to).unwrap_or_default().iter().map(|&(_, m)| m).collect()
    }

    /// Keys in ascending order, with their logs.
    fn sorted(&self) -> Vec<(Key, &KeyOrder)> {
        let mut v: Vec<(Key, &KeyOrder)> = self.keys.iter().map(|(k, o)| (*k, o)).collect();
        v.sort_unstable_by_key(|(k, _)| *k);
        v
    }
}

/// For each wanted (key, offset): each message seen there with the first operation (position
/// in `ops`) that showed it. One pass over the history, run only when there is something to
/// explain.
fn witnesses(p: &Parsed<'_>, wanted: &IntSet<(Key, i64)>) -> IntMap<(Key, i64), Vec<(Msg, usize)>> {
    let mut out: IntMap<(Key, i64), Vec<(Msg, usize)>> = IntMap::default();
    let mut see = |k: Key, offset: i64, msg: Msg, i: usize| {
        if wanted.contains(&(k, offset)) {
            let seen = out.entry((k, offset)).or_default();
            if !seen.iter().any(|(m, _)| *m == msg) {
                seen.push((msg, i));
            }
        }
    };
    for (i, op) in p.ops.iter().enumerate() {
        if p.must_have_committed(op) {
            for s in &op.sends {
                if let Some(offset) = s.offset {
                    see(s.key, offset, s.msg, i);
                }
            }
        }
        for (k, pairs) in &op.reads {
            for &(offset, msg) in pairs {
                see(*k, offset, msg, i);
            }
        }
    }
    out
}

/// "message 9 in poll #812 (process 4)", or just "message 9" if no operation is known.
fn shown(p: &Parsed<'_>, seen: &[(Msg, usize)], msg: Msg) -> String {
    match seen.iter().find(|(m, _)| *m == msg).and_then(|(_, i)| p.ops.get(*i)) {
        Some(op) => format!("message {msg} in {}", op.name()),
        None => format!("message {msg}"),
    }
}

/// `inconsistent-offsets`: one key and offset seen with two different messages.
pub(super) fn inconsistent_offsets(p: &Parsed<'_>, orders: &Orders, found: &mut Found) {
    let mut cases = Vec::new();
    for (k, order) in orders.sorted() {
        for (index, (offset, msgs)) in order.log.iter().enumerate() {
            if msgs.len() > 1 {
                cases.push((k, *offset, index, msgs));
            }
        }
    }
    if cases.is_empty() {
        return;
    }
    let wanted: IntSet<(Key, i64)> = cases.iter().map(|&(k, o, _, _)| (k, o)).collect();
    let seen = witnesses(p, &wanted);
    let out = found.entry("inconsistent-offsets").or_default();
    for (k, offset, index, msgs) in cases {
        let mut values = msgs.clone();
        values.sort_unstable();
        let at = seen.get(&(k, offset)).map(Vec::as_slice).unwrap_or_default();
        let shown: Vec<String> = msgs.iter().map(|&m| shown(p, at, m)).collect();
        out.push(Case {
            data: json!({"key": k, "offset": offset, "index": index, "values": values}),
            sentence: format!("key {k}: offset {offset} holds {}", list(&shown, "but")),
            rank: msgs.len() as i64,
        });
    }
}

/// `duplicate`: one message at two offsets of a key.
pub(super) fn duplicates(p: &Parsed<'_>, orders: &Orders, found: &mut Found) {
    let mut cases: Vec<(Key, Msg, Vec<i64>)> = Vec::new();
    for (k, order) in orders.sorted() {
        let mut at: BTreeMap<Msg, Vec<i64>> = BTreeMap::new();
        for (offset, msgs) in &order.log {
            for &m in msgs {
                at.entry(m).or_default().push(*offset);
            }
        }
        cases.extend(at.into_iter().filter(|(_, offsets)| offsets.len() > 1).map(|(m, o)| (k, m, o)));
    }
    if cases.is_empty() {
        return;
    }
    let wanted: IntSet<(Key, i64)> =
        cases.iter().flat_map(|(k, _, offsets)| offsets.iter().map(|o| (*k, *o))).collect();
    let seen = witnesses(p, &wanted);
    let out = found.entry("duplicate").or_default();
    for (k, msg, offsets) in cases {
        let shown: Vec<String> = offsets
            .iter()
            .map(|o| {
                let at = seen.get(&(k, *o)).map(Vec::as_slice).unwrap_or_default();
                format!("offset {o} ({})", shown(p, at, msg))
            })
            .collect();
        out.push(Case {
            data: json!({"key": k, "value": msg, "count": offsets.len(), "offsets": offsets}),
            sentence: format!("key {k}: message {msg} appears at {}", list(&shown, "and")),
            rank: offsets.len() as i64,
        });
    }
}
