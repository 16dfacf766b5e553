//! In-memory Maelstrom services for tests and simulators: `seq-kv` with MAELSTROM.md §4.3's
//! deliberate staleness, `lin-kv` (§4.2) and `lww-kv` (§4.4), each answering a request body with
//! a reply body, or with nothing for an unknown `type` (§4: the caller times out).
//!
//! Randomness comes from a seeded generator, so the same seed gives the same stale reads.
//! `Cluster` routes nodes' messages to these services through its network latency.

use crate::message::NodeId;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

/// A small seeded generator (xorshift64*): deterministic, good enough to pick states and
/// latencies.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator in the raw state `state` (never zero).
    pub(crate) fn from_state(state: u64) -> Self {
        Rng(state | 1)
    }

    /// A generator for `seed`; nearby seeds give unrelated sequences.
    pub(crate) fn from_seed(seed: u64) -> Self {
        Self::from_state(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// The next number.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `[0, n)`; 0 when `n` is 0.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

/// One version of a store: each key's canonical JSON text mapped to its value. Keys and values
/// compare as decoded JSON (§4.1), so `1` and `1.0` are different keys.
type Store = BTreeMap<String, Value>;

/// What one request does to one store: the reply, and the key and value to store if any.
struct Outcome {
    reply: Value,
    store: Option<(String, Value)>,
}

fn error(code: u32, text: String) -> Value {
    json!({"type": "error", "code": code, "text": text})
}

/// Runs `req` against `store` without changing it (§4.1). `None` for an unknown `type`.
/// `create_allowed` is false for `lww-kv`, which ignores `create_if_not_exists`.
fn evaluate(store: &Store, req: &Value, create_allowed: bool) -> Option<Outcome> {
    let field = |name: &str| req.get(name).cloned().unwrap_or(Value::Null);
    // A missing `key` acts as the key `null` (§4.1).
    let key = field("key").to_string();
    let current = store.get(&key);
    let outcome = match req.get("type")?.as_str()? {
        "read" => match current {
            Some(v) => Outcome { reply: json!({"type": "read_ok", "value": v}), store: None },
            None => Outcome { reply: error(20, "key does not exist".into()), store: None },
        },
        "write" => Outcome { reply: json!({"type": "write_ok"}), store: Some((key, field("value"))) },
        "cas" => {
            let (from, to) = (field("from"), field("to"));
            let create = create_allowed && req.get("create_if_not_exists") == Some(&Value::Bool(true));
            match current {
                None if create => Outcome { reply: json!({"type": "cas_ok"}), store: Some((key, to)) },
                None => Outcome { reply: error(20, "key does not exist".into()), store: None },
                Some(v) if *v == from => Outcome { reply: json!({"type": "cas_ok"}), store: Some((key, to)) },
                Some(v) => {
                    Outcome { reply: error(22, format!("current value {v} is not {from}")), store: None }
                }
            }
        }
        _ => return None,
    };
    Some(outcome)
}

/// Whether applying `outcome` to `store` would leave it unchanged (§4.3 step 3).
fn changes_nothing(store: &Store, outcome: &Outcome) -> bool {
    match &outcome.store {
        None => true,
        Some((key, value)) => store.get(key) == Some(value),
    }
}

/// `store` with `outcome` applied.
fn applied(store: &Store, outcome: Outcome) -> Store {
    let mut next = store.clone();
    if let Some((key, value)) = outcome.store {
        next.insert(key, value);
    }
    next
}

/// `lin-kv`: one store, every request applied atomically in arrival order (§4.2).
#[derive(Debug, Default)]
pub struct LinKv {
    store: Store,
}

impl LinKv {
    /// Answers one request body; `None` for an unknown `type`.
    pub fn handle(&mut self, req: &Value) -> Option<Value> {
        let outcome = evaluate(&self.store, req, true)?;
        let reply = outcome.reply.clone();
        if let Some((key, value)) = outcome.store {
            self.store.insert(key, value);
        }
        Some(reply)
    }
}

/// `lww-kv` as Maelstrom builds it (§4.4): two replicas that never exchange data, each request
/// served by one picked at random, and no `create_if_not_exists`.
#[derive(Debug)]
pub struct LwwKv {
    replicas: [Store; 2],
    rng: Rng,
}

impl LwwKv {
    /// Two empty replicas, picked with `seed`.
    pub fn new(seed: u64) -> Self {
        LwwKv { replicas: [Store::new(), Store::new()], rng: Rng::from_seed(seed) }
    }

    /// Answers one request body; `None` for an unknown `type`.
    pub fn handle(&mut self, req: &Value) -> Option<Value> {
        let pick = self.rng.below(2) as usize;
        let replica = self.replicas.get_mut(pick)?;
        let outcome = evaluate(replica, req, false)?;
        let reply = outcome.reply.clone();
        if let Some((key, value)) = outcome.store {
            replica.insert(key, value);
        }
        Some(reply)
    }
}

/// `seq-kv`, stale on purpose exactly as §4.3 describes: the recent states are kept, numbered;
/// each caller has a floor; a request is tried against a random state between the caller's
/// floor and the latest, answered from there if the trial changes nothing, and otherwise run
/// again on the latest state, whose outcome becomes a new state.
///
/// Unlike Maelstrom, a pick below the oldest kept state is clamped to it rather than wrapped
/// (§4.3's quirk), so sessions stay exactly monotonic.
#[derive(Debug)]
pub struct SeqKv {
    /// The most recent states, oldest first, with their numbers.
    states: VecDeque<(u64, Arc<Store>)>,
    floors: HashMap<NodeId, u64>,
    rng: Rng,
    stale: bool,
}

impl SeqKv {
    /// How many recent states are kept (§4.3).
    pub const KEPT: usize = 32;

    /// An empty store (state 0) whose random picks come from `seed`.
    pub fn new(seed: u64) -> Self {
        SeqKv {
            states: VecDeque::from([(0, Arc::new(Store::new()))]),
            floors: HashMap::new(),
            rng: Rng::from_seed(seed),
            stale: true,
        }
    }

    /// Turns staleness off (every request runs on the latest state) or back on; for tests that
    /// want a baseline to compare the stale runs with.
    pub fn set_stale(&mut self, stale: bool) {
        self.stale = stale;
    }

    /// The number of the latest state.
    pub fn latest(&self) -> u64 {
        self.states.back().map_or(0, |(n, _)| *n)
    }

    /// `caller`'s floor: the oldest state its requests can still see.
    pub fn floor(&self, caller: &NodeId) -> u64 {
        self.floors.get(caller).copied().unwrap_or(0)
    }

    /// The value of `key` in the latest state (what a linearizable read would return).
    pub fn latest_value(&self, key: &Value) -> Option<&Value> {
        self.states.back().and_then(|(_, s)| s.get(&key.to_string()))
    }

    /// Answers one request body from `caller`; `None` for an unknown `type`.
    pub fn handle(&mut self, caller: &NodeId, req: &Value) -> Option<Value> {
        let latest = self.latest();
        let oldest = self.states.front().map_or(0, |(n, _)| *n);
        let floor = self.floor(caller).max(oldest);
        let pick = if self.stale { floor + self.rng.below(latest - floor + 1) } else { latest };
        let index = usize::try_from(pick - oldest).ok()?;
        let trial_state = Arc::clone(&self.states.get(index)?.1);
        let trial = evaluate(&trial_state, req, true)?;
        if changes_nothing(&trial_state, &trial) {
            self.floors.insert(caller.clone(), pick);
            return Some(trial.reply);
        }
        // The trial would change its state: run on the latest one and append the outcome as a
        // new state, even if this second run fails and changes nothing (§4.3 step 4).
        let newest = Arc::clone(&self.states.back()?.1);
        let outcome = evaluate(&newest, req, true)?;
        let reply = outcome.reply.clone();
        self.states.push_back((latest + 1, Arc::new(applied(&newest, outcome))));
        while self.states.len() > Self::KEPT {
            self.states.pop_front();
        }
        self.floors.insert(caller.clone(), latest + 1);
        Some(reply)
    }
}

/// The services of a Maelstrom network, addressed by name.
#[derive(Debug)]
pub struct Services {
    /// `seq-kv`.
    pub seq: SeqKv,
    /// `lin-kv`.
    pub lin: LinKv,
    /// `lww-kv`.
    pub lww: LwwKv,
}

impl Services {
    /// Fresh, empty services whose random choices come from `seed`.
    pub fn new(seed: u64) -> Self {
        Services { seq: SeqKv::new(seed), lin: LinKv::default(), lww: LwwKv::new(seed.wrapping_add(1)) }
    }

    /// Whether `id` names one of these services.
    pub fn is_service(id: &str) -> bool {
        matches!(id, "seq-kv" | "lin-kv" | "lww-kv")
    }

    /// Answers the request body `req` (its `msg_id` included) that `from` sent to `service`: the
    /// reply body with `in_reply_to` (`null` without a `msg_id`, §4), or `None` when the service
    /// does not exist or does not know the request's `type`.
    pub fn handle(&mut self, service: &str, from: &NodeId, req: &Value) -> Option<Value> {
        let mut reply = match service {
            "seq-kv" => self.seq.handle(from, req),
            "lin-kv" => self.lin.handle(req),
            "lww-kv" => self.lww.handle(req),
            _ => None,
        }?;
        if let Some(body) = reply.as_object_mut() {
            body.insert("in_reply_to".into(), req.get("msg_id").cloned().unwrap_or(Value::Null));
        }
        Some(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(kv: &mut SeqKv, caller: &str, key: &str) -> Value {
        kv.handle(&NodeId::new(caller), &json!({"type": "read", "key": key})).expect("a reply")
    }

    fn write(kv: &mut SeqKv, caller: &str, key: &str, value: Value) {
        let reply = kv.handle(&NodeId::new(caller), &json!({"type": "write", "key": key, "value": value}));
        assert_eq!(reply, Some(json!({"type": "write_ok"})));
    }

    #[test]
    fn seq_kv_serves_stale_reads_but_each_session_is_monotonic() {
        let mut kv = SeqKv::new(7);
        for v in 1..=20 {
            write(&mut kv, "n1", "x", json!(v));
        }
        let mut seen = Vec::new();
        for _ in 0..40 {
            match read(&mut kv, "n2", "x").get("value").and_then(Value::as_u64) {
                Some(v) => seen.push(v),
                None => seen.push(0),
            }
        }
        assert!(seen.iter().any(|v| *v < 20), "never stale: {seen:?}");
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "went back in time: {seen:?}");
        assert_eq!(seen.last(), Some(&20), "reads never caught up: {seen:?}");
    }

    #[test]
    fn seq_kv_caller_reads_its_own_writes() {
        let mut kv = SeqKv::new(3);
        for v in 1..=50 {
            write(&mut kv, "n1", "x", json!(v));
            write(&mut kv, "n2", "y", json!(v));
            assert_eq!(read(&mut kv, "n1", "x"), json!({"type": "read_ok", "value": v}));
        }
    }

    #[test]
    fn seq_kv_unique_write_moves_the_floor_so_the_next_read_is_fresh() {
        for seed in 0..20 {
            let mut kv = SeqKv::new(seed);
            write(&mut kv, "n2", "scratch", json!(0));
            for v in 1..=10 {
                write(&mut kv, "n1", "x", json!(v));
            }
            // n2's floor is far behind: a read may come from anywhere since then.
            assert!(kv.floor(&NodeId::new("n2")) < kv.latest());
            write(&mut kv, "n2", "scratch", json!(1));
            assert_eq!(kv.floor(&NodeId::new("n2")), kv.latest(), "seed {seed}");
            assert_eq!(read(&mut kv, "n2", "x"), json!({"type": "read_ok", "value": 10}), "seed {seed}");
        }
    }

    #[test]
    fn seq_kv_a_write_of_a_value_already_there_can_land_in_the_past() {
        // §4.3's example: n1 writes x=1; n2 cas x 1→2; n1 writes x=1 again, served from the past.
        let mut landed_in_past = false;
        for seed in 0..50 {
            let mut kv = SeqKv::new(seed);
            write(&mut kv, "n1", "x", json!(1));
            let cas = json!({"type": "cas", "key": "x", "from": 1, "to": 2});
            // n2 may see an old state (no x, or x=1 not yet): a stale failure; it tries again.
            while kv.handle(&NodeId::new("n2"), &cas) != Some(json!({"type": "cas_ok"})) {}
            // Advance n1's floor no further than its own write.
            write(&mut kv, "n1", "x", json!(1));
            landed_in_past |= kv.latest_value(&json!("x")) == Some(&json!(2));
        }
        assert!(landed_in_past);
    }

    #[test]
    fn seq_kv_cas_fails_stale_but_succeeds_only_on_the_latest_state() {
        let mut stale_failure = false;
        for seed in 0..50 {
            let mut kv = SeqKv::new(seed);
            for v in 0..=5 {
                write(&mut kv, "n1", "x", json!(v));
            }
            let cas = json!({"type": "cas", "key": "x", "from": 5, "to": 6, "msg_id": 4});
            match kv.handle(&NodeId::new("n2"), &cas) {
                Some(r) if r == json!({"type": "cas_ok"}) => {
                    assert_eq!(kv.latest_value(&json!("x")), Some(&json!(6)))
                }
                Some(r) => {
                    // 20 from a state before x existed, 22 from one where x was below 5.
                    assert!(matches!(r.get("code").and_then(Value::as_u64), Some(20 | 22)), "{r}");
                    stale_failure = true;
                }
                None => panic!("no reply"),
            }
        }
        assert!(stale_failure, "a cas never failed against an old state");
    }

    #[test]
    fn services_answer_with_in_reply_to_and_ignore_unknown_types() {
        let mut s = Services::new(1);
        let n1 = NodeId::new("n1");
        let create =
            json!({"type": "cas", "key": 1, "from": 0, "to": 5, "create_if_not_exists": true, "msg_id": 9});
        assert_eq!(s.handle("lin-kv", &n1, &create), Some(json!({"type": "cas_ok", "in_reply_to": 9})));
        let again = s.handle("lin-kv", &n1, &create).expect("a reply");
        assert_eq!(again.get("code"), Some(&json!(22)));
        let float_key = json!({"type": "read", "key": 1.0, "msg_id": 10});
        assert_eq!(s.handle("lin-kv", &n1, &float_key).and_then(|r| r.get("code").cloned()), Some(json!(20)));
        assert_eq!(
            s.handle("lin-kv", &n1, &json!({"type": "read", "key": 1})),
            Some(json!({"type": "read_ok", "value": 5, "in_reply_to": null}))
        );
        assert_eq!(s.handle("seq-kv", &n1, &json!({"type": "frobnicate", "msg_id": 1})), None);
        assert_eq!(s.handle("nobody", &n1, &json!({"type": "read", "msg_id": 1})), None);
        // lww-kv ignores create_if_not_exists: error 20.
        assert_eq!(s.handle("lww-kv", &n1, &create).and_then(|r| r.get("code").cloned()), Some(json!(20)));
    }

    #[test]
    fn lww_kv_replicas_never_converge() {
        let mut kv = LwwKv::new(5);
        kv.handle(&json!({"type": "write", "key": "k", "value": 1}));
        let reads: Vec<Value> =
            (0..20).map(|_| kv.handle(&json!({"type": "read", "key": "k"})).expect("reply")).collect();
        assert!(reads.iter().any(|r| r.get("code") == Some(&json!(20))), "one replica never saw the write");
        assert!(reads.iter().any(|r| r.get("value") == Some(&json!(1))));
    }

    /// Calls `seq-kv` on request and records when, and with what, the reply came.
    #[derive(Default)]
    struct Probe {
        answers: parking_lot::Mutex<Vec<(std::time::Duration, Result<(), crate::ErrorCode>)>>,
    }

    #[derive(Clone, serde::Serialize, serde::Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Body {
        Go,
    }

    impl crate::Node for Probe {
        type Body = Body;
        fn init(_: &crate::Init) -> Result<Self, crate::RpcError> {
            Ok(Probe::default())
        }
        fn on_message(
            &self,
            _: crate::Message<Body>,
            out: &mut crate::Out<Self>,
        ) -> Result<(), crate::RpcError> {
            crate::Kv::seq().write(out, "k", 1, |p: &Probe, r, out| {
                p.answers.lock().push((out.now(), r.map_err(|e| e.code)))
            });
            Ok(())
        }
    }

    #[test]
    fn cluster_services_answer_after_two_latencies_even_across_a_partition() {
        use super::super::Cluster;
        use std::time::Duration;
        let mut c = Cluster::<Probe>::new(2, Duration::from_millis(30));
        c.partition(&["n0"], &["n1", "seq-kv", "lin-kv"]);
        c.request("c1", "n0", Body::Go);
        c.run_for(Duration::from_secs(2));
        assert_eq!(*c.node("n0").answers.lock(), [(Duration::from_millis(60), Ok(()))]);
        assert_eq!(c.sent_with_services, 2);
        assert_eq!(c.services().seq.latest_value(&json!("k")), Some(&json!(1)));
        assert!(c.take_outside().is_empty(), "service traffic never leaves the cluster");
    }
}
