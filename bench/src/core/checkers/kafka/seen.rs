//! What the report's kafka pictures draw (docs/reports.md), from the checker's own parse of the
//! history: each operation's sight of one key's log (the offsets and messages a send or a poll
//! showed) and every poll's real-time lag.

use super::lag::{self, PollLag};
use super::ops::{Key, Msg, Parsed, F};
use crate::core::history::{History, Kind};
use std::time::Duration;

/// One send's or poll's sight of a key's log.
#[derive(Debug, Clone, PartialEq)]
pub struct Sighting {
    /// History index of its invocation.
    pub invoke: usize,
    /// History index that names it in the checker's results (its completion's).
    pub index: usize,
    /// Its process.
    pub process: u64,
    /// `true` for a send, `false` for a poll.
    pub send: bool,
    /// How it ended (`info` when it never completed).
    pub kind: Kind,
    /// When it was invoked.
    pub time: Duration,
    /// `(offset, message)` in reply order; a send's offset is `None` unless it was acknowledged.
    pub pairs: Vec<(Option<i64>, Msg)>,
}

/// Every send and poll that showed something of `key`, in invocation order.
pub fn sightings(history: &History, key: Key) -> Vec<Sighting> {
    let p = Parsed::new(history);
    let mut out = Vec::new();
    for op in &p.ops {
        let pairs: Vec<(Option<i64>, Msg)> = match op.f {
            F::Send => op.sends.iter().filter(|s| s.key == key).map(|s| (s.offset, s.msg)).collect(),
            F::Poll => op
                .reads
                .iter()
                .filter(|(k, _)| *k == key)
                .flat_map(|(_, pairs)| pairs.iter().map(|&(o, m)| (Some(o), m)))
                .collect(),
            _ => continue,
        };
        if pairs.is_empty() {
            continue;
        }
        out.push(Sighting {
            invoke: op.invoke.index,
            index: op.index(),
            process: op.process(),
            send: op.f == F::Send,
            kind: op.kind(),
            time: op.invoke.time,
            pairs,
        });
    }
    out
}

/// Every `ok` poll's real-time lag (the series whose maximum is `worst-realtime-lag`).
pub fn realtime_lags(history: &History) -> Vec<PollLag> {
    lag::per_poll(&Parsed::new(history))
}
