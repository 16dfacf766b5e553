//! Challenge 4, `g-counter` (docs/protocol.md §7.4): a grow-only counter whose state lives in
//! `seq-kv`, exact after the final heal, with stale `seq-kv` reads (§4.3) neither losing nor
//! double-counting an add. Nodes never talk to each other, so partitions change nothing:
//! services are never cut off (§5.3).
//!
//! **State.** Each node owns one key, its own id, holding its running total as
//! `{"total":T,"version":V}`. Only that node writes it. A `read` answers its own total plus the
//! highest total it has seen under each other node's key. An `add` raises the node's total;
//! every tick (100 ms) a node whose total is ahead of its key writes it, and an add is answered
//! only once a cas carrying it succeeded: then it is in `seq-kv`, and a node killed at any
//! moment (`--nemesis kill`, §5.3) loses only adds it never acknowledged (their clients time
//! out: indeterminate). That costs an add a tick and a round trip at most.
//!
//! **Claiming the key after a (re)start.** A fresh process knows nothing of what its previous
//! processes stored. Before its first write it reads its key and makes it its own with a cas
//! from the value read to the same total under a fresh version (from `null`, creating it, if
//! the key does not exist). A stale read makes that cas fail (error 22), and it reads again;
//! once it succeeds, the node knows the exact total its key holds, adds it to the adds it
//! took since it started, and nothing an earlier process sent can land any more (its `from`
//! is gone). Versions go on from the claimed one, so every later `to` is still fresh.
//!
//! **Writes are a chain of cas.** Every write is `cas(from: what this node last stored,
//! to: {its total now, a version never used before})` (`from: null` with
//! `create_if_not_exists` for the first). At most one is in flight at a time. A timed-out cas
//! (error 0) may still land, late; the next one is a new cas from the same `from`:
//! - Totals are absolute, so no cas, repeated or late, can count an add twice.
//! - Once the key has moved past a value it never returns to it (every `to` has a fresh
//!   version), so a late cas whose `from` is gone fails: it cannot overwrite a newer total.
//!   A cas that succeeds always ran on the latest state (§4.3). The key's totals only rise.
//! - A cas on one's own key never fails from mere staleness: the caller's floor is at or past
//!   its own last successful cas, and nobody else writes the key. So error 22 means an earlier
//!   timed-out cas of ours landed; the node reads its key (its own writes are visible to it,
//!   same argument) and retries from the value read.
//!
//! **Fresh reads.** A read of another node's key may come from any state since this node's
//! floor. A request that changes nothing (a read, a failing cas, a write of a value already
//! there) only sets the floor to the old state it was tried on; one that changes the state
//! runs on the latest state and moves the floor there. So a *sync* starts with the cas above,
//! whose fresh version makes it a certain change, and only once it succeeds reads the other
//! keys: each read then sees every write `seq-kv` handled before the cas. Cached totals are
//! merged by maximum, so an older answer never lowers them.
//!
//! **When to sync.** A `read` is answered from the cache if the last complete sync started
//! at most 500 ms ago; otherwise it waits for the next sync to finish (at most 3 s, then it
//! fails with error 11, since the cache may be stale: the client gives up at 5 s, and a reply
//! after that would end Maelstrom's reading of this node). Idle nodes send nothing. The final reads come
//! 10 s after the heal; every total was written by then, and the sync answering them started
//! at most 500 ms before, after those writes. One sync costs one cas and one read per other
//! node; a flush only the cas.

use glomers_engine::{
    log_error, Effects, ErrorCode, Init, Kv, Message, MsgId, Node, NodeId, Out, ReplyTo, RpcError,
};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Bodies of the g-counter workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// Adds `delta` (possibly 0) to the counter.
    Add {
        /// How much to add; a grow-only counter takes no negative deltas.
        delta: u64,
    },
    /// The add is counted.
    AddOk,
    /// Asks for the counter's value.
    Read,
    /// The counter's value.
    ReadOk {
        /// Sum of every node's total.
        value: u64,
    },
}

/// What a node stores under its own key in `seq-kv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    /// The node's running total.
    total: u64,
    /// Never used twice by the node, so every write changes `seq-kv`'s state.
    version: u64,
}

