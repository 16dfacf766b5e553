//! Skips and regressions against the version order (docs/protocol.md §7.5): between successive polls
//! of one process (`poll-skip`, `nonmonotonic-poll`), inside one poll reply (`int-poll-skip`,
//! `int-nonmonotonic-poll`), and between successive sends of one process (`nonmonotonic-send`).
//! An `assign` forgets the keys it drops. A message whose index is unknown is never judged.

use super::intmap::IntMap;
use super::ops::{Key, Msg, Op, Parsed, F};
use super::orders::{KeyOrder, Orders};
use super::{list_msgs, op_ref, Case, Found};
use crate::core::history::Kind;
use serde_json::json;

/// What one process last did on each key.
#[derive(Default)]
struct Process {
    /// Key → (position in `ops` of the last `ok` poll that returned it, its last pair there).
    last_read: IntMap<Key, (usize, Option<(i64, Msg)>)>,
    /// Key → (position of the last `ok`/`info` send to it, the message sent).
    last_sent: IntMap<Key, (usize, Msg)>,
}

/// The index step from `a` to `b` in a key's log; 1 (no verdict) unless both are known.
fn delta(order: Option<&KeyOrder>, a: Msg, b: Msg) -> (i64, Option<(usize, usize)>) {
    match (order.and_then(|o| o.index(a)), order.and_then(|o| o.index(b))) {
        (Some(i), Some(j)) => (j as i64 - i as i64, Some((i, j))),
        _ => (1, None),
    }
}

/// Runs the per-process and per-poll checks.
pub(super) fn check(p: &Parsed<'_>, orders: &Orders, found: &mut Found) {
    let mut processes: IntMap<u64, Process> = IntMap::default();
    for (i, op) in p.ops.iter().enumerate() {
        let st = processes.entry(op.process()).or_default();
        let completed = op.complete.is_some_and(|c| c.kind != Kind::Fail);
        match op.f {
            F::Assign if completed => {
                st.last_read.retain(|k, _| op.assign.contains(k));
                st.last_sent.retain(|k, _| op.assign.contains(k));
            }
            F::Poll => {
                within_poll(op, orders, found);
                between_polls(p, i, st, orders, found);
            }
            F::Send if completed => between_sends(p, i, st, orders, found),
            _ => {}
        }
    }
}

/// `int-poll-skip` / `int-nonmonotonic-poll`: neighbouring messages of one reply.
fn within_poll(op: &Op<'_>, orders: &Orders, found: &mut Found) {
    for (k, pairs) in &op.reads {
        let order = orders.get(*k);
        for w in pairs.windows(2) {
            let &[(o1, m1), (o2, m2)] = w else { continue };
            let (d, idx) = delta(order, m1, m2);
            if d > 1 {
                let skipped = idx.map(|(i, j)| orders.between(*k, i, j)).unwrap_or_default();
                found.entry("int-poll-skip").or_default().push(Case {
                    data: json!({"key": k, "values": [m1, m2], "delta": d, "skipped": skipped,
                                 "op": op_ref(op)}),
                    sentence: format!(
                        "key {k}: {} went from message {m1} (offset {o1}) straight to message {m2} \
                         (offset {o2}), skipping {}",
                        op.name(),
                        list_msgs(&skipped)
                    ),
                    rank: d,
                });
            } else if d < 1 {
                found.entry("int-nonmonotonic-poll").or_default().push(Case {
                    data: json!({"key": k, "values": [m1, m2], "delta": d, "op": op_ref(op)}),
                    sentence: format!(
                        "key {k}: {} returned message {m1} (offset {o1}) and then message {m2} (offset {o2}), \
                         which the log puts {} places earlier",
                        op.name(),
                        1 - d
                    ),
                    rank: d,
                });
            }
        }
    }
}

/// `poll-skip` / `nonmonotonic-poll`: where this poll starts against where the process's previous
/// `ok` poll of the key ended.
fn between_polls(p: &Parsed<'_>, i: usize, st: &mut Process, orders: &Orders, found: &mut Found) {
    let Some(op) = p.ops.get(i) else { return };
    for (k, pairs) in &op.reads {
        let (Some(&(prev_i, Some((o1, m1)))), Some(&(o2, m2))) = (st.last_read.get(k), pairs.first()) else {
            continue;
        };
        let Some(prev) = p.ops.get(prev_i) else { continue };
        let (d, idx) = delta(orders.get(*k), m1, m2);
        let ops = json!([op_ref(prev), op_ref(op)]);
        if d > 1 {
            let skipped = idx.map(|(a, b)| orders.between(*k, a, b)).unwrap_or_default();
            found.entry("poll-skip").or_default().push(Case {
                data: json!({"key": k, "delta": d, "skipped": skipped, "ops": ops}),
                sentence: format!(
                    "key {k}: {} ended at message {m1} (offset {o1}), but the same process's next poll \
                     #{} began at message {m2} (offset {o2}), skipping {}",
                    prev.name(),
                    op.index(),
                    list_msgs(&skipped)
                ),
                rank: d,
            });
        } else if d < 1 {
            found.entry("nonmonotonic-poll").or_default().push(Case {
                data: json!({"key": k, "values": [m1, m2], "delta": d, "ops": ops}),
                sentence: format!(
                    "key {k}: {} ended at message {m1} (offset {o1}), but the same process's next poll \
                     #{} began back at message {m2} (offset {o2})",
                    prev.name(),
                    op.index()
                ),
                rank: d,
            });
        }
    }
    // As Jepsen, a key returned with no messages still replaces the last read (so the next poll
    // of it is not judged).
    if op.kind() == Kind::Ok && op.complete.is_some() {
        for (k, pairs) in &op.reads {
            st.last_read.insert(*k, (i, pairs.last().copied()));
        }
    }
}

/// `nonmonotonic-send`: a process's later send to a key lands at or below its earlier one.
fn between_sends(p: &Parsed<'_>, i: usize, st: &mut Process, orders: &Orders, found: &mut Found) {
    let Some(op) = p.ops.get(i) else { return };
    for s in &op.sends {
        if let Some(&(prev_i, m1)) = st.last_sent.get(&s.key) {
            let (d, _) = delta(orders.get(s.key), m1, s.msg);
            if let (true, Some(prev)) = (d < 1, p.ops.get(prev_i)) {
                let offset = |op: &Op<'_>, m: Msg| {
                    op.sends
                        .iter()
                        .find(|x| x.msg == m)
                        .and_then(|x| x.offset)
                        .map_or_else(|| "offset unknown".to_owned(), |o| format!("offset {o}"))
                };
                found.entry("nonmonotonic-send").or_default().push(Case {
                    data: json!({"key": s.key, "values": [m1, s.msg], "delta": d,
                                 "ops": [op_ref(prev), op_ref(op)]}),
                    sentence: format!(
                        "key {}: {} put message {m1} at {}, then the same process's send #{} put message {} \
                         at {}, which is not later in the log",
                        s.key,
                        prev.name(),
                        offset(prev, m1),
                        op.index(),
                        s.msg,
                        offset(op, s.msg)
                    ),
                    rank: d,
                });
            }
        }
        st.last_sent.insert(s.key, (i, s.msg));
    }
}
