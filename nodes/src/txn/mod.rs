//! Challenges 6a–6c, `txn-rw-register` (docs/protocol.md §7.6): totally available transactions
//! over registers, read-uncommitted and read-committed, through partitions.
//!
//! **How a transaction runs.** Entirely on the node that receives it, under one lock: its
//! micro-operations run in order (reads see the transaction's own earlier writes, else the
//! store), its final writes then apply to the store at once, and it is answered at once. No transaction ever waits for another node or aborts,
//! so every request succeeds even while partitioned (`--availability total`).
//!
//! **How replicas converge.** Each transaction gets a Lamport stamp `(clock, node)`; its *final*
//! value for each key it wrote is sent to every other node over a `Link` (see `crate::link`:
//! batched, acknowledged, resent until acknowledged, so writes cut off by a partition arrive
//! after it heals). A replica applies all of one transaction's writes at once, and a write only
//! replaces a value with a lower stamp: last writer wins, so all nodes end with the same values.
//!
//! **Why each anomaly read-committed forbids cannot happen** (docs/protocol.md §7.6; the checker
//! infers versions only from "null first" and "a transaction's first read of a key precedes
//! its last write of it").
//! - G1c (circular information flow) and G0 (write cycle): a `wr` edge T1 → T2 means T2 read
//!   T1's final write, and a `ww` edge T1 → T2 means T2 read it and then wrote the key. Either
//!   way T1's writes had been applied where T2 ran, so that node's Lamport clock had reached
//!   T1's stamp, and T2, stamped after advancing that clock, has a higher stamp. Every `ww` and
//!   `wr` edge goes up in stamp order, so no cycle of them can close.
//! - G1a (aborted read): no transaction ever aborts or answers an error after applying
//!   anything, so no value comes from a failed transaction.
//! - G1b (intermediate read): a transaction's writes collect per key and only its final value
//!   of each key is applied, locally and on replicas, all at once under one stamp. Applying them
//!   one at a time was a bug: the same stamp does not replace itself, so a key written twice kept
//!   its *first* (intermediate) value for everyone, and the transaction's own later read saw it.
//! - Cyclic versions: a version edge v1 → v2 comes from a transaction that read v1 and wrote
//!   v2, so v2's stamp is above v1's; stamps order every inferred edge, leaving no cycle.
//! - Internal consistency (not required by read-committed, but kept): a read sees the
//!   transaction's own latest write of the key before the store.

use crate::link::{poll_all, to_peers, Batch, Link, Timing};
use glomers_engine::{Effects, ErrorCode, Init, Message, Node, NodeId, Out, RpcError};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// One micro-operation: `["r", key, value-or-null]` or `["w", key, value]`.
pub type MicroOp = (String, Value, Value);

/// Bodies of the txn-rw-register workload, and the replication between nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// Run a transaction.
    Txn {
        /// Its micro-operations, in order.
        txn: Vec<MicroOp>,
    },
    /// The transaction ran; reads carry the values seen.
    TxnOk {
        /// The micro-operations with read values filled in.
        txn: Vec<MicroOp>,
    },
    /// Replicated transactions and/or an acknowledgement (see `Link`).
    Replicate {
        /// Batch number; 0 for a pure acknowledgement.
        seq: u64,
        /// Transactions' final writes the receiver has not acknowledged yet.
        items: Vec<Writes>,
        /// The highest batch number the sender has received from the receiver.
        ack: u64,
    },
}

/// A Lamport stamp: a counter, then the node's index to break ties.
pub type Stamp = (u64, u64);

/// One transaction's final writes, with its stamp.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Writes {
    /// When it ran, in Lamport time.
    pub stamp: Stamp,
    /// Key and final value, one per key written.
    pub writes: Vec<(Value, Value)>,
}

/// A key's value and the stamp of the transaction that wrote it. Keys are JSON values (the
/// workload sends integers); they are keyed by their JSON text.
struct Cell {
    value: Value,
    stamp: Stamp,
}

struct State {
    store: HashMap<String, Cell>,
    clock: u64,
    links: BTreeMap<NodeId, Link<Writes>>,
}

impl State {
    /// Applies writes that carry `stamp`, each only over an older value.
    fn apply(&mut self, stamp: Stamp, writes: &[(Value, Value)]) {
        self.clock = self.clock.max(stamp.0);
        for (key, value) in writes {
            let cell =
                self.store.entry(key.to_string()).or_insert(Cell { value: Value::Null, stamp: (0, 0) });
            if stamp > cell.stamp {
                *cell = Cell { value: value.clone(), stamp };
            }
        }
    }
}

