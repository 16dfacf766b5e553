//! `worst-realtime-lag` (docs/protocol.md §7.5, information only): how far behind the log a poll was.
//! Once any operation shows offset `o` of a key, every offset below `o` stopped being the log's
//! tail; a poll invoked later that still stood at an older offset lags by the difference.

use super::intmap::IntMap;
use super::ops::{Key, Op, Parsed, F};
use crate::core::history::Kind;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// Per key, a step function: `(o, t)` means offsets up to `o` were known to exist from time `t`
/// (offsets rise and times never fall along the list).
type Expired = IntMap<Key, Vec<(i64, Duration)>>;

/// The highest offset an `ok`/`info` operation showed per key (a key polled empty shows -1).
fn max_offsets(op: &Op<'_>) -> BTreeMap<Key, i64> {
    let mut out: BTreeMap<Key, i64> = BTreeMap::new();
    for (k, pairs) in &op.reads {
        let top = pairs.iter().map(|&(o, _)| o).max().unwrap_or(-1);
        let e = out.entry(*k).or_insert(top);
        *e = (*e).max(top);
    }
    for s in &op.sends {
        if let Some(o) = s.offset {
            // Jepsen counts a send's offset from 0 upwards.
            let e = out.entry(s.key).or_insert(0);
            *e = (*e).max(o);
        }
    }
    out
}

/// When offset `offset` stopped being the tail of `key`'s log, if ever.
fn expired_at(expired: &Expired, key: Key, offset: i64) -> Option<Duration> {
    let steps = expired.get(&key)?;
    let at = steps.partition_point(|&(o, _)| o <= offset);
    steps.get(at).map(|&(_, t)| t)
}

/// Calls `f(poll, key, lag)` for every key each `ok` poll stood at, in completion order.
fn each_lag(p: &Parsed<'_>, mut f: impl FnMut(&Op<'_>, Key, Duration)) {
    let mut done: Vec<&Op<'_>> = p.ops.iter().filter(|o| o.complete.is_some()).collect();
    done.sort_unstable_by_key(|o| o.index());
    let mut expired: Expired = IntMap::default();
    for op in done.iter().filter(|o| matches!(o.kind(), Kind::Ok | Kind::Info)) {
        let t = op.complete.map_or(op.invoke.time, |c| c.time);
        for (k, o) in max_offsets(op) {
            let steps = expired.entry(k).or_default();
            if steps.last().map_or(-1, |&(top, _)| top) < o {
                steps.push((o, t));
            }
        }
    }
    let mut offsets: IntMap<u64, BTreeMap<Key, i64>> = IntMap::default();
    for op in done.iter().filter(|o| o.kind() == Kind::Ok) {
        let at = offsets.entry(op.process()).or_default();
        match op.f {
            F::Assign => {
                // Kept keys keep their offsets; new ones start before the log.
                at.retain(|k, _| op.assign.contains(k));
                for k in &op.assign {
                    at.entry(*k).or_insert(-1);
                }
                continue;
            }
            F::Poll => {}
            _ => continue,
        }
        for (k, o) in max_offsets(op) {
            let e = at.entry(k).or_insert(o);
            *e = (*e).max(o);
        }
        for (k, o) in at.iter() {
            let lag =
                expired_at(&expired, *k, *o).map_or(Duration::ZERO, |t| op.invoke.time.saturating_sub(t));
            f(op, *k, lag);
        }
    }
}

/// The worst lag of any poll: `{time, lag, process, key}` in seconds.
pub(super) fn worst(p: &Parsed<'_>) -> Value {
    let mut worst: Option<(Duration, Duration, u64, Key)> = None;
    each_lag(p, |op, k, lag| {
        if worst.is_none_or(|(_, w, _, _)| lag > w) {
            worst = Some((op.invoke.time, lag, op.process(), k));
        }
    });
    match worst {
        Some((time, lag, process, key)) => {
            json!({"time": time.as_secs_f64(), "lag": lag.as_secs_f64(), "process": process, "key": key})
        }
        None => json!({"time": 0, "lag": 0}),
    }
}

/// One `ok` poll's real-time lag: the most any key it stood at lagged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollLag {
    /// When the poll was invoked.
    pub time: Duration,
    /// How far behind the log's tail it stood on its worst key.
    pub lag: Duration,
    /// That key.
    pub key: Key,
    /// The poll's process.
    pub process: u64,
}

/// Every `ok` poll's lag, in completion order (what `worst-realtime-lag` is the maximum of).
pub(super) fn per_poll(p: &Parsed<'_>) -> Vec<PollLag> {
    let mut out: Vec<PollLag> = Vec::new();
    let mut last: Option<usize> = None;
    each_lag(p, |op, key, lag| {
        let this = PollLag { time: op.invoke.time, lag, key, process: op.process() };
        match out.last_mut() {
            Some(prev) if last == Some(op.index()) => {
                if lag > prev.lag {
                    *prev = this;
                }
            }
            _ => out.push(this),
        }
        last = Some(op.index());
    });
    out
}
