//! Negative controls for `glomers-bench sim`: small engine `Node`s broken on purpose, each the
//! in-process twin of a `glomers-control` mode, run over 200 seeds. Each test prints the
//! fraction of seeds rejected, asserts it is high, and asserts the anomaly the checker named.

mod sim_spec;

use glomers_bench::sim::{SeedResult, Spec};
use glomers_engine::driver::{Clock, Driver, LineDriver};
use glomers_engine::{ErrorCode, Init, Message, MsgId, Node, NodeId, Out, RpcError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sim_spec::{seeds, spec};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

/// Seeds each control runs over.
const SEEDS: u64 = 200;

/// The simulator's driver for node type `N`.
fn driver<N: Node>(clock: Clock) -> Box<dyn Driver> {
    Box::new(LineDriver::<N>::with_clock(clock))
}

/// Runs seeds 1..=200 of `s`, prints "`name`: rejected on X/200 seeds" and returns the seeds
/// that were not valid.
fn rejected(name: &str, s: &Spec) -> Vec<SeedResult> {
    let bad: Vec<SeedResult> = seeds(s, SEEDS).into_iter().filter(|r| !r.is_valid()).collect();
    eprintln!("{name}: rejected on {}/{SEEDS} seeds", bad.len());
    bad
}

/// Asserts every rejected seed names `anomaly` among its anomalies.
fn all_name(bad: &[SeedResult], anomaly: &str) {
    let other = bad.iter().find(|r| !r.anomalies.iter().any(|a| a == anomaly));
    assert!(other.is_none(), "{anomaly} not named: {other:?}");
}

fn poisoned() -> RpcError {
    RpcError::not_supported("poisoned")
}

/// Echo that answers every request with the wrong text (`glomers-control echo-wrong`).
struct WrongEcho;

impl Node for WrongEcho {
    type Body = glomers_nodes::echo::Body;
    fn init(_: &Init) -> Result<Self, RpcError> {
        Ok(WrongEcho)
    }
    fn on_message(&self, msg: Message<Self::Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        let echo = json!("something else");
        out.reply(msg.src, msg.msg_id, glomers_nodes::echo::Body::EchoOk { echo });
        Ok(())
    }
}

#[test]
fn an_echo_with_the_wrong_text_is_rejected_on_every_seed() {
    let flags = ["--node-count", "1", "--time-limit", "1", "--rate", "10"];
    let bad = rejected("echo-wrong", &spec("echo", &flags, driver::<WrongEcho>));
    assert_eq!(bad.len() as u64, SEEDS);
    assert!(bad.iter().all(|r| r.cause.as_deref().is_some_and(|c| c.contains("something else"))), "{bad:?}");
}

/// Broadcast that floods each value to every peer once and never retries, so a value sent
/// across a partition is lost for good (`glomers-control broadcast-lossy`).
struct Lossy {
    me: NodeId,
    peers: Vec<NodeId>,
    values: Mutex<Vec<u64>>,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Body {
    Broadcast { message: u64 },
    BroadcastOk,
    Read,
    ReadOk { messages: Vec<u64> },
    Topology { topology: Value },
    TopologyOk,
    Gossip { value: u64 },
}

impl Node for Lossy {
    type Body = Body;
    fn init(init: &Init) -> Result<Self, RpcError> {
        let peers = init.node_ids.iter().filter(|n| **n != init.node_id).cloned().collect();
        Ok(Lossy { me: init.node_id.clone(), peers, values: Mutex::new(Vec::new()) })
    }
    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        let mut values = self.values.lock().map_err(|_| poisoned())?;
        match msg.body {
            Body::Broadcast { message } => {
                values.push(message);
                for p in &self.peers {
                    out.send(p.clone(), Body::Gossip { value: message });
                }
                out.reply(msg.src, msg.msg_id, Body::BroadcastOk);
            }
            Body::Gossip { value } if msg.src != self.me => values.push(value),
            Body::Read => out.reply(msg.src, msg.msg_id, Body::ReadOk { messages: values.clone() }),
            Body::Topology { .. } => out.reply(msg.src, msg.msg_id, Body::TopologyOk),
            _ => return Err(RpcError::not_supported("unexpected")),
        }
        Ok(())
    }
}

#[test]
fn a_broadcast_without_retries_is_rejected_on_most_seeds_and_valid_without_faults() {
    let flags = ["--node-count", "5", "--time-limit", "10", "--rate", "20", "--nemesis", "partition"];
    let bad = rejected("broadcast-lossy under partitions", &spec("broadcast", &flags, driver::<Lossy>));
    assert!(bad.len() >= 150, "rejected on only {}/{SEEDS} seeds", bad.len());
    let causes: Vec<&str> = bad.iter().filter_map(|r| r.cause.as_deref()).collect();
    assert!(causes.iter().all(|c| c.contains("missing from the final read")), "{:?}", causes.first());
    // Without partitions nothing is lost: the control is broken only where it should be.
    let calm = seeds(&spec("broadcast", &flags[..6], driver::<Lossy>), 20);
    assert!(calm.iter().all(|r| r.is_valid()), "{:?}", calm.iter().find(|r| !r.is_valid()));
}

/// Unique-ids that numbers its ids 1, 2, 3… on every node, so ids collide across nodes
/// (`glomers-control unique-ids-collide`).
struct Colliding(Mutex<u64>);

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum IdBody {
    Generate,
    GenerateOk { id: u64 },
}

impl Node for Colliding {
    type Body = IdBody;
    fn init(_: &Init) -> Result<Self, RpcError> {
        Ok(Colliding(Mutex::new(0)))
    }
    fn on_message(&self, msg: Message<IdBody>, out: &mut Out<Self>) -> Result<(), RpcError> {
        let mut next = self.0.lock().map_err(|_| poisoned())?;
        *next += 1;
        out.reply(msg.src, msg.msg_id, IdBody::GenerateOk { id: *next });
        Ok(())
    }
}

#[test]
fn colliding_unique_ids_are_rejected_on_every_seed() {
    let flags = ["--node-count", "3", "--time-limit", "3", "--rate", "50"];
    let bad = rejected("unique-ids-collide", &spec("unique-ids", &flags, driver::<Colliding>));
    assert_eq!(bad.len() as u64, SEEDS);
}

/// A g-counter that keeps its own total, gossips it to every peer each tick, and forgets the
/// first non-zero add it acknowledges (`glomers-control g-counter-miss`).
struct Forgetful {
    me: NodeId,
    peers: Vec<NodeId>,
    /// (own total, whether an add was forgotten yet, highest total seen per peer).
    state: Mutex<(u64, bool, BTreeMap<NodeId, u64>)>,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum CountBody {
    Add { delta: u64 },
    AddOk,
    Read,
    ReadOk { value: u64 },
    Total { total: u64 },
}

impl Node for Forgetful {
    type Body = CountBody;
    fn init(init: &Init) -> Result<Self, RpcError> {
        let peers = init.node_ids.iter().filter(|n| **n != init.node_id).cloned().collect();
        Ok(Forgetful { me: init.node_id.clone(), peers, state: Mutex::new((0, false, BTreeMap::new())) })
    }
    fn on_message(&self, msg: Message<CountBody>, out: &mut Out<Self>) -> Result<(), RpcError> {
        let mut st = self.state.lock().map_err(|_| poisoned())?;
        match msg.body {
            CountBody::Add { delta } => {
                if delta > 0 && !st.1 {
                    st.1 = true;
                } else {
                    st.0 += delta;
                }
                out.reply(msg.src, msg.msg_id, CountBody::AddOk);
            }
            CountBody::Read => {
                let value = st.0 + st.2.values().sum::<u64>();
                out.reply(msg.src, msg.msg_id, CountBody::ReadOk { value });
            }
            CountBody::Total { total } if msg.src != self.me => {
                let seen = st.2.entry(msg.src).or_default();
                *seen = (*seen).max(total);
            }
            _ => return Err(RpcError::not_supported("unexpected")),
        }
        Ok(())
    }
    fn tick_every(&self) -> Option<Duration> {
        Some(Duration::from_millis(200))
    }
    fn on_tick(&self, out: &mut glomers_engine::Effects<Self>) {
        let total = self.state.lock().map_or(0, |st| st.0);
        for p in &self.peers {
            out.send(p.clone(), CountBody::Total { total });
        }
    }
}

#[test]
fn a_g_counter_that_forgets_an_add_is_rejected_on_every_seed() {
    let flags = ["--node-count", "3", "--time-limit", "5", "--rate", "50", "--nemesis", "partition"];
    let bad = rejected("g-counter-miss", &spec("g-counter", &flags, driver::<Forgetful>));
    assert_eq!(bad.len() as u64, SEEDS, "some seeds valid");
    assert!(bad.iter().all(|r| r.cause.as_deref().is_some_and(|c| c.contains("acceptable"))));
}

/// The broken kafkas, as the const parameter of [`Kafka`].
const OFFSET_REUSE: u8 = 0;
/// See [`OFFSET_REUSE`].
const LOST_SEND: u8 = 1;
/// See [`OFFSET_REUSE`].
const POLL_SKIP: u8 = 2;

/// Which send `LOST_SEND` acknowledges without storing.
const LOST: u64 = 5;

/// `POLL_SKIP` leaves a message out of every this many polls that could skip one.
const SKIP_EVERY: u64 = 3;

/// A kafka node that keeps every log itself, broken by `MODE` as the `glomers-control` kafka
/// modes are: `OFFSET_REUSE` (every node allocates offsets on its own, so two nodes hand out
/// one offset), `LOST_SEND` (acknowledges its 5th send and never stores it), `POLL_SKIP`
/// (every 3rd poll that could skip leaves out the first message of each key).
struct Kafka<const MODE: u8>(Mutex<Logs>);

/// The logs of one kafka node.
#[derive(Default)]
struct Logs {
    /// Per key: `(offset, msg)` in offset order, and the next offset to hand out.
    logs: BTreeMap<String, (Vec<(u64, Value)>, u64)>,
    committed: BTreeMap<String, u64>,
    sends: u64,
    /// Polls that could skip a message.
    skippable: u64,
}

impl Logs {
    fn send(&mut self, key: String, msg: Value, lose: bool) -> u64 {
        self.sends += 1;
        let (entries, next) = self.logs.entry(key).or_default();
        let offset = *next;
        *next += 1;
        if !(lose && self.sends == LOST) {
            entries.push((offset, msg));
        }
        offset
    }

    /// Messages from each requested offset on. A poll could skip when a key has two messages
    /// from an offset above 0 (a poll from 0 follows an assign, whose skips are not judged).
    fn poll(&mut self, offsets: &BTreeMap<String, u64>, skip: bool) -> BTreeMap<String, Vec<(u64, Value)>> {
        let from = |entries: &[(u64, Value)], o: u64| entries.partition_point(|(at, _)| *at < o);
        let could = offsets
            .iter()
            .any(|(k, o)| self.logs.get(k).is_some_and(|(e, _)| *o > 0 && e.len() - from(e, *o) >= 2));
        self.skippable += u64::from(could);
        let drop = usize::from(skip && could && self.skippable.is_multiple_of(SKIP_EVERY));
        let mut msgs = BTreeMap::new();
        for (k, o) in offsets {
            let Some((e, _)) = self.logs.get(k) else { continue };
            let pairs: Vec<(u64, Value)> = e.iter().skip(from(e, *o)).skip(drop).cloned().collect();
            if !pairs.is_empty() {
                msgs.insert(k.clone(), pairs);
            }
        }
        msgs
    }
}

impl<const MODE: u8> Node for Kafka<MODE> {
    type Body = glomers_nodes::kafka::Body;
    fn init(_: &Init) -> Result<Self, RpcError> {
        Ok(Kafka(Mutex::new(Logs::default())))
    }
    fn on_message(&self, msg: Message<Self::Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        use glomers_nodes::kafka::Body as K;
        let mut st = self.0.lock().map_err(|_| poisoned())?;
        let reply = match msg.body {
            K::Send { key, msg } => K::SendOk { offset: st.send(key, msg, MODE == LOST_SEND) },
            K::Poll { offsets } => K::PollOk { msgs: st.poll(&offsets, MODE == POLL_SKIP) },
            K::CommitOffsets { offsets } => {
                for (k, o) in offsets {
                    let c = st.committed.entry(k).or_insert(o);
                    *c = (*c).max(o);
                }
                K::CommitOffsetsOk
            }
            K::ListCommittedOffsets { keys } => {
                let offsets = keys.into_iter().filter_map(|k| Some((k.clone(), *st.committed.get(&k)?)));
                K::ListCommittedOffsetsOk { offsets: offsets.collect() }
            }
            _ => return Err(RpcError::not_supported("unexpected")),
        };
        out.reply(msg.src, msg.msg_id, reply);
        Ok(())
    }
}

/// A short kafka run on `nodes` nodes, of `secs` seconds at `rate`.
fn kafka(nodes: &str, secs: &str, rate: &str, make: glomers_nodes::registry::Factory) -> Spec {
    let flags = ["--node-count", nodes, "--concurrency", "2n", "--time-limit", secs, "--rate", rate];
    spec("kafka", &flags, make)
}

#[test]
fn kafka_offsets_allocated_per_node_are_inconsistent_on_most_seeds() {
    let bad = rejected("kafka-offset-reuse", &kafka("2", "2", "200", driver::<Kafka<OFFSET_REUSE>>));
    assert!(bad.len() >= 195, "rejected on only {}/{SEEDS} seeds", bad.len());
    all_name(&bad, "inconsistent-offsets");
    // On one node the same code is a correct log.
    let alone = seeds(&kafka("1", "2", "200", driver::<Kafka<OFFSET_REUSE>>), 20);
    assert!(alone.iter().all(|r| r.is_valid()), "{:?}", alone.iter().find(|r| !r.is_valid()));
}

#[test]
fn kafka_that_loses_an_acknowledged_send_is_rejected_on_most_seeds() {
    let bad = rejected("kafka-lost-send", &kafka("1", "2", "200", driver::<Kafka<LOST_SEND>>));
    assert!(bad.len() >= 195, "rejected on only {}/{SEEDS} seeds", bad.len());
    let lost = bad.iter().find(|r| !r.anomalies.iter().any(|a| a == "lost-write" || a == "unseen"));
    assert!(lost.is_none(), "neither lost-write nor unseen: {lost:?}");
}

#[test]
fn kafka_polls_that_skip_a_message_are_rejected_on_most_seeds() {
    // In 2 s at rate 200, 19 seeds of 200 were valid: in each, the consumers kept up, so fewer
    // than 3 polls could skip and the control never skipped. A busier run gives it the chance.
    let bad = rejected("kafka-poll-skip", &kafka("1", "3", "300", driver::<Kafka<POLL_SKIP>>));
    assert!(bad.len() >= 195, "rejected on only {}/{SEEDS} seeds", bad.len());
    all_name(&bad, "poll-skip");
}

/// The broken txn stores, as the const parameter of [`Txn`].
const DIRTY: u8 = 0;
/// See [`DIRTY`].
const INTERMEDIATE: u8 = 1;
/// See [`DIRTY`].
const WRITE_CYCLE: u8 = 2;

/// How many later transactions see an exposed intermediate write (`INTERMEDIATE`).
const EXPOSED_FOR: u32 = 5;

/// How long `WRITE_CYCLE` holds a transaction waiting for a partner (well under the client's
/// 5 s timeout).
const HOLD_FOR: Duration = Duration::from_millis(1000);

/// A txn-rw-register store on one node, broken by `MODE` as the `glomers-control` txn modes
/// are: `DIRTY` (G1a: every 3rd transaction that writes keeps its writes and answers error 30),
/// `INTERMEDIATE` (G1b: a key written twice in a transaction shows its first value to the next
/// 5 transactions), `WRITE_CYCLE` (G0: a transaction T1 that reads then writes y and writes x
/// is held open; a later T2 that reads then writes x and writes y is made to read T1's x, and
/// T1's read of y answered with T2's y).
struct Txn<const MODE: u8>(Mutex<Store>);

type MicroOp = glomers_nodes::txn::MicroOp;

/// The store of a [`Txn`] node.
#[derive(Default)]
struct Store {
    /// Each key's value, by the key's JSON text.
    values: HashMap<String, Value>,
    /// Transactions received.
    txns: u64,
    /// `INTERMEDIATE`: (key, value shown, final value, transactions left).
    exposed: Vec<(String, Value, Value, u32)>,
    /// `WRITE_CYCLE`: the transaction waiting for a partner.
    held: Option<Held>,
}

/// Where a reply goes: the client and its request's msg_id.
type To = (NodeId, Option<MsgId>);

/// `WRITE_CYCLE`: a transaction held open.
struct Held {
    to: To,
    /// Its completed micro-ops; `txn[read]` is the pending read of `y`.
    txn: Vec<MicroOp>,
    read: usize,
    y: Value,
    /// The key it only writes, and its final value.
    x: (Value, Value),
    at: Duration,
}

impl Store {
    /// Runs the micro-ops (reads see the transaction's own writes; a read of `forced.0` with no
    /// own write returns `forced.1`), then applies the final writes. Returns the completed
    /// micro-ops and the writes in order.
    fn apply(
        &mut self,
        txn: &[MicroOp],
        forced: Option<&(Value, Value)>,
    ) -> (Vec<MicroOp>, Vec<(String, Value)>) {
        let mut own: BTreeMap<String, Value> = BTreeMap::new();
        let (mut done, mut writes) = (Vec::new(), Vec::new());
        for (f, key, v) in txn {
            let k = key.to_string();
            if f == "w" {
                own.insert(k.clone(), v.clone());
                writes.push((k, v.clone()));
                done.push((f.clone(), key.clone(), v.clone()));
            } else {
                let seen = match (own.get(&k), forced) {
                    (Some(v), _) => v.clone(),
                    (None, Some((fk, fv))) if fk == key => fv.clone(),
                    _ => self.values.get(&k).cloned().unwrap_or(Value::Null),
                };
                done.push((f.clone(), key.clone(), seen));
            }
        }
        self.values.extend(own);
        (done, writes)
    }

    /// `INTERMEDIATE`: installs exposed first writes' final values when their time is up,
    /// unless overwritten since; then exposes the first value of each key written twice.
    fn intermediate(&mut self, txn: &[MicroOp]) -> Vec<MicroOp> {
        for e in &mut self.exposed {
            e.3 = e.3.saturating_sub(1);
            if e.3 == 0 && self.values.get(&e.0) == Some(&e.1) {
                self.values.insert(e.0.clone(), e.2.clone());
            }
        }
        self.exposed.retain(|e| e.3 > 0);
        let (done, writes) = self.apply(txn, None);
        let mut firsts: Vec<(String, Value)> = Vec::new();
        for (k, v) in writes {
            match firsts.iter().find(|(fk, _)| *fk == k).map(|f| f.1.clone()) {
                Some(shown) => {
                    self.exposed.retain(|e| e.0 != k);
                    self.values.insert(k.clone(), shown.clone());
                    self.exposed.push((k, shown, v, EXPOSED_FOR));
                }
                None => firsts.push((k, v)),
            }
        }
        done
    }

    /// `WRITE_CYCLE`: pairs this transaction with the held one, or holds it, or runs it.
    /// Returns the replies to send now.
    fn write_cycle(&mut self, to: To, txn: &[MicroOp], now: Duration) -> Vec<(To, Vec<MicroOp>)> {
        let shape = read_then_write(txn);
        if let Some(h) = self.held.take() {
            // T2 must not read y itself, or the version order of y would be cyclic.
            let y = last_write(txn, &h.y);
            if shape.contains(&h.x.0) && !shape.contains(&h.y) && y.is_some() {
                let (done, _) = self.apply(txn, Some(&h.x));
                let mut t1 = h.txn;
                if let (Some(slot), Some(y)) = (t1.get_mut(h.read), y) {
                    slot.2 = y;
                }
                return vec![(to, done), (h.to, t1)];
            }
            self.held = Some(h);
        }
        let (done, _) = self.apply(txn, None);
        if self.held.is_none() {
            for y in shape {
                let x = txn.iter().rev().find(|(f, k, _)| f == "w" && *k != y);
                let read = done.iter().position(|(f, k, _)| f == "r" && *k == y);
                if let (Some((_, xk, xv)), Some(read)) = (x, read) {
                    let x = (xk.clone(), xv.clone());
                    self.held = Some(Held { to, txn: done, read, y, x, at: now });
                    return Vec::new();
                }
            }
        }
        vec![(to, done)]
    }
}

/// Keys whose first micro-op is a read and that are written later.
fn read_then_write(txn: &[MicroOp]) -> Vec<Value> {
    let mut first: Vec<(&Value, &str)> = Vec::new();
    for (f, k, _) in txn {
        if !first.iter().any(|(fk, _)| *fk == k) {
            first.push((k, f));
        }
    }
    first
        .into_iter()
        .filter(|(k, f)| *f == "r" && last_write(txn, k).is_some())
        .map(|(k, _)| k.clone())
        .collect()
}

/// The last value a transaction writes to `key`.
fn last_write(txn: &[MicroOp], key: &Value) -> Option<Value> {
    txn.iter().rev().find(|(f, k, _)| f == "w" && k == key).map(|(_, _, v)| v.clone())
}

impl<const MODE: u8> Node for Txn<MODE> {
    type Body = glomers_nodes::txn::Body;
    fn init(_: &Init) -> Result<Self, RpcError> {
        Ok(Txn(Mutex::new(Store::default())))
    }
    fn on_message(&self, msg: Message<Self::Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        use glomers_nodes::txn::Body as T;
        let T::Txn { txn } = msg.body else { return Err(RpcError::not_supported("unexpected")) };
        let mut st = self.0.lock().map_err(|_| poisoned())?;
        st.txns += 1;
        match MODE {
            DIRTY => {
                let (done, writes) = st.apply(&txn, None);
                if !writes.is_empty() && st.txns.is_multiple_of(3) {
                    let e = RpcError::new(ErrorCode::TxnConflict, "conflict (but the writes stay)");
                    out.reply_error(msg.src, msg.msg_id, e);
                } else {
                    out.reply(msg.src, msg.msg_id, T::TxnOk { txn: done });
                }
            }
            INTERMEDIATE => out.reply(msg.src, msg.msg_id, T::TxnOk { txn: st.intermediate(&txn) }),
            _ => {
                for ((src, id), txn) in st.write_cycle((msg.src, msg.msg_id), &txn, out.now()) {
                    out.reply(src, id, T::TxnOk { txn });
                }
            }
        }
        Ok(())
    }
    fn tick_every(&self) -> Option<Duration> {
        (MODE == WRITE_CYCLE).then_some(Duration::from_millis(50))
    }
    fn on_tick(&self, out: &mut glomers_engine::Effects<Self>) {
        let Ok(mut st) = self.0.lock() else { return };
        if st.held.as_ref().is_some_and(|h| out.now().saturating_sub(h.at) >= HOLD_FOR) {
            if let Some(h) = st.held.take() {
                out.reply(h.to.0, h.to.1, glomers_nodes::txn::Body::TxnOk { txn: h.txn });
            }
        }
    }
}

/// A short single-node txn run of `make`, `secs` seconds long, checked under `model`, plus
/// `extra` flags.
fn txn(make: glomers_nodes::registry::Factory, secs: &str, model: &str, extra: &[&str]) -> Spec {
    let mut flags = vec!["--node-count", "1", "--time-limit", secs, "--rate", "100", "--concurrency", "10"];
    flags.extend_from_slice(&["--consistency-models", model]);
    flags.extend_from_slice(extra);
    spec("txn-rw-register", &flags, make)
}

#[test]
fn dirty_reads_are_g1a_under_read_committed_on_most_seeds() {
    let bad = rejected("txn-dirty (G1a)", &txn(driver::<Txn<DIRTY>>, "2", "read-committed", &[]));
    assert!(bad.len() >= 195, "rejected on only {}/{SEEDS} seeds", bad.len());
    all_name(&bad, "G1a");
    // Read-uncommitted allows dirty reads.
    let ru = seeds(&txn(driver::<Txn<DIRTY>>, "2", "read-uncommitted", &[]), 20);
    assert!(ru.iter().all(|r| r.is_valid()), "{:?}", ru.iter().find(|r| !r.is_valid()));
}

#[test]
fn intermediate_reads_are_g1b_under_read_committed_on_most_seeds() {
    let bad =
        rejected("txn-intermediate (G1b)", &txn(driver::<Txn<INTERMEDIATE>>, "2", "read-committed", &[]));
    assert!(bad.len() >= 195, "rejected on only {}/{SEEDS} seeds", bad.len());
    all_name(&bad, "G1b");
}

#[test]
fn write_cycles_are_g0_under_read_uncommitted_on_most_seeds() {
    // Two hot keys that last the whole run make the control's pairs of transactions likely. In
    // 2 s, 5 seeds of 200 were valid: the control never found a pair in them; 4 s gives it time.
    let extra = ["--key-count", "2", "--max-writes-per-key", "1000"];
    let bad = rejected("txn-g0 (G0)", &txn(driver::<Txn<WRITE_CYCLE>>, "4", "read-uncommitted", &extra));
    assert!(bad.len() >= 195, "rejected on only {}/{SEEDS} seeds", bad.len());
    all_name(&bad, "G0");
}
