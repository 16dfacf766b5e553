//! One node's calls in flight, for the single-threaded drivers (the simulator's line driver
//! and the testkit): what waits for each reply, by the request's `msg_id`, with its deadline,
//! and the counter that numbers the node's messages. The threaded engine keeps the same rule
//! in a concurrent table of its own: a reply counts only from the peer that was called.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// A call in flight to peer `P`, waiting with `T` (a continuation, say).
struct Call<P, T> {
    peer: P,
    deadline: Duration,
    waiter: T,
}

/// Calls in flight, keyed by `msg_id`, with their deadlines in order.
pub struct CallTable<P, T> {
    next_id: u64,
    calls: BTreeMap<u64, Call<P, T>>,
    /// (deadline, msg_id) of every call in `calls`.
    deadlines: BTreeSet<(Duration, u64)>,
}

impl<P, T> Default for CallTable<P, T> {
    fn default() -> Self {
        CallTable { next_id: 1, calls: BTreeMap::new(), deadlines: BTreeSet::new() }
    }
}

impl<P: PartialEq, T> CallTable<P, T> {
    /// The next `msg_id` this node uses (they count from 1).
    pub fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Registers call `id` to `peer`, which times out at `deadline`.
    pub fn insert(&mut self, id: u64, peer: P, deadline: Duration, waiter: T) {
        self.deadlines.insert((deadline, id));
        self.calls.insert(id, Call { peer, deadline, waiter });
    }

    /// Whether call `id` waits for a reply from `from`.
    pub fn is_pending(&self, id: u64, from: &P) -> bool {
        self.calls.get(&id).is_some_and(|c| c.peer == *from)
    }

    /// Takes call `id` out if it waits for a reply from `from`: a reply from anyone else is
    /// not the answer.
    pub fn take(&mut self, id: u64, from: &P) -> Option<T> {
        if !self.is_pending(id, from) {
            return None;
        }
        let call = self.calls.remove(&id)?;
        self.deadlines.remove(&(call.deadline, id));
        Some(call.waiter)
    }

    /// The earliest deadline of a call in flight.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.deadlines.first().map(|(at, _)| *at)
    }

    /// Takes out the call with the earliest deadline if that deadline is at or before `now`.
    pub fn take_due(&mut self, now: Duration) -> Option<(u64, T)> {
        let &(at, id) = self.deadlines.first().filter(|(at, _)| *at <= now)?;
        self.deadlines.remove(&(at, id));
        self.calls.remove(&id).map(|c| (id, c.waiter))
    }

    /// How many calls are in flight.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// Whether no call is in flight.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// The `msg_id`s of the calls in flight, in order.
    pub fn ids(&self) -> Vec<u64> {
        self.calls.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_is_answered_once_only_by_its_peer_or_times_out_in_deadline_order() {
        let mut t: CallTable<&str, char> = CallTable::default();
        let (a, b, c) = (t.next_id(), t.next_id(), t.next_id());
        assert_eq!((a, b, c), (1, 2, 3));
        t.insert(a, "n1", Duration::from_secs(3), 'a');
        t.insert(b, "n2", Duration::from_secs(1), 'b');
        t.insert(c, "n2", Duration::from_secs(2), 'c');
        assert_eq!(t.take(a, &"n2"), None, "only n1's reply answers call 1");
        assert_eq!(t.take(a, &"n1"), Some('a'));
        assert_eq!(t.take(a, &"n1"), None, "answered once");
        assert_eq!(t.next_deadline(), Some(Duration::from_secs(1)));
        assert_eq!(t.take_due(Duration::from_millis(999)), None);
        assert_eq!(t.take_due(Duration::from_secs(5)), Some((b, 'b')));
        assert_eq!(t.take_due(Duration::from_secs(5)), Some((c, 'c')));
        assert!(t.is_empty() && t.ids().is_empty() && t.next_deadline().is_none());
    }
}
