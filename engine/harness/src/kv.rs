//! Maelstrom's services as plain values (docs/protocol.md §4): the key-value semantics shared by
//! `lin-kv`, `seq-kv` and `lww-kv` (§4.1), each service's own consistency (§4.2-§4.4), and the
//! `lin-tso` counter (§4.5). Each answers one request body at a time with a reply body (without
//! `in_reply_to`, which [`crate::services`] adds), or with nothing for an unknown `type`, as
//! Maelstrom does (the caller times out).
//!
//! Keys and values compare as decoded JSON (§4.1), so a store keys by canonical JSON text: `1`
//! and `1.0` are different keys.

use crate::Rng;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// A message body: a JSON object.
pub type Body = serde_json::Map<String, Value>;

/// One version of a key-value store: each key's canonical JSON text mapped to its value.
#[derive(Clone, Debug, Default, PartialEq)]
struct Store(HashMap<String, Value>);

/// What one request does to one store: its reply, and the key and value it writes, if any.
struct Effect {
    reply: Body,
    write: Option<(String, Value)>,
}

impl Effect {
    fn answer(reply: Body) -> Self {
        Effect { reply, write: None }
    }

    /// Whether applying it to `store` leaves `store` as it is (§4.3: a write of the value already
    /// there, or a cas from a value to itself, changes nothing).
    fn changes(&self, store: &Store) -> bool {
        self.write.as_ref().is_some_and(|(key, value)| store.0.get(key) != Some(value))
    }

    /// Applies it to `store` and returns the reply.
    fn apply(self, store: &mut Store) -> Body {
        if let Some((key, value)) = self.write {
            store.0.insert(key, value);
        }
        self.reply
    }
}

/// An `error` body (§2.4).
pub fn error_body(code: u64, text: &str) -> Body {
    let mut b = Body::new();
    b.insert("type".into(), json!("error"));
    b.insert("code".into(), json!(code));
    b.insert("text".into(), json!(text));
    b
}

fn ok_body(msg_type: &str) -> Body {
    let mut b = Body::new();
    b.insert("type".into(), json!(msg_type));
    b
}

/// What `req` does to `store`, without changing it (§4.1); `None` for an unknown `type`.
/// `allow_create` is false for `lww-kv`, which ignores `create_if_not_exists`.
fn evaluate(store: &Store, req: &Body, allow_create: bool) -> Option<Effect> {
    // A missing `key` acts as the key `null`.
    let key = req.get("key").unwrap_or(&Value::Null).to_string();
    let effect = match req.get("type").and_then(Value::as_str)? {
        "read" => Effect::answer(match store.0.get(&key) {
            Some(v) => {
                let mut b = ok_body("read_ok");
                b.insert("value".into(), v.clone());
                b
            }
            None => error_body(20, "key does not exist"),
        }),
        "write" => Effect {
            reply: ok_body("write_ok"),
            write: Some((key, req.get("value").cloned().unwrap_or(Value::Null))),
        },
        "cas" => {
            let from = req.get("from").unwrap_or(&Value::Null);
            let to = req.get("to").cloned().unwrap_or(Value::Null);
            let create =
                allow_create && req.get("create_if_not_exists").and_then(Value::as_bool) == Some(true);
            match store.0.get(&key) {
                None if create => Effect { reply: ok_body("cas_ok"), write: Some((key, to)) },
                None => Effect::answer(error_body(20, "key does not exist")),
                Some(cur) if cur == from => Effect { reply: ok_body("cas_ok"), write: Some((key, to)) },
                Some(cur) => Effect::answer(error_body(22, &format!("current value {cur} is not {from}"))),
            }
        }
        _ => return None,
    };
    Some(effect)
}

/// `lin-kv`: one store, every request applied atomically in arrival order (§4.2).
#[derive(Debug, Default)]
pub struct LinKv {
    store: Store,
}

