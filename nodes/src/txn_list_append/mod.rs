//! Maelstrom's guide, `txn-list-append` (docs/protocol.md §7.10): strict-serializable
//! transactions over lists, every node a transactor over one database kept in `lin-kv`.
//!
//! **The database is a log of immutable slots.** `lin-kv` key `slot/<i>` holds the `i`-th
//! committed batch of appends, with the tag of the node that wrote it ([`Entry`]). A slot is
//! written once, by a `cas` with `create_if_not_exists` (from `null`, which no entry equals), so
//! of all the nodes that try to claim a slot exactly one wins, and nobody ever changes it. The
//! database's state after slot `i` is the lists built by appending the entries of slots `0..=i`
//! in order. A node claims slot `i` only once it knows slots `0..i`, so slots are written in
//! order: if slot `i` is missing at some instant, so is every slot after it.
//!
//! **A transaction commits by claiming the next slot.** A node keeps the lists of the log's
//! prefix it knows (`replica`), and queues the transactions it receives. When it has nothing in
//! flight, it runs every queued transaction in turn on its copy (each sees the appends of those
//! before it: one batch, a group commit), and tries to claim the next slot `len` with all their
//! appends (`rounds`). If the claim succeeds, the batch answers `txn_ok` and the node sends
//! the slot to its peers, so that they rarely have to read it. If another node won the slot, the
//! node learns that slot (from the peer's message or by reading it) and runs the batch again on
//! the longer prefix. A batch with no append claims nothing: the node reads the next slot
//! instead, and a missing slot proves its copy current.
//!
//! **Why this is strict serializable.** Every committed transaction is ordered by its slot, and
//! within a slot by its place in the batch; a read-only transaction goes between two slots.
//! - A claimed batch ran on slots `0..s`, all written before the claim was sent; its `cas` found
//!   slot `s` missing and wrote it. At that instant the database was exactly what the batch read,
//!   and its appends took effect; the instant lies within every request of the batch, all
//!   received before the claim was sent. So the batch's transactions are atomic and serial at a
//!   real-time point inside each of them.
//! - A read-only transaction received before a read of slot `m` that found it missing is answered
//!   from slots `0..len`, once `len ≥ m`. Let `P` be the later of that read and the write of slot
//!   `len - 1`. At `P` slots `0..len` exist, and slot `len` does not: it was missing at the read
//!   (as `len ≥ m`) and is written only after slot `len - 1`. `P` follows the transaction's
//!   receipt and precedes its answer (the node knew slot `len - 1`, so it was written). So the
//!   reads are current at a point inside the request: never stale, because `lin-kv` is
//!   linearizable and a read of a missing slot is ordered after every completed write.
//! - Nothing else changes the database: a losing `cas` changes nothing, and slots are never
//!   rewritten, so what any node knows of a slot stays true forever and can be cached without
//!   checks. Partitions between nodes only delay the peers' copies of slots; every decision rests
//!   on `lin-kv`, which Maelstrom never partitions.
//!
//! **Which errors.** A claim whose reply says 22 or never comes is resolved by reading the slot:
//! the node's own tag there means it committed (the `cas` may have arrived twice); another tag
//! means it lost (the batch runs again); a missing slot after a timeout means the claim has not
//! landed, and it is sent again as it was (same slot, same tag, so at most one copy can land).
//! After [`MAX_TRIES`] unresolved attempts the batch gets error 13 (crash: the entry may still
//! land). A transaction that waits in the queue longer than [`PATIENCE`] was never part of a
//! claim that can still land, so it gets a definite error: 30 if it lost a race, else 11.
//!
//! **Unique tags.** A tag is (node, incarnation, sequence). The incarnation is drawn at start-up
//! by incrementing `lin-kv` key `incarnation/<node>` with a `cas` when the first transaction
//! arrives, so it differs across restarts of a node and is deterministic under the simulator; the
//! node claims nothing until it has one.
//!
//! **Late starters.** Every [`SNAPSHOT_EVERY`] slots the node that wrote the last one stores
//! the lists in `lin-kv` (`snapshot`); a node reads the latest snapshot when it starts, so a
//! restarted node reads only the slots after it. A snapshot is a function of the log's prefix,
//! so trusting it is trusting the log.
//!
//! **Cost.** With no contention a batch costs one `cas` (two server messages) plus one message to
//! each peer; a read-only batch one read (two messages). A lost race costs the failed `cas` and,
//! when the peer's message has not arrived yet, one read. So with two nodes a transaction costs
//! about three server messages, and fewer when batches hold several; the Datomic chapter's final
//! design costs about eight.

