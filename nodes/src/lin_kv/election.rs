//! Leader election (Raft paper §5.2, with the voting restriction of §5.4.1): terms, randomised
//! election timeouts, votes, and stepping down. A leader also steps down when no majority has
//! answered it for a whole election timeout (check-quorum), which only costs availability on a
//! side that could not commit anyway.

use super::{Body, Effects, NodeId, Progress, Raft, Role, State};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

impl State {
    /// Draws the next election time, uniformly in `[e, 2e)` from `now`.
    pub(super) fn reset_election(&mut self, now: Duration) {
        let e = self.timing.election;
        let spread = u64::try_from(e.as_micros()).unwrap_or(u64::MAX);
        self.election_at = now + e + Duration::from_micros(self.rng.below(spread));
    }

    /// Adopts a later `term` seen in any message, as a follower that has not voted in it (§5.1).
    pub(super) fn observe_term(&mut self, term: u64) {
        if term > self.term {
            self.term = term;
            self.voted_for = None;
            self.role = Role::Follower { leader: None };
        }
    }

    /// The election timeout passed: a new term, a vote for itself, and RequestVote to every peer.
    pub(super) fn start_election(&mut self, out: &mut Effects<Raft>) {
        self.term += 1;
        self.voted_for = Some(self.me.clone());
        self.role = Role::Candidate { votes: BTreeSet::from([self.me.clone()]) };
        self.reset_election(out.now());
        let body = Body::RequestVote {
            term: self.term,
            last_index: self.log.last_index(),
            last_term: self.log.last_term(),
        };
        out.send_to_peers(body);
        self.count_votes(out);
    }

    /// RequestVote's receiver (§5.2, §5.4.1): one vote per term, only for a log at least as up
    /// to date as this one.
    pub(super) fn on_request_vote(
        &mut self,
        from: NodeId,
        term: u64,
        last_index: u64,
        last_term: u64,
        out: &mut Effects<Raft>,
    ) {
        self.observe_term(term);
        let free = self.voted_for.as_ref().is_none_or(|v| *v == from);
        let granted = term == self.term && free && self.log.is_up_to_date(last_index, last_term);
        if granted {
            self.voted_for = Some(from.clone());
            self.reset_election(out.now());
        }
        out.send(from, Body::Vote { term: self.term, granted });
    }

    /// A vote came back: counted if it is for this candidacy.
    pub(super) fn on_vote(&mut self, from: NodeId, term: u64, granted: bool, out: &mut Effects<Raft>) {
        self.observe_term(term);
        if term != self.term || !granted {
            return;
        }
        if let Role::Candidate { votes } = &mut self.role {
            votes.insert(from);
            self.count_votes(out);
        }
    }

    /// Becomes leader once a majority voted for this candidacy: every follower's `next` just
    /// past the leader's log (§5.3), and a no-op of the new term appended (§8) and sent at once.
    fn count_votes(&mut self, out: &mut Effects<Raft>) {
        let Role::Candidate { votes } = &self.role else { return };
        if votes.len() < self.majority() {
            return;
        }
        let now = out.now();
        let next = self.log.last_index() + 1;
        let peers: BTreeMap<NodeId, Progress> = self
            .peers
            .iter()
            .map(|p| {
                let progress =
                    Progress { next, matched: 0, in_flight: None, last_sent: now, last_heard: now };
                (p.clone(), progress)
            })
            .collect();
        self.role = Role::Leader { since: now, peers };
        self.log.push(super::Entry { term: self.term, op: super::Op::Noop });
        self.replicate(out);
        self.advance_commit(out);
    }

    /// Check-quorum: a leader that no majority answered within the last election timeout
    /// becomes a follower that knows no leader (same term), so that it refuses requests.
    pub(super) fn check_quorum(&mut self, now: Duration) {
        let e = self.timing.election;
        let majority = self.majority();
        let Role::Leader { since, peers } = &self.role else { return };
        if now.saturating_sub(*since) < e {
            return;
        }
        let heard = 1 + peers.values().filter(|p| now.saturating_sub(p.last_heard) < e).count();
        if heard < majority {
            self.role = Role::Follower { leader: None };
            self.reset_election(now);
        }
    }
}
