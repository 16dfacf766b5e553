//! Why a key is not linearizable, in as few operations as possible.
//!
//! A set of operations proves the violation only if nothing left out could have rescued it.
//! Leaving out an operation that *produced* a value someone read can turn a correct history
//! into a wrong one, so each candidate set is first closed over its sources: every write of a
//! value, or cas to a value, that one of its reads returned or one of its cas expected, invoked
//! before the last of its certain operations returned (and so on for the sources' own cas).
//! If the closed set cannot be linearized, neither can the key's whole history: in any
//! linearization of the whole, every read of the set takes its value from a source inside the
//! closure, so the whole order restricted to the set would be one for the set.
//!
//! The *core* is shrunk by delta debugging (Zeller's ddmin) until dropping any one of its
//! operations makes its closure linearizable. For each certain read or cas of the core, a probe
//! search then lists the values the register could hold where it stood.

use super::ops::{Action, RegOp, Val};
use super::search::{self, Budget, Outcome};
use std::collections::{BTreeSet, HashSet};

/// A proof of non-linearizability.
#[derive(Debug, Clone, PartialEq)]
pub struct Witness {
    /// The operations that cannot be ordered (indices into the key's operations).
    pub core: Vec<usize>,
    /// Operations that could have produced a value the core saw: they were considered too.
    pub sources: Vec<usize>,
    /// Per core operation, for a certain read or cas, the values the register could hold
    /// where it stood (`None` for writes, unknown outcomes, or when the budget ran out).
    pub possible: Vec<Option<BTreeSet<Val>>>,
}

/// The set `core` closed over its sources (sorted indices).
pub fn closure(ops: &[RegOp], core: &[usize]) -> Vec<usize> {
    let mut inside = vec![false; ops.len()];
    let mut wanted: HashSet<Val> = HashSet::new();
    let want = |a: Action, wanted: &mut HashSet<Val>| match a {
        Action::Read(v) | Action::Cas(v, _) => {
            wanted.insert(v);
        }
        Action::Write(_) => {}
    };
    for &i in core {
        if let Some(op) = ops.get(i) {
            inside[i] = true;
            want(op.action, &mut wanted);
        }
    }
    loop {
        let bound = ops.iter().zip(&inside).filter(|(_, &x)| x).filter_map(|(o, _)| o.ret).max().unwrap_or(0);
        let mut added = false;
        for (i, op) in ops.iter().enumerate() {
            let produces = match op.action {
                Action::Write(v) | Action::Cas(_, v) => wanted.contains(&v),
                Action::Read(_) => false,
            };
            if !inside[i] && produces && op.call < bound {
                inside[i] = true;
                want(op.action, &mut wanted);
                added = true;
            }
        }
        if !added {
            break;
        }
    }
    (0..ops.len()).filter(|&i| inside[i]).collect()
}

/// The operations at `indices`.
fn subset(ops: &[RegOp], indices: &[usize]) -> Vec<RegOp> {
    indices.iter().filter_map(|&i| ops.get(i).cloned()).collect()
}

/// Whether the closure of `core` is a proof, or `None` when the budget ran out.
fn proves(ops: &[RegOp], core: &[usize], budget: &Budget) -> Option<bool> {
    match search::check(&subset(ops, &closure(ops, core)), budget) {
        Outcome::Violation { .. } => Some(true),
        Outcome::Linearizable => Some(false),
        Outcome::Unknown(_) => None,
    }
}

/// The smallest proof delta debugging finds, given that the search got stuck at `stuck`;
/// `None` if no proof was found within the budget (the verdict stands; only the explanation
/// is missing).
pub fn find(ops: &[RegOp], stuck: usize, budget: &Budget) -> Option<Witness> {
    // First guess: everything invoked before the stuck operation returned.
    let until = ops.get(stuck).and_then(|o| o.ret).unwrap_or(usize::MAX);
    let early: Vec<usize> = (0..ops.len()).filter(|&i| ops[i].call < until).collect();
    let mut core = if proves(ops, &early, budget)? { early } else { (0..ops.len()).collect() };
    let mut chunks = 2usize;
    // When the budget runs out while shrinking, the proof so far stands.
    'shrink: while core.len() >= 2 {
        let size = core.len().div_ceil(chunks);
        let mut shrunk = false;
        for start in (0..core.len()).step_by(size) {
            let rest: Vec<usize> = core
                .iter()
                .enumerate()
                .filter(|(k, _)| *k < start || *k >= start + size)
                .map(|(_, &i)| i)
                .collect();
            if rest.is_empty() {
                continue;
            }
            let Some(proof) = proves(ops, &rest, budget) else { break 'shrink };
            if proof {
                core = rest;
                chunks = chunks.saturating_sub(1).max(2);
                shrunk = true;
                break;
            }
        }
        if !shrunk {
            if chunks >= core.len() {
                break;
            }
            chunks = (2 * chunks).min(core.len());
        }
    }
    let all = closure(ops, &core);
    let sub = subset(ops, &all);
    let possible = core
        .iter()
        .map(|&i| {
            let op = ops.get(i)?;
            if !op.is_definite() || matches!(op.action, Action::Write(_)) {
                return None;
            }
            let at = all.iter().position(|&j| j == i)?;
            search::possible_values(&sub, at, budget).ok()
        })
        .collect();
    let sources = all.into_iter().filter(|i| !core.contains(i)).collect();
    Some(Witness { core, sources, possible })
}