mod replica;
mod rounds;
mod snapshot;

use glomers_engine::{Effects, ErrorCode, Init, Kv, Message, Node, NodeId, Out, ReplyTo, RpcError};
use parking_lot::Mutex;
use replica::Replica;
use serde::{Deserialize, Serialize};
use serde_json::Value;
pub use snapshot::SNAPSHOT_EVERY;
use std::collections::VecDeque;
use std::time::Duration;

/// One micro-operation: `["r", key, null]` (a read; the reply fills in the list) or
/// `["append", key, value]`.
pub type MicroOp = (String, Value, Value);

/// Who wrote an entry: the node, its incarnation, and the entry's number in that incarnation.
pub type Tag = (NodeId, u64, u64);

/// The function of an append micro-operation.
const APPEND: &str = "append";
/// The function of a read micro-operation.
const READ: &str = "r";

/// How long a transaction may wait in the queue before it is refused (definitely).
pub const PATIENCE: Duration = Duration::from_secs(2);
/// How many attempts resolve one claim before its batch is answered with error 13.
pub const MAX_TRIES: u32 = 3;
/// How often queued transactions are checked against [`PATIENCE`].
const SWEEP_EVERY: Duration = Duration::from_millis(100);
/// Most transactions in one batch, to keep entries small.
const BATCH_LIMIT: usize = 64;
/// Most slots read at once while catching up.
const WINDOW_LIMIT: u64 = 32;

/// What one slot of the log holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Who wrote it.
    pub by: Tag,
    /// The batch's appends, `[key, value]`, in order.
    pub appends: Vec<(Value, Value)>,
}

/// Bodies of the txn-list-append workload, and the slots nodes pass each other.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// Run a transaction.
    Txn {
        /// Its micro-operations, in order.
        txn: Vec<MicroOp>,
    },
    /// A slot the sender wrote (no reply): saves the receiver a read.
    Slot {
        /// The slot's number.
        slot: u64,
        /// What it holds.
        entry: Entry,
    },
}

/// What this node answers clients.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    /// The transaction committed; reads carry the lists seen.
    TxnOk {
        /// The micro-operations with read values filled in.
        txn: Vec<MicroOp>,
    },
}

/// A transaction waiting for a batch.
#[derive(Debug)]
struct Pending {
    /// Arrival number, to tell which transactions a freshness check covers.
    id: u64,
    to: ReplyTo,
    txn: Vec<MicroOp>,
    /// When it arrived.
    since: Duration,
    /// Whether a batch holding it lost a race (so a refusal is error 30).
    conflicted: bool,
}

impl Pending {
    fn appends(&self) -> bool {
        self.txn.iter().any(|(f, _, _)| f == APPEND)
    }
}

/// The node's state, under one lock.
#[derive(Debug, Default)]
struct State {
    replica: Replica,
    /// This run's incarnation, once drawn from `lin-kv`.
    incarnation: Option<u64>,
    /// Whether the incarnation is being drawn.
    incarnating: bool,
    /// The next entry number of this incarnation.
    next_seq: u64,
    /// The next arrival number.
    next_id: u64,
    queue: VecDeque<Pending>,
    /// Whether a claim or a check is in flight (one at a time).
    busy: bool,
    /// Whether the node learnt lately that its copy lags: it reads before it claims again.
    behind: bool,
    /// How many slots the next catch-up reads at once.
    window: u64,
}

