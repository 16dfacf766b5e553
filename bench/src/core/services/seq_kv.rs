//! `seq-kv` (MAELSTROM.md §4.3): the 32 most recent states, a floor per caller, and a trial run
//! against a randomly picked state so that reads and failed cas operations can be stale.
//!
//! Where Maelstrom wraps a pick older than the kept window onto a newer state, this keeps exact
//! monotonicity by clamping to the oldest kept state; nodes must not rely on either.

use super::kv::KvState;
use crate::core::rng::Rng;
use crate::core::wire::Body;
use std::collections::{HashMap, VecDeque};

/// How many recent states are kept.
const KEPT: usize = 32;

/// The sequentially consistent key-value service.
pub struct SeqKv {
    /// Kept states, oldest first; the last is the latest.
    states: VecDeque<KvState>,
    /// Number of the latest state (the first state, empty, is 0).
    latest: u64,
    /// Each caller's floor.
    floors: HashMap<String, u64>,
    rng: Rng,
}

impl SeqKv {
    /// A fresh service holding only the empty state 0.
    pub fn new(rng: Rng) -> Self {
        SeqKv { states: VecDeque::from([KvState::default()]), latest: 0, floors: HashMap::new(), rng }
    }

    /// Handles one request from `caller`; `None` for unknown types.
    pub fn handle(&mut self, caller: &str, req: &Body) -> Option<Body> {
        let floor = self.floors.get(caller).copied().unwrap_or(0);
        let oldest = self.latest + 1 - self.states.len() as u64;
        let pick = (floor + self.rng.below(self.latest - floor.min(self.latest) + 1)).max(oldest);
        let offset = usize::try_from(pick - oldest).ok()?;
        let mut trial = self.states.get(offset)?.clone();
        let tried = trial.apply(req, true)?;
        if !tried.changed {
            self.floors.insert(caller.to_owned(), pick);
            return Some(tried.reply);
        }
        let mut next = self.states.back()?.clone();
        let applied = next.apply(req, true)?;
        self.states.push_back(next);
        if self.states.len() > KEPT {
            self.states.pop_front();
        }
        self.latest += 1;
        self.floors.insert(caller.to_owned(), self.latest);
        Some(applied.reply)
    }
}
