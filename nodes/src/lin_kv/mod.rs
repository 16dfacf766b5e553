//! `lin-kv` (docs/protocol.md §7.7) on Raft: a linearizable key-value store replicated by a
//! log, after Ongaro and Ousterhout, "In Search of an Understandable Consensus Algorithm" (the
//! extended version; § below are the paper's sections).
//!
//! **Map.** Leader election (§5.2) is `election`: randomised election timeouts drawn from a
//! generator seeded by the node's id, votes at most once per term, and the up-to-date check of
//! §5.4.1. Log replication (§5.3) is `replication` and `log`: AppendEntries with the consistency
//! check, conflicting suffixes replaced, and the leader's `next_index`/`match_index` per peer.
//! Commitment (§5.4.2) counts replicas only for an entry of the leader's current term; a new
//! leader appends a no-op (§8) so that earlier entries commit with it. The state machine
//! (§5, §8) is `state_machine`, applied in log order on every node. Membership changes (§6) and
//! log compaction (§7) are left out: the cluster is fixed by `init`, and a run's log fits in
//! memory (one entry per client operation).
//!
//! **Safety.** The state of §5 (term, vote, log) lives in memory only: a Maelstrom node is never
//! restarted with its memory lost, so nothing has to be persisted before answering an RPC. The
//! RPCs are one-way messages matched by term and index, not calls, so that the network may drop,
//! duplicate or reorder them: a follower's answer names the index it now matches (not "the
//! entries you sent"), a leader keeps the maximum it has heard, and merging entries never
//! truncates an entry that agrees with the leader's (so an older, reordered AppendEntries cannot
//! undo a newer one). Votes are counted as a set of voters. Nothing safety-related reads a
//! clock: time only decides when to send and when to start an election, so the simulator's
//! clock skew can slow the cluster down but never make it wrong.
//!
//! **Reads** go through the log like writes (§8 offers this, or a heartbeat round, or leases):
//! a read is answered when its entry is applied, so it sees every write committed before it and
//! is ordered with them. That costs no extra messages, since entries travel in batches, and
//! needs no bound on clock skew, which leases would.
//!
//! **Clients.** Only the leader appends. A follower that knows a leader forwards a request to
//! it, once, and the leader answers the client directly (Maelstrom's clients match a reply by
//! `in_reply_to` alone, docs/protocol.md §2.2); a node that knows no leader, or is sent a
//! forward while not leading, refuses with error 11, which is definite because nothing was
//! appended. The node that appended a request answers it when the entry at its index is
//! applied: with the operation's result if that entry is the one it appended (same term, hence
//! the same entry by the Log Matching Property), or with error 11 if another entry was committed
//! there, which is definite too: an entry never moves to another index and only one entry is
//! committed per index. A node answers even after losing leadership, since its entry may still
//! commit under the next leader. A request appended twice would run twice, and one refused then
//! appended would be a definite failure that happened, so a node handles a `(client, msg_id)`
//! once within [`Timing::dedup_for`] (the simulator duplicates forwards between nodes).
//!
//! **Liveness and cost.** Appends and heartbeats go out on the tick ([`Timing::tick`]), at most
//! one unanswered AppendEntries per follower (resent after [`Timing::resend`]), so requests that
//! arrive together share one message each way. A leader that heard from no majority within an
//! election timeout steps down (check-quorum), so that a partitioned leader refuses requests
//! quickly instead of letting them time out; stepping down without changing the term is always
//! safe.

mod election;
mod log;
mod replication;
mod state_machine;

use glomers_engine::{Effects, ErrorCode, Init, Message, MsgId, Node, NodeId, Out, ReplyTo, RpcError};
use glomers_harness::Rng;
use log::{Entry, Log};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use state_machine::{Op, Store};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