/// The txn-list-append node.
pub struct TxnListAppend {
    me: NodeId,
    kv: Kv,
    state: Mutex<State>,
}

impl TxnListAppend {
    /// Runs what can run now: the next claim or check, if nothing is in flight.
    fn pump(&self, out: &mut Effects<Self>) {
        let mut s = self.state.lock();
        if s.busy || s.queue.is_empty() {
            return;
        }
        let Some(incarnation) = s.incarnation else {
            // The first transaction has the incarnation drawn: a node never used sends nothing.
            if !std::mem::replace(&mut s.incarnating, true) {
                drop(s);
                self.incarnate(out);
            }
            return;
        };
        s.busy = true;
        let slot = s.replica.len();
        if s.behind || !s.queue.iter().any(Pending::appends) {
            let window = if s.behind { s.window.clamp(1, WINDOW_LIMIT) } else { 1 };
            let upto = s.next_id;
            drop(s);
            self.check(out, slot, window, upto);
            return;
        }
        let take = s.queue.len().min(BATCH_LIMIT);
        let batch: Vec<Pending> = s.queue.drain(..take).collect();
        let (done, appends) = s.replica.run(batch.iter().map(|p| &p.txn));
        let by = (self.me.clone(), incarnation, s.next_seq);
        s.next_seq += 1;
        drop(s);
        let batch = batch.into_iter().zip(done).collect();
        self.claim(out, rounds::Claim { slot, entry: Entry { by, appends }, batch, tries: 0 });
    }

    /// Refuses queued transactions that waited past [`PATIENCE`] (none was ever in a claim that
    /// can still land), then pumps.
    fn sweep(&self, out: &mut Effects<Self>) {
        let now = out.now();
        let mut s = self.state.lock();
        let (late, kept): (Vec<Pending>, Vec<Pending>) =
            s.queue.drain(..).partition(|p| now.saturating_sub(p.since) >= PATIENCE);
        s.queue = kept.into();
        drop(s);
        for p in late {
            let error = if p.conflicted {
                RpcError::new(ErrorCode::TxnConflict, "lost every race for a slot; not applied")
            } else {
                RpcError::new(ErrorCode::TemporarilyUnavailable, "lin-kv did not answer in time; not applied")
            };
            out.reply_error(p.to, error);
        }
        self.pump(out);
    }
}

/// Checks a transaction's shape: each micro-operation is a read or an append.
fn validate(txn: &[MicroOp]) -> Result<(), RpcError> {
    match txn.iter().find(|(f, _, _)| f != READ && f != APPEND) {
        Some((f, _, _)) => Err(RpcError::malformed(format!("unknown micro-operation {f:?}"))),
        None => Ok(()),
    }
}

impl Node for TxnListAppend {
    type Body = Body;

    fn init(init: &Init) -> Result<Self, RpcError> {
        Ok(TxnListAppend { me: init.node_id.clone(), kv: Kv::lin(), state: Mutex::default() })
    }

    fn on_start(&self, out: &mut Effects<Self>) {
        out.every(SWEEP_EVERY, |node: &Self, out| node.sweep(out));
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        let to = msg.reply_to();
        match msg.body {
            Body::Txn { txn } => {
                validate(&txn)?;
                let since = out.now();
                let mut s = self.state.lock();
                let id = s.next_id;
                s.next_id += 1;
                s.queue.push_back(Pending { id, to, txn, since, conflicted: false });
            }
            Body::Slot { slot, entry } => self.state.lock().replica.learn(slot, entry),
        }
        self.pump(out);
        Ok(())
    }
}

#[cfg(test)]
mod serializability_tests;
#[cfg(test)]
mod tests;
