//! The main-phase mix of `kafka` (§7.5): half sends, half polls, each aimed at one of
//! `--key-count` active keys with an exponential skew; about one operation in 64 becomes an
//! `assign` of the key the next operation will use, and a third of those also name every key
//! with sends not yet polled; client crashes about every `30 / concurrency` seconds.

use super::super::{Op, WorkloadConfig};
use glomers_harness::Rng;
use serde_json::json;
use std::collections::BTreeMap;

/// Keys active at once when `--key-count` is not given.
const DEFAULT_KEY_COUNT: u64 = 10;

/// One assign per this many operations, on average (Jepsen's `sub-p` of 1/64).
const ASSIGN_EVERY: u64 = 64;

/// Mean seconds between crashes of one worker's client (Jepsen's crash-client interval).
const CRASH_INTERVAL_SECS: f64 = 30.0;

/// An active key and how many messages were generated for it.
#[derive(Debug, Clone, Copy)]
struct Slot {
    key: i64,
    writes: u64,
}

/// Generates main-phase operations and tracks which keys have sends not yet polled.
pub struct Generator {
    slots: Vec<Slot>,
    next_key: i64,
    max_writes: u64,
    /// The chance that an operation is a crash, so that crashes come every
    /// `30 / concurrency` s on average at the configured rate.
    crash_chance: f64,
    /// The operation an assign was drawn for, waiting to be issued next.
    deferred: Option<Op>,
    /// Highest offset sent per key, for keys not yet polled up to it.
    sent: BTreeMap<i64, i64>,
    /// Highest offset polled per key.
    polled: BTreeMap<i64, i64>,
}

impl Generator {
    /// A generator for these settings.
    pub fn new(cfg: &WorkloadConfig) -> Self {
        let count = cfg.opts.key_count.unwrap_or(DEFAULT_KEY_COUNT).max(1);
        let crashes_per_sec = cfg.concurrency as f64 / CRASH_INTERVAL_SECS;
        let crash_chance = if cfg.rate > 0.0 { (crashes_per_sec / cfg.rate).min(0.5) } else { 0.0 };
        Generator {
            slots: (0..count as i64).map(|key| Slot { key, writes: 0 }).collect(),
            next_key: count as i64,
            max_writes: cfg.opts.max_writes_per_key.max(1),
            crash_chance,
            deferred: None,
            sent: BTreeMap::new(),
            polled: BTreeMap::new(),
        }
    }

    /// The next operation.
    pub fn next_op(&mut self, rng: &mut Rng) -> Op {
        if let Some(op) = self.deferred.take() {
            return op;
        }
        if rng.unit() < self.crash_chance {
            return Op { f: "crash", value: serde_json::Value::Null, final_op: false };
        }
        let slot = self.pick_slot(rng);
        let op = if rng.below(2) == 0 {
            self.send_op(slot)
        } else {
            Op { f: "poll", value: json!([["poll"]]), final_op: false }
        };
        let key = self.slots.get(slot).map_or(0, |s| s.key);
        if rng.below(ASSIGN_EVERY) != 0 {
            return op;
        }
        self.deferred = Some(op);
        let mut keys = vec![key];
        if rng.below(3) == 0 {
            keys.extend(self.sent.keys().copied().filter(|k| *k != key));
        }
        Op { f: "assign", value: json!(keys), final_op: false }
    }

    /// Slot `i` with probability about 2^-(i+1); the remainder goes to the last slot.
    fn pick_slot(&self, rng: &mut Rng) -> usize {
        let last = self.slots.len().saturating_sub(1);
        let mut i = 0;
        while i < last && rng.below(2) == 1 {
            i += 1;
        }
        i
    }

    /// A send of the slot's next message; the key retires after `max_writes` messages.
    fn send_op(&mut self, slot: usize) -> Op {
        let Some(s) = self.slots.get_mut(slot) else {
            return Op { f: "poll", value: json!([["poll"]]), final_op: false };
        };
        s.writes += 1;
        let op = Op { f: "send", value: json!([["send", s.key, s.writes]]), final_op: false };
        if s.writes >= self.max_writes {
            *s = Slot { key: self.next_key, writes: 0 };
            self.next_key += 1;
        }
        op
    }

    /// Records the offsets an `ok` send got.
    pub fn sent(&mut self, offsets: &BTreeMap<i64, i64>) {
        super::merge_max(&mut self.sent, offsets);
        self.trim();
    }

    /// Records the offsets an `ok` poll returned.
    pub fn polled(&mut self, offsets: &BTreeMap<i64, i64>) {
        super::merge_max(&mut self.polled, offsets);
        self.trim();
    }

    /// Forgets keys whose polls have caught up with their sends.
    fn trim(&mut self) {
        let polled = &self.polled;
        self.sent.retain(|k, sent| polled.get(k).is_none_or(|p| p < sent));
    }

    /// Keys with sends not yet polled.
    #[cfg(test)]
    pub fn unseen(&self) -> Vec<i64> {
        self.sent.keys().copied().collect()
    }
}