/// Bodies of the lin-kv workload, and Raft's messages between nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// A client reads `key`.
    Read {
        /// The key.
        key: Value,
    },
    /// A client writes `key`.
    Write {
        /// The key.
        key: Value,
        /// The value.
        value: Value,
    },
    /// A client sets `key` to `to` if it holds `from`.
    Cas {
        /// The key.
        key: Value,
        /// The value expected.
        from: Value,
        /// The new value.
        to: Value,
    },
    /// A follower hands a client's request to the leader, which answers the client.
    Forward {
        /// The client.
        client: NodeId,
        /// The client's `msg_id`.
        id: Option<MsgId>,
        /// The operation.
        op: Op,
    },
    /// RequestVote (§5.2).
    RequestVote {
        /// The candidate's term.
        term: u64,
        /// Index of the candidate's last entry.
        last_index: u64,
        /// Term of the candidate's last entry.
        last_term: u64,
    },
    /// RequestVote's answer.
    Vote {
        /// The voter's term.
        term: u64,
        /// Whether the vote is the candidate's.
        granted: bool,
    },
    /// AppendEntries (§5.3); a heartbeat when `entries` is empty.
    Append {
        /// The leader's term.
        term: u64,
        /// Index of the entry before `entries`.
        prev_index: u64,
        /// Its term.
        prev_term: u64,
        /// Entries to store.
        entries: Vec<Entry>,
        /// The leader's commit index.
        commit: u64,
    },
    /// AppendEntries' answer.
    Appended {
        /// The follower's term.
        term: u64,
        /// Whether the entries were stored.
        ok: bool,
        /// If `ok`, the index up to which the follower's log now matches the leader's;
        /// otherwise where the leader should send from next.
        index: u64,
    },
}

/// When a node sends and when it starts an election.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// How often the node checks its timers and sends what is due.
    pub tick: Duration,
    /// An idle leader sends each follower an empty AppendEntries this often.
    pub heartbeat: Duration,
    /// An AppendEntries not answered within this is sent again.
    pub resend: Duration,
    /// Election timeouts are drawn uniformly from `[election, 2 × election)`.
    pub election: Duration,
    /// How long a node remembers a request it received, to skip duplicates.
    pub dedup_for: Duration,
}

impl Timing {
    /// The node's timing: ticks of 10 ms, heartbeats every 100 ms, election timeouts of 0.5 to
    /// 1 s (several heartbeats, and several round trips at 100 ms of latency).
    pub const DEFAULT: Timing = Timing {
        tick: Duration::from_millis(10),
        heartbeat: Duration::from_millis(100),
        resend: Duration::from_millis(250),
        election: Duration::from_millis(500),
        dedup_for: Duration::from_secs(60),
    };
}

/// A leader's view of one follower (§5.3).
#[derive(Debug)]
struct Progress {
    /// The next index to send.
    next: u64,
    /// The highest index known to match the leader's log.
    matched: u64,
    /// When the unanswered AppendEntries left, if one is out.
    in_flight: Option<Duration>,
    /// When the last AppendEntries left.
    last_sent: Duration,
    /// When the follower last answered in this term.
    last_heard: Duration,
}

/// What a node is doing in its term (§5.1).
#[derive(Debug)]
enum Role {
    /// Following the leader named, if it knows one.
    Follower { leader: Option<NodeId> },
    /// Asking for votes; those granted so far (its own included).
    Candidate { votes: BTreeSet<NodeId> },
    /// Leading since the time given.
    Leader { since: Duration, peers: BTreeMap<NodeId, Progress> },
}

/// Everything a node keeps, under one lock so that each handler sees and leaves it whole.
struct State {
    me: NodeId,
    peers: Vec<NodeId>,
    timing: Timing,
    rng: Rng,
    /// The latest term this node has seen.
    term: u64,
    /// Whom it voted for in `term`.
    voted_for: Option<NodeId>,
    log: Log,
    /// The highest index known to be committed.
    commit: u64,
    /// The highest index applied to `store`.
    applied: u64,
    store: Store,
    role: Role,
    /// When a follower or candidate starts the next election.
    election_at: Duration,
    /// Requests this node appended, by (index, term): answered when that index is applied.
    pending: BTreeMap<(u64, u64), ReplyTo>,
    /// Requests this node received, with when, to skip duplicated forwards.
    seen: HashMap<(NodeId, MsgId), Duration>,
    /// When `seen` was last pruned.
    pruned_at: Duration,
}

/// The lin-kv node.
pub struct Raft {
    state: Mutex<State>,
}

impl Raft {
    /// A node with explicit timing (tests).
    pub fn with_timing(init: &Init, timing: Timing) -> Self {
        let me = init.node_id.clone();
        let peers = init.node_ids.iter().filter(|n| **n != me).cloned().collect();
        // Seeded by the id, so a simulated run replays byte for byte and nodes draw apart.
        let seed = me
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        let mut state = State {
            me,
            peers,
            timing,
            rng: Rng::new(seed),
            term: 0,
            voted_for: None,
            log: Log::default(),
            commit: 0,
            applied: 0,
            store: Store::default(),
            role: Role::Follower { leader: None },
            election_at: Duration::ZERO,
            pending: BTreeMap::new(),
            seen: HashMap::new(),
            pruned_at: Duration::ZERO,
        };
        state.reset_election(Duration::ZERO);
        Raft { state: Mutex::new(state) }
    }
}