impl LinKv {
    /// Answers one request body; `None` for an unknown `type`.
    pub fn handle(&mut self, req: &Body) -> Option<Body> {
        Some(evaluate(&self.store, req, true)?.apply(&mut self.store))
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
    /// Two empty replicas, picked with `rng`.
    pub fn new(rng: Rng) -> Self {
        LwwKv { replicas: [Store::default(), Store::default()], rng }
    }

    /// Answers one request body; `None` for an unknown `type`.
    pub fn handle(&mut self, req: &Body) -> Option<Body> {
        let pick = self.rng.index(self.replicas.len());
        let replica = self.replicas.get_mut(pick)?;
        Some(evaluate(replica, req, false)?.apply(replica))
    }
}

/// `seq-kv`, stale on purpose as §4.3 describes: the recent states are kept, numbered; each
/// caller has a floor; a request is tried against a random state between the caller's floor and
/// the latest, answered from there if the trial changes nothing, and otherwise run again on the
/// latest state, whose outcome becomes a new state (even when that second run fails).
///
/// Where Maelstrom wraps a pick older than the kept window onto a newer state, this keeps exact
/// monotonicity by clamping to the oldest kept state; nodes must rely on neither.
#[derive(Debug)]
pub struct SeqKv {
    /// The kept states, oldest first; the last is the latest. Shared, so a trial reads a state
    /// without copying it.
    states: VecDeque<Arc<Store>>,
    /// The number of the latest state (the first, empty, state is 0).
    latest: u64,
    /// Each caller's floor: the oldest state its requests can still see.
    floors: HashMap<String, u64>,
    rng: Rng,
}

impl SeqKv {
    /// How many recent states are kept (§4.3).
    pub const KEPT: usize = 32;

    /// An empty store (state 0) whose random picks come from `rng`.
    pub fn new(rng: Rng) -> Self {
        SeqKv { states: VecDeque::from([Arc::default()]), latest: 0, floors: HashMap::new(), rng }
    }

    /// The number of the latest state.
    pub fn latest(&self) -> u64 {
        self.latest
    }

    /// `caller`'s floor: the oldest state its requests can still see.
    pub fn floor(&self, caller: &str) -> u64 {
        self.floors.get(caller).copied().unwrap_or(0)
    }

    /// The value of `key` in the latest state (what a linearizable read would return).
    pub fn latest_value(&self, key: &Value) -> Option<&Value> {
        self.states.back().and_then(|s| s.0.get(&key.to_string()))
    }

    /// Answers one request body from `caller`; `None` for an unknown `type`.
    pub fn handle(&mut self, caller: &str, req: &Body) -> Option<Body> {
        let floor = self.floor(caller);
        let oldest = self.latest + 1 - self.states.len() as u64;
        let pick = (floor + self.rng.below(self.latest - floor.min(self.latest) + 1)).max(oldest);
        let trial_state = self.states.get(usize::try_from(pick - oldest).ok()?)?;
        let trial = evaluate(trial_state, req, true)?;
        if !trial.changes(trial_state) {
            self.floors.insert(caller.to_owned(), pick);
            return Some(trial.reply);
        }
        let mut next = Store::clone(self.states.back()?);
        let reply = evaluate(&next, req, true)?.apply(&mut next);
        self.states.push_back(Arc::new(next));
        if self.states.len() > Self::KEPT {
            self.states.pop_front();
        }
        self.latest += 1;
        self.floors.insert(caller.to_owned(), self.latest);
        Some(reply)
    }
}

/// `lin-tso` (§4.5): a timestamp oracle counting from 0.
#[derive(Debug, Default)]
pub struct LinTso {
    next: u64,
}

impl LinTso {
    /// Answers a `ts` request with the next timestamp; `None` for any other `type`.
    pub fn handle(&mut self, req: &Body) -> Option<Body> {
        if req.get("type").and_then(Value::as_str) != Some("ts") {
            return None;
        }
        let mut b = ok_body("ts_ok");
        b.insert("ts".into(), json!(self.next));
        self.next += 1;
        Some(b)
    }
}
