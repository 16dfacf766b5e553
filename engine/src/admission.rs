//! Backpressure between the reader and the workers.
//!
//! The reader admits parsed messages only while fewer than a limit wait for a worker, so a
//! flood of input cannot grow memory without bound. One exception keeps the pool deadlock-free:
//! while any worker is blocked in `Caller::call`, the reader keeps reading, because the reply
//! that worker waits for may be behind the messages it would otherwise wait to admit.

use parking_lot::{Condvar, Mutex};

/// Counts messages queued for the workers and callers blocked on a reply.
pub(crate) struct Admission {
    state: Mutex<State>,
    room: Condvar,
    limit: usize,
}

struct State {
    queued: usize,
    blocked_callers: usize,
}

impl Admission {
    /// At most `limit` messages wait for a worker (while no caller is blocked).
    pub(crate) fn new(limit: usize) -> Self {
        Admission { state: Mutex::new(State { queued: 0, blocked_callers: 0 }), room: Condvar::new(), limit }
    }

    /// Waits for room, then counts `n` more queued messages.
    pub(crate) fn admit(&self, n: usize) {
        let mut s = self.state.lock();
        while s.queued >= self.limit && s.blocked_callers == 0 {
            self.room.wait(&mut s);
        }
        s.queued += n;
    }

    /// A worker took `n` messages off the queue.
    pub(crate) fn taken(&self, n: usize) {
        let mut s = self.state.lock();
        let was_full = s.queued >= self.limit;
        s.queued = s.queued.saturating_sub(n);
        if was_full && s.queued < self.limit {
            self.room.notify_all();
        }
    }

    /// Marks a caller blocked until the returned guard drops.
    pub(crate) fn caller_blocked(&self) -> BlockedCaller<'_> {
        self.state.lock().blocked_callers += 1;
        self.room.notify_all();
        BlockedCaller(self)
    }
}

/// Held by a caller while it waits for a reply.
pub(crate) struct BlockedCaller<'a>(&'a Admission);

impl Drop for BlockedCaller<'_> {
    fn drop(&mut self) {
        self.0.state.lock().blocked_callers -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn admit_waits_when_full_unless_a_caller_is_blocked() {
        let gate = Arc::new(Admission::new(2));
        gate.admit(2);
        let g = gate.clone();
        let waiting = std::thread::spawn(move || g.admit(1));
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiting.is_finished(), "admitted past the limit");
        gate.taken(1);
        waiting.join().unwrap();

        // Full again, but a blocked caller lets the reader through.
        let blocked = gate.caller_blocked();
        gate.admit(5);
        drop(blocked);
        assert_eq!(gate.state.lock().queued, 7);
    }
}