impl State {
    /// Votes or acknowledgements that make a majority of the cluster.
    fn majority(&self) -> usize {
        self.peers.len().div_ceil(2) + 1
    }

    /// A client's operation: appended if this node leads, forwarded to the leader it knows,
    /// or refused with error 11 (definite: nothing was appended).
    fn submit(&mut self, op: Op, to: ReplyTo, forwarded: bool, out: &mut Effects<Raft>) {
        if let Some(id) = to.msg_id {
            // A duplicate is dropped whatever the first copy met: appended, forwarded or refused
            // (a refusal is definite, so a later copy must not be appended either).
            if self.seen.insert((to.src.clone(), id), out.now()).is_some() {
                return;
            }
        }
        match &self.role {
            Role::Leader { .. } => {
                let index = self.log.push(Entry { term: self.term, op });
                self.pending.insert((index, self.term), to);
                self.advance_commit(out);
            }
            Role::Follower { leader: Some(leader) } if !forwarded => {
                let body = Body::Forward { client: to.src, id: to.msg_id, op };
                out.send(leader.clone(), body);
            }
            _ => {
                out.reply_error(to, RpcError::new(ErrorCode::TemporarilyUnavailable, "no leader known here"))
            }
        }
    }

    /// Applies the committed entries not yet applied, answering the requests this node
    /// appended at their indices.
    fn apply(&mut self, out: &mut Effects<Raft>) {
        while self.applied < self.commit {
            let index = self.applied + 1;
            let Some(entry) = self.log.get(index) else { break };
            self.applied = index;
            let result = self.store.apply(&entry.op);
            let term = entry.term;
            let waiting: Vec<(u64, u64)> =
                self.pending.range((index, 0)..=(index, u64::MAX)).map(|(k, _)| *k).collect();
            for key in waiting {
                let Some(to) = self.pending.remove(&key) else { continue };
                match (&result, key.1 == term) {
                    (Some(Ok(reply)), true) => out.reply(to, reply.clone()),
                    (Some(Err(e)), true) => out.reply_error(to, e.clone()),
                    _ => out.reply_error(
                        to,
                        RpcError::new(ErrorCode::TemporarilyUnavailable, "leadership changed; not applied"),
                    ),
                }
            }
        }
    }

    /// The periodic work: elections, then the leader's appends and heartbeats, and forgetting
    /// requests seen long ago.
    fn tick(&mut self, out: &mut Effects<Raft>) {
        let now = out.now();
        match self.role {
            Role::Leader { .. } => {
                self.check_quorum(now);
                self.replicate(out);
            }
            _ if now >= self.election_at => self.start_election(out),
            _ => {}
        }
        // Once a second at most: the scan is over every request of the last `dedup_for`.
        if now >= self.pruned_at + Duration::from_secs(1) {
            let keep = self.timing.dedup_for;
            self.seen.retain(|_, at| now.saturating_sub(*at) < keep);
            self.pruned_at = now;
        }
    }
}

impl Node for Raft {
    type Body = Body;

    fn init(init: &Init) -> Result<Self, RpcError> {
        Ok(Raft::with_timing(init, Timing::DEFAULT))
    }

    fn on_start(&self, out: &mut Effects<Self>) {
        let tick = self.state.lock().timing.tick;
        out.every(tick, |node: &Raft, out| node.state.lock().tick(out));
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        let to = msg.reply_to();
        let from = msg.src;
        let mut s = self.state.lock();
        match msg.body {
            Body::Read { key } => s.submit(Op::Read { key }, to, false, out),
            Body::Write { key, value } => s.submit(Op::Write { key, value }, to, false, out),
            Body::Cas { key, from, to: value } => s.submit(Op::Cas { key, from, to: value }, to, false, out),
            Body::Forward { client, id, op } => s.submit(op, ReplyTo { src: client, msg_id: id }, true, out),
            Body::RequestVote { term, last_index, last_term } => {
                s.on_request_vote(from, term, last_index, last_term, out)
            }
            Body::Vote { term, granted } => s.on_vote(from, term, granted, out),
            Body::Append { term, prev_index, prev_term, entries, commit } => {
                s.on_append(from, term, (prev_index, prev_term), entries, commit, out)
            }
            Body::Appended { term, ok, index } => s.on_appended(from, term, ok, index, out),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