/// How often the node flushes its total and looks at waiting reads.
const TICK: Duration = Duration::from_millis(100);
/// A read is answered from the cache if the last complete sync started at most this long ago.
const FRESH: Duration = Duration::from_millis(500);
/// A read waiting for a sync is answered with error 11 after this long.
const READ_DEADLINE: Duration = Duration::from_secs(3);
/// How long a `seq-kv` call may take before it counts as failed. Services are never cut off
/// and never drop a message (§5.3), so a reply always comes: a timeout only ever fires on a
/// slow network, and then it makes things worse (the sync restarts and a late cas forces a
/// recovery). So it is generous: at `--latency 300 --latency-dist uniform` a round trip takes
/// up to 1.2 s, which the engine's 1 s default cut short (simulator seed 8, see the tests).
const KV_TIMEOUT: Duration = Duration::from_secs(5);

/// What the one sync in progress is doing.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// Nothing in flight.
    Idle,
    /// The cas on our own key is in flight; then, if `full`, the reads of the others' keys.
    Writing { full: bool, started: Duration },
    /// Reading our own key after a cas failed with 22.
    Recovering { full: bool, started: Duration },
    /// Reads of the other keys in flight.
    Reading { started: Duration, left: usize, failed: bool },
    /// Claiming our key after a start: reading it, then a cas of the same total (module doc).
    Claiming { full: bool, started: Duration },
}

/// A client read waiting for a sync.
struct Waiting {
    src: NodeId,
    msg_id: Option<MsgId>,
    since: Duration,
}

/// What a g-counter node keeps.
struct State {
    /// What our key should hold: the claimed total plus every delta this process took (before
    /// the claim, only the deltas).
    total: u64,
    /// Whether this process claimed its key (see the module doc).
    claimed: bool,
    /// Adds not yet answered, each with the total that must be stored before it is.
    unacked: Vec<(ReplyTo, u64)>,
    /// What our key holds, as far as we know: our last successful cas, or what we read back.
    stored: Option<Entry>,
    next_version: u64,
    /// Highest total seen under each other node's key.
    others: BTreeMap<NodeId, u64>,
    sync: Phase,
    /// When the last complete sync started.
    fresh_as_of: Option<Duration>,
    waiting: Vec<Waiting>,
}

impl State {
    fn value(&self) -> u64 {
        self.others.values().fold(self.total, |sum, t| sum.saturating_add(*t))
    }

    /// Whether a write is owed: the total is ahead of the key, or an add waits for its answer.
    fn is_dirty(&self) -> bool {
        self.stored.map_or(0, |e| e.total) < self.total || !self.unacked.is_empty()
    }
}

/// The g-counter node.
pub struct GCounter {
    me: NodeId,
    peers: Vec<NodeId>,
    kv: Kv,
    state: Mutex<State>,
}

impl GCounter {
    /// The value a `read` answered from the cache would return now.
    pub fn value(&self) -> u64 {
        self.state.lock().value()
    }

    /// Whether nothing is in flight and nothing is waiting to be written or answered.
    pub fn is_quiet(&self) -> bool {
        let st = self.state.lock();
        st.sync == Phase::Idle && st.waiting.is_empty() && !st.is_dirty()
    }

    /// Starts a sync: the cas of our total (a flush), then, if `full`, reads of the others.
    fn start(&self, st: &mut State, full: bool, out: &mut Effects<Self>) {
        self.write(st, full, out.now(), out);
    }

    fn write(&self, st: &mut State, full: bool, started: Duration, out: &mut Effects<Self>) {
        if !st.claimed {
            st.sync = Phase::Claiming { full, started };
            self.kv.read(out, self.me.clone(), |node: &Self, r, out| node.on_claim_read(r, out));
            return;
        }
        let to = Entry { total: st.total, version: st.next_version };
        st.next_version += 1;
        st.sync = Phase::Writing { full, started };
        let from = st.stored;
        self.kv.cas(out, self.me.clone(), from, Some(to), from.is_none(), move |node: &Self, r, out| {
            node.on_cas(to, r, out)
        });
    }

