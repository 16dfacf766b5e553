//! The search for a linearization of one key's operations on a compare-and-set register: the
//! Wing–Gong algorithm with Lowe's memoisation (a configuration — the set of operations
//! already placed and the register's value — is explored at most once).
//!
//! Operations become a call entry at their invocation and a return entry at their completion
//! (an operation with an unknown outcome returns "at infinity", after every other entry),
//! kept in a doubly linked list in history order. The search walks the list from the start:
//! at a call it tries to place that operation next (it must be possible from the current
//! value, and lead to a configuration not seen before), removes its two entries and starts
//! again from the first entry left; at a return it has failed to place that operation before
//! it returned, and takes back the last placement to try the next candidate. Reaching the
//! return of an operation with an unknown outcome means every certain operation is placed.
//!
//! Three reductions keep it exact and make it fast:
//! - *Reads go first*: an operation that leaves the register unchanged and can happen now is
//!   placed without keeping a way back, since placing it now never rules out an order that
//!   placing it later allows.
//! - *A useless unknown is skipped*: an operation with an unknown outcome that would not change
//!   the value is never placed (it may simply not take effect), for the same reason.
//! - *Twins are ordered*: unknown-outcome operations with the same effect (writes of 3, say)
//!   are interchangeable once invoked, so they are placed in invocation order. Without it,
//!   k pending writes of the same value make 2^k configurations; with it, k + 1.
//!
//! A configuration is remembered by a 128-bit fingerprint: the XOR of a random number per
//! placed operation, mixed with the value. Two different configurations share a fingerprint
//! with probability about n²/2^129 after n configurations (below 10^-24 for 10^7), which is
//! the only way a verdict could be wrong. The memo costs 16 bytes per configuration, where a
//! bitset of the placed operations would cost n/8.

use super::ops::{Action, RegOp, Val};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::time::Instant;

/// Where the search must give up.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Wall-clock limit.
    pub deadline: Instant,
    /// Most configurations the memo may hold.
    pub max_configs: usize,
}

/// What the search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A linearization exists.
    Linearizable,
    /// None exists; operation `stuck` (an index into the operations) is the one whose return
    /// the search could not get past with nothing left to take back.
    Violation {
        /// The operation.
        stuck: usize,
    },
    /// The budget ran out, for this reason.
    Unknown(String),
}

/// Whether `ops` (one key's, in invocation order) can be linearized.
pub fn check(ops: &[RegOp], budget: &Budget) -> Outcome {
    match Search::new(ops, None).run(budget) {
        Ok(Found::Yes) => Outcome::Linearizable,
        Ok(Found::No { stuck }) => Outcome::Violation { stuck },
        Ok(Found::Probed(_)) => Outcome::Linearizable,
        Err(why) => Outcome::Unknown(why),
    }
}

/// The values operation `probe` could have seen: it is treated as a read of whatever the
/// register holds, and every linearization of the others is explored. Empty when there is none.
pub fn possible_values(ops: &[RegOp], probe: usize, budget: &Budget) -> Result<BTreeSet<Val>, String> {
    match Search::new(ops, Some(probe)).run(budget)? {
        Found::Probed(values) => Ok(values),
        Found::Yes | Found::No { .. } => Ok(BTreeSet::new()),
    }
}

/// A search's result before it is told apart from a probe's.
enum Found {
    Yes,
    No { stuck: usize },
    Probed(BTreeSet<Val>),
}

/// A hasher for keys that are already uniformly random: it keeps their low 64 bits.
#[derive(Default)]
struct Fingerprint(u64);

impl Hasher for Fingerprint {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u128(&mut self, n: u128) {
        self.0 ^= n as u64;
    }
}

/// SplitMix64: the random numbers of the fingerprints (fixed, so runs are reproducible).
fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A random 128-bit number for `x`.
fn mix(x: u64) -> u128 {
    let mut s = x;
    u128::from(splitmix(&mut s)) << 64 | u128::from(splitmix(&mut s))
}

/// The list entries and the search's state.
struct Search<'a> {
    ops: &'a [RegOp],
    probe: Option<usize>,
    /// Per entry (0 is the head, `len + 1` the tail): the operation, and whether it is a call.
    entry_op: Vec<usize>,
    entry_is_call: Vec<bool>,
    next: Vec<usize>,
    prev: Vec<usize>,
    /// Per operation: its call entry and its return entry.
    call_entry: Vec<usize>,
    ret_entry: Vec<usize>,
    /// Per operation: its fingerprint bits.
    zobrist: Vec<u128>,
    /// Per unknown-outcome operation: its twin class and its rank among the class's members.
    class: Vec<Option<(usize, u32)>>,
    /// Per class: how many members are placed.
    placed_in_class: Vec<u32>,
}

