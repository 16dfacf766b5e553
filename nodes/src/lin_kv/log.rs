//! The replicated log (Raft paper §5.3): entries numbered from 1, each with the term of the
//! leader that created it. It answers the questions the two RPCs ask of it, whether a follower
//! holds a leader's previous entry and whose log is more up to date, and it merges a leader's
//! entries without ever dropping an entry that agrees with them.

use super::state_machine::Op;
use serde::{Deserialize, Serialize};

/// One log entry: an operation and the term in which a leader appended it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The term of the leader that appended it.
    pub term: u64,
    /// What the state machine does when the entry is applied.
    pub op: Op,
}

/// Why a follower refused a leader's entries: the index from which the leader should try
/// again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The first index the leader should send next (at least 1).
    pub retry_from: u64,
}

/// The log: `entries[i]` holds the entry of index `i + 1`.
#[derive(Debug, Default)]
pub struct Log {
    entries: Vec<Entry>,
}

impl Log {
    /// The index of the last entry, 0 when the log is empty.
    pub fn last_index(&self) -> u64 {
        self.entries.len() as u64
    }

    /// The term of the last entry, 0 when the log is empty.
    pub fn last_term(&self) -> u64 {
        self.entries.last().map_or(0, |e| e.term)
    }

    /// The term of entry `index`; 0 for index 0 (before the first entry), `None` past the end.
    pub fn term_at(&self, index: u64) -> Option<u64> {
        match index {
            0 => Some(0),
            i => self.get(i).map(|e| e.term),
        }
    }

    /// Entry `index`, if the log holds it.
    pub fn get(&self, index: u64) -> Option<&Entry> {
        usize::try_from(index).ok().and_then(|i| i.checked_sub(1)).and_then(|i| self.entries.get(i))
    }

    /// Appends an entry (the leader's own); its index.
    pub fn push(&mut self, entry: Entry) -> u64 {
        self.entries.push(entry);
        self.last_index()
    }

    /// Up to `max` entries from index `from` on (`from` ≥ 1).
    pub fn slice(&self, from: u64, max: usize) -> Vec<Entry> {
        let start = usize::try_from(from.max(1) - 1).unwrap_or(usize::MAX).min(self.entries.len());
        self.entries[start..].iter().take(max).cloned().collect()
    }

    /// Whether a candidate whose last entry is `(last_index, last_term)` is at least as up to
    /// date as this log (§5.4.1): a later last term wins, and with equal terms the longer log.
    pub fn is_up_to_date(&self, last_index: u64, last_term: u64) -> bool {
        (last_term, last_index) >= (self.last_term(), self.last_index())
    }

    /// AppendEntries' receiver steps 2-4 (§5.3): if this log holds entry `prev_index` with term
    /// `prev_term`, merges `entries` after it and returns the index of the last entry the leader
    /// sent, which now matches the leader's log. An existing entry is replaced, with all that
    /// follow it, only where its term differs from the leader's: a duplicated or reordered older
    /// message therefore never removes entries a newer one added.
    ///
    /// # Errors
    /// The prefix does not match: where the leader should retry from, skipping back over the
    /// whole conflicting term at once (the optimisation at the end of §5.3).
    pub fn merge(&mut self, prev_index: u64, prev_term: u64, entries: Vec<Entry>) -> Result<u64, Mismatch> {
        match self.term_at(prev_index) {
            None => return Err(Mismatch { retry_from: self.last_index() + 1 }),
            Some(t) if t != prev_term => {
                let first = (1..=prev_index).rev().take_while(|i| self.term_at(*i) == Some(t)).last();
                return Err(Mismatch { retry_from: first.unwrap_or(prev_index).max(1) });
            }
            Some(_) => {}
        }
        let last_new = prev_index + entries.len() as u64;
        for (index, entry) in (prev_index + 1..).zip(entries) {
            match self.term_at(index) {
                Some(t) if t == entry.term => {}
                Some(_) => {
                    self.entries.truncate((index - 1) as usize);
                    self.entries.push(entry);
                }
                None => self.entries.push(entry),
            }
        }
        Ok(last_new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(terms: &[u64]) -> Log {
        Log { entries: terms.iter().map(|&term| Entry { term, op: Op::Noop }).collect() }
    }

    fn terms(l: &Log) -> Vec<u64> {
        l.entries.iter().map(|e| e.term).collect()
    }

    fn entries(terms: &[u64]) -> Vec<Entry> {
        log(terms).entries
    }

    #[test]
    fn merge_appends_after_a_matching_prefix_and_reports_the_last_new_index() {
        let mut l = log(&[1, 1]);
        assert_eq!(l.merge(2, 1, entries(&[2, 2])), Ok(4));
        assert_eq!(terms(&l), [1, 1, 2, 2]);
        // A heartbeat (no entries) matches up to its prev_index only.
        assert_eq!(l.merge(1, 1, vec![]), Ok(1));
        assert_eq!(terms(&l), [1, 1, 2, 2]);
    }

    #[test]
    fn an_older_duplicate_never_truncates_entries_that_agree() {
        let mut l = log(&[1, 2, 2, 2]);
        assert_eq!(l.merge(1, 1, entries(&[2])), Ok(2));
        assert_eq!(terms(&l), [1, 2, 2, 2]);
    }

    #[test]
    fn a_conflicting_entry_is_replaced_with_everything_after_it() {
        let mut l = log(&[1, 2, 2, 2]);
        assert_eq!(l.merge(1, 1, entries(&[3, 3])), Ok(3));
        assert_eq!(terms(&l), [1, 3, 3]);
    }

    #[test]
    fn a_mismatch_says_where_to_retry_from() {
        let mut l = log(&[1, 1]);
        // Too short: retry after our last entry.
        assert_eq!(l.merge(5, 3, entries(&[3])), Err(Mismatch { retry_from: 3 }));
        // Wrong term at prev_index: skip back over that whole term.
        let mut l2 = log(&[1, 2, 2, 2]);
        assert_eq!(l2.merge(4, 3, vec![]), Err(Mismatch { retry_from: 2 }));
        assert_eq!(terms(&l2), [1, 2, 2, 2], "a refused merge changes nothing");
        assert_eq!(l.merge(0, 0, entries(&[4])), Ok(1));
        assert_eq!(terms(&l), [4]);
    }

    #[test]
    fn up_to_date_compares_last_terms_then_lengths() {
        let l = log(&[1, 2, 2]);
        assert!(l.is_up_to_date(3, 2));
        assert!(l.is_up_to_date(1, 3));
        assert!(!l.is_up_to_date(2, 2));
        assert!(!l.is_up_to_date(9, 1));
        assert_eq!((l.term_at(0), l.term_at(3), l.term_at(4)), (Some(0), Some(2), None));
        assert_eq!(l.slice(2, 1).len(), 1);
        assert_eq!(l.slice(4, 10).len(), 0);
    }
}