    fn on_cas(&self, to: Entry, result: Result<(), RpcError>, out: &mut Effects<Self>) {
        let mut st = self.state.lock();
        let Phase::Writing { full, started } = st.sync else { return };
        match result {
            Ok(()) => {
                st.stored = Some(to);
                // Every add this total covers is in seq-kv now.
                let (done, still): (Vec<_>, Vec<_>) =
                    st.unacked.drain(..).partition(|(_, need)| *need <= to.total);
                st.unacked = still;
                for (to, _) in done {
                    out.reply(to, Body::AddOk);
                }
                if full {
                    self.read_others(&mut st, started, out);
                } else {
                    st.sync = Phase::Idle;
                }
            }
            Err(e) if matches!(e.code, ErrorCode::PreconditionFailed | ErrorCode::KeyDoesNotExist) => {
                // Not staleness (see the module doc): an earlier cas of ours landed late.
                st.sync = Phase::Recovering { full, started };
                self.kv.read(out, self.me.clone(), |node: &Self, r, out| node.on_recovered(r, out));
            }
            Err(e) => {
                // Perhaps applied, perhaps not: the next cas, from the same value, settles it.
                log_error!("cas of own total failed: {e}");
                st.sync = Phase::Idle;
            }
        }
    }

    fn on_recovered(&self, result: Result<Entry, RpcError>, out: &mut Effects<Self>) {
        let mut st = self.state.lock();
        let Phase::Recovering { full, started } = st.sync else { return };
        match result {
            Ok(entry) => st.stored = Some(entry),
            Err(e) if e.code == ErrorCode::KeyDoesNotExist => st.stored = None,
            Err(e) => {
                log_error!("read of own key failed: {e}");
                st.sync = Phase::Idle;
                return;
            }
        }
        self.write(&mut st, full, started, out);
    }

    /// The claim's read of our key came back: claim what it holds.
    fn on_claim_read(&self, result: Result<Entry, RpcError>, out: &mut Effects<Self>) {
        let st = self.state.lock();
        let Phase::Claiming { .. } = st.sync else { return };
        drop(st);
        let found = match result {
            Ok(entry) => Some(entry),
            Err(e) if e.code == ErrorCode::KeyDoesNotExist => None,
            Err(e) => {
                log_error!("read of own key failed: {e}");
                self.state.lock().sync = Phase::Idle;
                return;
            }
        };
        let to = found
            .map_or(Entry { total: 0, version: 1 }, |e| Entry { total: e.total, version: e.version + 1 });
        self.kv.cas(out, self.me.clone(), found, Some(to), found.is_none(), move |node: &Self, r, out| {
            node.on_claimed(to, r, out)
        });
    }

    /// The claim's cas came back: on success the key is ours at `to`; if it failed on a stale
    /// read, read again.
    fn on_claimed(&self, to: Entry, result: Result<(), RpcError>, out: &mut Effects<Self>) {
        let mut st = self.state.lock();
        let Phase::Claiming { full, started } = st.sync else { return };
        match result {
            Ok(()) => {
                st.claimed = true;
                st.total = st.total.saturating_add(to.total);
                for (_, need) in &mut st.unacked {
                    *need = need.saturating_add(to.total);
                }
                st.stored = Some(to);
                st.next_version = to.version + 1;
                self.write(&mut st, full, started, out);
            }
            Err(e) if matches!(e.code, ErrorCode::PreconditionFailed | ErrorCode::KeyDoesNotExist) => {
                self.kv.read(out, self.me.clone(), |node: &Self, r, out| node.on_claim_read(r, out));
            }
            Err(e) => {
                log_error!("claim of own key failed: {e}");
                st.sync = Phase::Idle;
            }
        }
    }

    fn read_others(&self, st: &mut State, started: Duration, out: &mut Effects<Self>) {
        if self.peers.is_empty() {
            st.sync = Phase::Reading { started, left: 1, failed: false };
            return self.on_read_done(st, out);
        }
        st.sync = Phase::Reading { started, left: self.peers.len(), failed: false };
        for peer in &self.peers {
            let key = peer.clone();
            self.kv.read(out, peer.clone(), move |node: &Self, r: Result<Entry, RpcError>, out| {
                let mut st = node.state.lock();
                let Phase::Reading { started, left, failed } = st.sync else { return };
                let failed = match r {
                    Ok(entry) => {
                        let seen = st.others.entry(key).or_default();
                        *seen = (*seen).max(entry.total);
                        failed
                    }
                    // The key did not exist when our cas ran: that node has counted nothing.
                    Err(e) if e.code == ErrorCode::KeyDoesNotExist => failed,
                    Err(e) => {
                        log_error!("read of {key} failed: {e}");
                        true
                    }
                };
                st.sync = Phase::Reading { started, left, failed };
                node.on_read_done(&mut st, out);
            });
        }
    }