impl<'a> Search<'a> {
    fn new(ops: &'a [RegOp], probe: Option<usize>) -> Search<'a> {
        let n = ops.len();
        let mut entries: Vec<(usize, bool, usize)> = Vec::with_capacity(2 * n);
        for (i, op) in ops.iter().enumerate() {
            entries.push((op.call, true, i));
            entries.push((op.ret.unwrap_or(usize::MAX), false, i));
        }
        // History indices are distinct, except "infinity": those returns keep their order.
        entries.sort_by_key(|&(at, is_call, i)| (at, !is_call, i));
        let len = entries.len();
        let mut s = Search {
            ops,
            probe,
            entry_op: vec![usize::MAX; len + 2],
            entry_is_call: vec![false; len + 2],
            next: (1..=len + 2).collect(),
            prev: (0..len + 2).map(|e| e.saturating_sub(1)).collect(),
            call_entry: vec![0; n],
            ret_entry: vec![0; n],
            zobrist: (0..n as u64).map(|i| mix(i.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x5EED)).collect(),
            class: vec![None; n],
            placed_in_class: Vec::new(),
        };
        for (pos, &(_, is_call, i)) in entries.iter().enumerate() {
            let e = pos + 1;
            s.entry_op[e] = i;
            s.entry_is_call[e] = is_call;
            if is_call {
                s.call_entry[i] = e;
            } else {
                s.ret_entry[i] = e;
            }
        }
        let mut classes: HashMap<Action, (usize, u32)> = HashMap::new();
        for (i, op) in ops.iter().enumerate() {
            if op.is_definite() || Some(i) == probe {
                continue;
            }
            let next_class = classes.len();
            let c = classes.entry(op.action).or_insert((next_class, 0));
            s.class[i] = Some(*c);
            c.1 += 1;
        }
        s.placed_in_class = vec![0; classes.len()];
        s
    }

    fn tail(&self) -> usize {
        self.next.len() - 1
    }

    /// Takes operation `i`'s two entries out of the list.
    fn lift(&mut self, i: usize) {
        for e in [self.call_entry[i], self.ret_entry[i]] {
            let (p, n) = (self.prev[e], self.next[e]);
            self.next[p] = n;
            self.prev[n] = p;
        }
    }

    /// Puts them back (the reverse of [`Search::lift`], in the reverse order).
    fn unlift(&mut self, i: usize) {
        for e in [self.ret_entry[i], self.call_entry[i]] {
            let (p, n) = (self.prev[e], self.next[e]);
            self.next[p] = e;
            self.prev[n] = e;
        }
    }

    /// The register after placing operation `i` at `state`, if it can go there now.
    fn step(&self, i: usize, state: Val) -> Option<Val> {
        if Some(i) == self.probe {
            return Some(state);
        }
        let op = &self.ops[i];
        let after = op.action.step(state)?;
        match self.class[i] {
            // An unknown outcome goes only if it changes something, and after its twins.
            Some((c, rank)) => (after != state && self.placed_in_class[c] == rank).then_some(after),
            None => Some(after),
        }
    }

    fn run(mut self, budget: &Budget) -> Result<Found, String> {
        let mut memo: HashSet<u128, BuildHasherDefault<Fingerprint>> = HashSet::default();
        // Placed operations: (operation, register before it, whether a way back is kept).
        let mut stack: Vec<(usize, Val, bool)> = Vec::new();
        let mut state: Val = super::ops::NULL;
        // The probe's value, once placed (part of a configuration in a probe search).
        let mut probed: Option<Val> = None;
        let mut seen: BTreeSet<Val> = BTreeSet::new();
        let mut fingerprint: u128 = 0;
        let mut cur = self.next[0];
        let mut steps: u64 = 0;
        loop {
            steps += 1;
            if steps & 0x3FF == 0 {
                if Instant::now() >= budget.deadline {
                    return Err(format!(
                        "the time budget ran out after {} configurations of {} operations",
                        memo.len(),
                        self.ops.len()
                    ));
                }
                if memo.len() > budget.max_configs {
                    return Err(format!(
                        "the memory budget ran out: {} configurations of {} operations",
                        memo.len(),
                        self.ops.len()
                    ));
                }
            }
            let done = cur == self.tail()
                || (!self.entry_is_call[cur] && !self.ops[self.entry_op[cur]].is_definite());
            let i = self.entry_op.get(cur).copied().unwrap_or(usize::MAX);
            if !done && self.entry_is_call[cur] {
                if let Some(after) = self.step(i, state) {
                    let probe_now = if Some(i) == self.probe { Some(state) } else { probed };
                    let fp = fingerprint ^ self.zobrist[i];
                    let key = fp ^ mix(u64::from(after) | u64::from(probe_now.map_or(0, |p| p + 1)) << 32);
                    if memo.insert(key) {
                        let forced = self.probe.is_none()
                            && self.ops[i].action.is_read_only()
                            && self.class[i].is_none();
                        stack.push((i, state, !forced));
                        if let Some((c, _)) = self.class[i] {
                            self.placed_in_class[c] += 1;
                        }
                        state = after;
                        probed = probe_now;
                        fingerprint = fp;
                        self.lift(i);
                        cur = self.next[0];
                        continue;
                    }
                }
                cur = self.next[cur];
                continue;
            }
            if done {
                match (self.probe, probed) {
                    (None, _) => return Ok(Found::Yes),
                    (Some(_), Some(v)) => {
                        seen.insert(v);
                    }
                    // The probe has an unknown outcome and was left out: it saw nothing.
                    (Some(_), None) => {}
                }
            }
            // Take back placements down to the last one that has alternatives.
            loop {
                let Some((j, before, has_alternatives)) = stack.pop() else {
                    return Ok(match self.probe {
                        Some(_) => Found::Probed(seen),
                        None => Found::No { stuck: i },
                    });
                };
                self.unlift(j);
                if let Some((c, _)) = self.class[j] {
                    self.placed_in_class[c] -= 1;
                }
                state = before;
                fingerprint ^= self.zobrist[j];
                if Some(j) == self.probe {
                    probed = None;
                }
                if has_alternatives {
                    cur = self.next[self.call_entry[j]];
                    break;
                }
            }
        }
    }
}