/// The txn node.
pub struct Txn {
    /// This node's index in `node_ids`, the second half of its stamps.
    index: u64,
    timing: Timing,
    state: Mutex<State>,
}

impl Txn {
    /// The default replication timing; the `txn` binary overrides it from
    /// `GLOMERS_TXN_BATCH_MS`, `_ACK_MS` and `_RETRY_MS`.
    pub const TIMING: Timing = Timing {
        batch: Duration::from_millis(10),
        ack_delay: Duration::from_millis(100),
        retry: Duration::from_millis(500),
    };

    /// A node with explicit timing (the binary's settings, tests).
    ///
    /// # Errors
    /// Error 12 when this node is not in `node_ids`.
    pub fn with_timing(init: &Init, timing: Timing) -> Result<Self, RpcError> {
        let me = &init.node_id;
        let index =
            init.node_ids.iter().position(|n| n == me).ok_or_else(|| {
                RpcError::new(ErrorCode::MalformedRequest, format!("{me} is not in node_ids"))
            })?;
        let links = to_peers(me, &init.node_ids);
        Ok(Txn {
            index: index as u64,
            timing,
            state: Mutex::new(State { store: HashMap::new(), clock: 0, links }),
        })
    }

    /// Runs a transaction: reads fill in (seeing the transaction's own latest write of a key
    /// first), writes collect per key, and only the final writes apply to the store, all at once
    /// under one stamp; returns the completed micro-operations and those final writes.
    fn run(&self, state: &mut State, txn: Vec<MicroOp>) -> Result<(Vec<MicroOp>, Writes), RpcError> {
        state.clock += 1;
        let stamp = (state.clock, self.index);
        let mut written: Vec<(Value, Value)> = Vec::new();
        let mut done = Vec::with_capacity(txn.len());
        for (f, key, value) in txn {
            match f.as_str() {
                "r" => {
                    let own = written.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone());
                    let seen = own.unwrap_or_else(|| {
                        state.store.get(&key.to_string()).map_or(Value::Null, |c| c.value.clone())
                    });
                    done.push((f, key, seen));
                }
                "w" => {
                    match written.iter_mut().find(|(k, _)| *k == key) {
                        Some(slot) => slot.1 = value.clone(),
                        None => written.push((key.clone(), value.clone())),
                    }
                    done.push((f, key, value));
                }
                other => return Err(RpcError::malformed(format!("unknown micro-op `{other}`"))),
            }
        }
        // One stamp for the whole transaction: applying its writes one by one would let the
        // first write of a key win over the later ones (a write only replaces an older stamp).
        state.apply(stamp, &written);
        Ok((done, Writes { stamp, writes: written }))
    }

    fn flush(&self, state: &mut State, out: &mut Effects<Self>) {
        let now = out.now();
        poll_all(&mut state.links, now, &self.timing, |peer, Batch { seq, values, ack }| {
            out.send(peer, Body::Replicate { seq, items: values, ack })
        });
    }
}

impl Node for Txn {
    type Body = Body;

    fn init(init: &Init) -> Result<Self, RpcError> {
        Self::with_timing(init, Self::TIMING)
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        match msg.body {
            Body::Txn { txn } => {
                if let Some((f, _, _)) = txn.iter().find(|(f, _, _)| f != "r" && f != "w") {
                    // Checked before anything applies, so the error is definite.
                    return Err(RpcError::malformed(format!("unknown micro-op `{f}`")));
                }
                let now = out.now();
                let mut state = self.state.lock();
                let (done, writes) = self.run(&mut state, txn)?;
                if !writes.writes.is_empty() {
                    for link in state.links.values_mut() {
                        link.push(writes.clone(), now);
                    }
                }
                self.flush(&mut state, out);
                drop(state);
                out.reply((msg.src, msg.msg_id), Body::TxnOk { txn: done });
            }
            Body::Replicate { seq, items, ack } => {
                let now = out.now();
                let mut state = self.state.lock();
                state.links.entry(msg.src.clone()).or_default().on_batch(seq, ack, now);
                for w in items {
                    state.apply(w.stamp, &w.writes);
                }
                self.flush(&mut state, out);
            }
            Body::TxnOk { .. } => return Err(RpcError::not_supported("a reply type, not a request")),
        }
        Ok(())
    }

    fn tick_every(&self) -> Option<Duration> {
        Some(Timing::CHECK_EVERY)
    }

    fn on_tick(&self, out: &mut Effects<Self>) {
        let mut state = self.state.lock();
        self.flush(&mut state, out);
    }
}

#[cfg(test)]
mod tests;