    /// Counts one finished read; after the last, answers the reads this sync serves.
    fn on_read_done(&self, st: &mut State, out: &mut Effects<Self>) {
        let Phase::Reading { started, left, failed } = st.sync else { return };
        if left > 1 {
            st.sync = Phase::Reading { started, left: left - 1, failed };
            return;
        }
        st.sync = Phase::Idle;
        if failed {
            return;
        }
        st.fresh_as_of = Some(started);
        let now = out.now();
        let value = st.value();
        // Reads that came before the sync started, or whose fast path would accept it now.
        let serves = |w: &Waiting| w.since <= started || now.saturating_sub(started) <= FRESH;
        let (served, still): (Vec<_>, Vec<_>) = st.waiting.drain(..).partition(serves);
        st.waiting = still;
        for w in served {
            out.reply((w.src, w.msg_id), Body::ReadOk { value });
        }
        if !st.waiting.is_empty() {
            self.start(st, true, out);
        }
    }
}

impl Node for GCounter {
    type Body = Body;

    fn init(init: &Init) -> Result<Self, RpcError> {
        let me = init.node_id.clone();
        let peers = init.node_ids.iter().filter(|n| **n != me).cloned().collect();
        let state = State {
            total: 0,
            claimed: false,
            unacked: Vec::new(),
            stored: None,
            next_version: 1,
            others: BTreeMap::new(),
            sync: Phase::Idle,
            fresh_as_of: None,
            waiting: Vec::new(),
        };
        Ok(GCounter { me, peers, kv: Kv::seq().with_timeout(KV_TIMEOUT), state: Mutex::new(state) })
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        match msg.body {
            Body::Add { delta } => {
                let mut st = self.state.lock();
                // Certainly not applied, so a definite code is honest (§2.4).
                st.total = st.total.checked_add(delta).ok_or_else(|| {
                    RpcError::new(ErrorCode::Abort, "the counter would overflow a 64-bit integer")
                })?;
                let need = st.total;
                // Answered once a cas carrying it succeeds (module doc); a zero delta at once.
                match st.stored.filter(|s| st.claimed && s.total >= need) {
                    Some(_) => {
                        drop(st);
                        out.reply(&msg, Body::AddOk);
                    }
                    None => st.unacked.push((msg.reply_to(), need)),
                }
            }
            Body::Read => {
                let now = out.now();
                let mut st = self.state.lock();
                if st.fresh_as_of.is_some_and(|at| now.saturating_sub(at) <= FRESH) {
                    let value = st.value();
                    drop(st);
                    out.reply(&msg, Body::ReadOk { value });
                } else {
                    st.waiting.push(Waiting { src: msg.src, msg_id: msg.msg_id, since: now });
                    if st.sync == Phase::Idle {
                        self.start(&mut st, true, out);
                    }
                }
            }
            Body::AddOk | Body::ReadOk { .. } => {
                return Err(RpcError::not_supported("a reply type, not a request"));
            }
        }
        Ok(())
    }

    fn tick_every(&self) -> Option<Duration> {
        Some(TICK)
    }

    fn on_tick(&self, out: &mut Effects<Self>) {
        let now = out.now();
        let mut st = self.state.lock();
        if st.waiting.iter().any(|w| now.saturating_sub(w.since) >= READ_DEADLINE) {
            let (late, still): (Vec<_>, Vec<_>) =
                st.waiting.drain(..).partition(|w| now.saturating_sub(w.since) >= READ_DEADLINE);
            st.waiting = still;
            for w in late {
                // The cache predates the read, so its value may miss adds acknowledged before
                // it: a definite error is honest, a stale value would be wrong (simulator,
                // `--reorder 1000`, seed 4).
                let why = "no sync of the counter finished in time; nothing was read, try again";
                out.reply_error((w.src, w.msg_id), RpcError::new(ErrorCode::TemporarilyUnavailable, why));
            }
        }
        if st.sync == Phase::Idle {
            if !st.waiting.is_empty() {
                self.start(&mut st, true, out);
            } else if st.is_dirty() {
                self.start(&mut st, false, out);
            }
        }
    }
}

#[cfg(test)]
mod tests;
