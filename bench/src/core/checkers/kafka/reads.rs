//! What polls saw against what was sent (docs/protocol.md §7.5): `lost-write` (a message below the
//! highest index some poll read, never read itself), `unseen` (acknowledged, never polled),
//! `G1a` (a poll returned a message whose send failed), `G1c-realtime` (a poll returned a
//! message whose send began after the poll ended), and messages no send ever carried.

use super::intmap::{IntMap, IntSet};
use super::ops::{Key, Msg, Op, Parsed};
use super::orders::Orders;
use super::{list_msgs, op_ref, Case, Found};
use crate::core::history::Kind;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// At most this many unseen messages are listed per key, as Jepsen.
const UNSEEN_SHOWN: usize = 32;

/// `lost-write`: for each key, every message whose last index lies at or below the highest first
/// index of any message an `ok` poll returned must have been returned by some `ok` poll, unless
/// its send may not have happened (failed, or indeterminate and never seen).
pub(super) fn lost_writes(p: &Parsed<'_>, orders: &Orders, found: &mut Found) {
    struct Lost {
        key: Key,
        msg: Msg,
        index: usize,
        offset: i64,
        bound: usize,
        bound_msg: Msg,
    }
    let mut lost: Vec<Lost> = Vec::new();
    let mut keys: Vec<(&Key, &IntSet<Msg>)> = p.ok_reads.iter().collect();
    keys.sort_unstable_by_key(|(k, _)| **k);
    for (&key, read) in keys {
        let Some(order) = orders.get(key) else { continue };
        let mut first: IntMap<Msg, usize> = IntMap::default();
        let mut last: IntMap<Msg, usize> = IntMap::default();
        for (i, msgs) in order.log.values().enumerate() {
            for &m in msgs {
                first.entry(m).or_insert(i);
                last.insert(m, i);
            }
        }
        let Some(bound) = read.iter().filter_map(|m| first.get(m).copied()).max() else { continue };
        for (i, (offset, msgs)) in order.log.iter().take(bound + 1).enumerate() {
            for &m in msgs {
                let committed = p.writer_of.get(&(key, m)).and_then(|w| p.ops.get(*w));
                if last.get(&m) == Some(&i)
                    && !read.contains(&m)
                    && committed.is_some_and(|w| p.must_have_committed(w))
                {
                    let bound_msg = order.by_index.get(bound).map_or(m, |&(_, bm)| bm);
                    lost.push(Lost { key, msg: m, index: i, offset: *offset, bound, bound_msg });
                }
            }
        }
    }
    if lost.is_empty() {
        return;
    }
    let wanted: IntSet<(Key, Msg)> = lost.iter().map(|l| (l.key, l.bound_msg)).collect();
    let readers = first_readers(p, &wanted);
    let out = found.entry("lost-write").or_default();
    for l in lost {
        let writer = p.writer_of.get(&(l.key, l.msg)).and_then(|w| p.ops.get(*w));
        let reader = readers.get(&(l.key, l.bound_msg)).and_then(|r| p.ops.get(*r));
        out.push(Case {
            data: json!({"key": l.key, "value": l.msg, "index": l.index, "max-read-index": l.bound,
                         "writer": writer.map(op_ref), "max-read": reader.map(op_ref)}),
            sentence: format!(
                "key {}: message {} (offset {}, log index {}){} was never returned by any poll, though {} \
                 returned message {} at log index {}, past it",
                l.key,
                l.msg,
                l.offset,
                l.index,
                writer.map(|w| format!(", sent by {},", w.name())).unwrap_or_default(),
                reader.map_or_else(|| "a poll".to_owned(), |r| r.name()),
                l.bound_msg,
                l.bound
            ),
            rank: l.index as i64,
        });
    }
}

/// The first operation (position in `ops`) returning each wanted message.
fn first_readers(p: &Parsed<'_>, wanted: &IntSet<(Key, Msg)>) -> IntMap<(Key, Msg), usize> {
    let mut out = IntMap::default();
    for (i, op) in p.ops.iter().enumerate() {
        for (k, pairs) in &op.reads {
            for &(_, m) in pairs {
                if wanted.contains(&(*k, m)) {
                    out.entry((*k, m)).or_insert(i);
                }
            }
        }
    }
    out
}

