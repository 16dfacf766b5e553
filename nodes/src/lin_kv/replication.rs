//! Log replication and commitment (Raft paper §5.3, §5.4.2): the leader's AppendEntries,
//! batched per tick with at most one unanswered per follower; the follower's consistency check;
//! and the commit rule, which counts replicas only for an entry of the leader's current term.

use super::log::Entry;
use super::{Body, Effects, NodeId, Raft, Role, State};

/// The most entries one AppendEntries carries, so a follower far behind catches up in steps.
const MAX_ENTRIES: usize = 256;

impl State {
    /// The leader's tick: each follower with no AppendEntries out (or one out longer than
    /// `resend`) gets the entries it lacks, or a heartbeat when it lacks none and the last
    /// message is `heartbeat` old.
    pub(super) fn replicate(&mut self, out: &mut Effects<Raft>) {
        let now = out.now();
        let (term, commit, last) = (self.term, self.commit, self.log.last_index());
        let t = self.timing;
        let Role::Leader { peers, .. } = &mut self.role else { return };
        for (id, p) in peers.iter_mut() {
            let due = match p.in_flight {
                Some(sent) => now.saturating_sub(sent) >= t.resend,
                None => p.next <= last || now.saturating_sub(p.last_sent) >= t.heartbeat,
            };
            if !due {
                continue;
            }
            let prev_index = p.next.saturating_sub(1).min(last);
            let prev_term = self.log.term_at(prev_index).unwrap_or(0);
            let entries = self.log.slice(prev_index + 1, MAX_ENTRIES);
            out.send(id.clone(), Body::Append { term, prev_index, prev_term, entries, commit });
            p.in_flight = Some(now);
            p.last_sent = now;
        }
    }

    /// AppendEntries' receiver (§5.3): a stale leader is told the current term; otherwise the
    /// sender is this term's leader, the election timer restarts, and the entries are merged.
    pub(super) fn on_append(
        &mut self,
        from: NodeId,
        term: u64,
        (prev_index, prev_term): (u64, u64),
        entries: Vec<Entry>,
        leader_commit: u64,
        out: &mut Effects<Raft>,
    ) {
        self.observe_term(term);
        if term < self.term {
            out.send(from, Body::Appended { term: self.term, ok: false, index: 0 });
            return;
        }
        if let Role::Leader { .. } = self.role {
            // Two leaders in one term cannot happen (one vote per node per term); ignore it.
            return;
        }
        self.role = Role::Follower { leader: Some(from.clone()) };
        self.reset_election(out.now());
        let reply = match self.log.merge(prev_index, prev_term, entries) {
            Ok(matched) => {
                // Only what matches the leader's log may be taken as committed.
                self.commit = self.commit.max(leader_commit.min(matched));
                self.apply(out);
                Body::Appended { term: self.term, ok: true, index: matched }
            }
            Err(m) => Body::Appended { term: self.term, ok: false, index: m.retry_from },
        };
        out.send(from, reply);
    }

    /// AppendEntries' answer at the leader: progress only ever moves forward on success (the
    /// answer may be a duplicate or come out of order), and a refusal moves `next` back no
    /// further than what is known to match.
    pub(super) fn on_appended(
        &mut self,
        from: NodeId,
        term: u64,
        ok: bool,
        index: u64,
        out: &mut Effects<Raft>,
    ) {
        self.observe_term(term);
        let now = out.now();
        let current = self.term;
        let Role::Leader { peers, .. } = &mut self.role else { return };
        let Some(p) = peers.get_mut(&from).filter(|_| term == current) else { return };
        p.in_flight = None;
        p.last_heard = now;
        if ok {
            p.matched = p.matched.max(index);
            p.next = p.next.max(index + 1);
        } else {
            p.next = index.min(p.next).max(p.matched + 1);
        }
        self.advance_commit(out);
    }

    /// The leader's commit rule (§5.4.2): the highest index a majority holds, if its entry is
    /// of the current term; then applies what became committed.
    pub(super) fn advance_commit(&mut self, out: &mut Effects<Raft>) {
        let Role::Leader { peers, .. } = &self.role else { return };
        let mut matched: Vec<u64> = peers.values().map(|p| p.matched).collect();
        matched.push(self.log.last_index());
        matched.sort_unstable_by(|a, b| b.cmp(a));
        let Some(&n) = matched.get(self.majority() - 1) else { return };
        if n > self.commit && self.log.term_at(n) == Some(self.term) {
            self.commit = n;
            self.apply(out);
        }
    }
}
