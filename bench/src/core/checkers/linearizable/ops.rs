//! A lin-kv history as per-key register operations (docs/protocol.md §7.7): each invocation
//! paired with its completion, split by key, with values interned as small integers so that a
//! register's state is one `u32`. Failed operations and reads without a value constrain
//! nothing and are left out; an `info` write or cas (or one that never completed) is kept with
//! no return: it may take effect at any point after its invocation, or never.

use crate::core::history::{Event, History, Kind};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// An interned register value; [`NULL`] is the register before any write.
pub type Val = u32;

/// The value of a register nobody has written.
pub const NULL: Val = 0;

/// What an operation does to a compare-and-set register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Returned this value.
    Read(Val),
    /// Set this value.
    Write(Val),
    /// Set `.1` if the register held `.0`.
    Cas(Val, Val),
}

impl Action {
    /// The state after this action from `state`, or `None` if it cannot happen there.
    pub fn step(self, state: Val) -> Option<Val> {
        match self {
            Action::Read(v) => (v == state).then_some(state),
            Action::Write(v) => Some(v),
            Action::Cas(from, to) => (from == state).then_some(to),
        }
    }

    /// Whether the action never changes the state (a read, or a cas from a value to itself).
    pub fn is_read_only(self) -> bool {
        matches!(self, Action::Read(_)) || matches!(self, Action::Cas(a, b) if a == b)
    }
}

/// One operation on one key.
#[derive(Debug, Clone, PartialEq)]
pub struct RegOp {
    /// What it did.
    pub action: Action,
    /// History index of the invocation.
    pub call: usize,
    /// History index of the completion; `None` when the outcome is unknown.
    pub ret: Option<usize>,
    /// Invocation time.
    pub call_time: Duration,
    /// Completion time, if it completed.
    pub ret_time: Option<Duration>,
    /// The Jepsen process.
    pub process: u64,
    /// The node its client talked to.
    pub node: String,
}

impl RegOp {
    /// Whether the operation certainly happened.
    pub fn is_definite(&self) -> bool {
        self.ret.is_some()
    }
}

/// Interned values: index 0 is `null`.
#[derive(Debug, Default, Clone)]
pub struct Values {
    by_text: HashMap<String, Val>,
    texts: Vec<String>,
}

impl Values {
    /// The id of `v` (`null` is [`NULL`]).
    pub fn intern(&mut self, v: &Value) -> Val {
        if v.is_null() {
            return NULL;
        }
        let text = v.to_string();
        if let Some(id) = self.by_text.get(&text) {
            return *id;
        }
        let id = Val::try_from(self.texts.len() + 1).unwrap_or(Val::MAX);
        self.texts.push(text.clone());
        self.by_text.insert(text, id);
        id
    }

    /// The JSON text of value `id`.
    pub fn text(&self, id: Val) -> &str {
        match id {
            NULL => "null",
            _ => self.texts.get(id as usize - 1).map_or("?", String::as_str),
        }
    }
}

/// A key's operations, in invocation order, and the key as the history wrote it.
#[derive(Debug, Clone, Default)]
pub struct KeyHistory {
    /// The key's JSON text.
    pub key: String,
    /// Its operations by invocation.
    pub ops: Vec<RegOp>,
}

/// Every key's operations, keys in order of their JSON text, and the interned values.
pub fn split(history: &History) -> (Vec<KeyHistory>, Values) {
    let mut values = Values::default();
    let mut keys: BTreeMap<String, KeyHistory> = BTreeMap::new();
    for p in history.pairs() {
        let Some((key, action)) = action(p.invoke, p.complete, &mut values) else { continue };
        let definite = p.complete.filter(|c| c.kind == Kind::Ok);
        let k = keys.entry(key.clone()).or_insert_with(|| KeyHistory { key, ops: Vec::new() });
        k.ops.push(RegOp {
            action,
            call: p.invoke.index,
            ret: definite.map(|c| c.index),
            call_time: p.invoke.time,
            ret_time: definite.map(|c| c.time),
            process: p.invoke.process,
            node: p.invoke.node.clone(),
        });
    }
    (keys.into_values().collect(), values)
}

/// The key and action of one operation, or `None` if it constrains nothing: it failed, it is a
/// read without a known value, or its value is not `[key, ...]` as the workload writes it.
fn action(invoke: &Event, complete: Option<&Event>, values: &mut Values) -> Option<(String, Action)> {
    let kind = complete.map_or(Kind::Info, |c| c.kind);
    if kind == Kind::Fail {
        return None;
    }
    let value = match complete {
        Some(c) if kind == Kind::Ok => &c.value,
        _ => &invoke.value,
    };
    let [key, arg] = value.as_array()?.as_slice() else { return None };
    let action = match invoke.f.as_str() {
        "read" if kind == Kind::Ok => Action::Read(values.intern(arg)),
        "write" => Action::Write(values.intern(arg)),
        "cas" => match arg.as_array()?.as_slice() {
            [from, to] => Action::Cas(values.intern(from), values.intern(to)),
            _ => return None,
        },
        _ => return None,
    };
    Some((key.to_string(), action))
}