/// `unseen`: messages acknowledged by an `ok` send that no `ok` poll ever returned. Jepsen's shape
/// `{unseen: {key: count}, messages: {key: [msgs]}}` rather than `{count, errs}`.
pub(super) fn unseen(p: &Parsed<'_>) -> Option<(Value, String)> {
    let mut missing: BTreeMap<Key, BTreeSet<Msg>> = BTreeMap::new();
    let mut first_writer: IntMap<Key, usize> = IntMap::default();
    for (i, op) in p.ops.iter().enumerate() {
        if op.kind() != Kind::Ok {
            continue;
        }
        for s in op.sends.iter().filter(|s| !p.was_read(s.key, s.msg)) {
            missing.entry(s.key).or_default().insert(s.msg);
            first_writer.entry(s.key).or_insert(i);
        }
    }
    if missing.is_empty() {
        return None;
    }
    let mut counts = Map::new();
    let mut messages = Map::new();
    let mut parts = Vec::new();
    for (k, msgs) in &missing {
        counts.insert(k.to_string(), json!(msgs.len()));
        let shown: Vec<Msg> = msgs.iter().copied().take(UNSEEN_SHOWN).collect();
        messages.insert(k.to_string(), json!(shown));
        if parts.len() < 4 {
            let by = first_writer.get(k).and_then(|i| p.ops.get(*i)).map(Op::name).unwrap_or_default();
            parts.push(format!("key {k}: {} (the first acknowledged by {by})", list_msgs(&shown)));
        }
    }
    let total: usize = missing.values().map(BTreeSet::len).sum();
    let more = if missing.len() > parts.len() {
        format!("; and {} more keys", missing.len() - parts.len())
    } else {
        String::new()
    };
    let sentence = format!(
        "{total} acknowledged message(s) on {} key(s) were never returned by any poll, even after the final \
         polls: {}{more}",
        missing.len(),
        parts.join("; ")
    );
    Some((json!({"unseen": counts, "messages": messages}), sentence))
}

/// `G1a`, `G1c-realtime` and messages nobody sent, from one pass over every polled message.
/// Returns the cases of messages nobody sent: Jepsen's checker cannot go on past those.
pub(super) fn writers_of_reads(p: &Parsed<'_>, found: &mut Found) -> Vec<Case> {
    let mut phantoms = Vec::new();
    for reader in &p.ops {
        let Some(done) = reader.complete else { continue };
        for (k, pairs) in &reader.reads {
            for &(offset, m) in pairs {
                let Some(writer) = p.writer_of.get(&(*k, m)).and_then(|w| p.ops.get(*w)) else {
                    phantoms.push(Case {
                        data: json!({"key": k, "value": m, "offset": offset, "reader": op_ref(reader)}),
                        sentence: format!(
                            "key {k}: {} returned message {m} at offset {offset}, which no send ever carried",
                            reader.name()
                        ),
                        rank: 0,
                    });
                    continue;
                };
                if done.kind == Kind::Ok && writer.kind() == Kind::Fail {
                    let why = writer.complete.and_then(|c| c.error.as_ref()).map(|e| format!(" ({e})"));
                    found.entry("G1a").or_default().push(Case {
                        data: json!({"key": k, "value": m, "writer": op_ref(writer), "reader": op_ref(reader)}),
                        sentence: format!(
                            "key {k}: {} returned message {m} (offset {offset}), whose {} failed{}",
                            reader.name(),
                            writer.name(),
                            why.unwrap_or_default()
                        ),
                        rank: 0,
                    });
                }
                if writer.invoke.index > done.index {
                    found.entry("G1c-realtime").or_default().push(Case {
                        data: json!({"key": k, "value": m,
                                     "cycle": [op_ref(writer), op_ref(reader), op_ref(writer)],
                                     "steps": [{"type": "wr", "key": k, "value": m}, {"type": "realtime"}]}),
                        sentence: format!(
                            "key {k}: {} returned message {m} (offset {offset}), but its {} was invoked only \
                             after that poll had completed",
                            reader.name(),
                            writer.name()
                        ),
                        rank: 2,
                    });
                }
            }
        }
    }
    phantoms
}
