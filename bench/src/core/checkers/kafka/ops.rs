//! The kafka history parsed once into operations: each one's sends, polled `[offset, msg]` pairs
//! and assigned keys, with keys normalised to integers (poll results key their JSON objects by
//! decimal strings). Also the indexes every check shares: who wrote each message, and what `ok`
//! polls read. Malformed values are skipped and remembered, never a panic.

use super::intmap::{IntMap, IntSet};
use crate::core::history::{Event, History, Kind};
use serde_json::Value;

/// A log's key.
pub(super) type Key = i64;
/// A message: the workload sends integers (1…16 per key).
pub(super) type Msg = i64;

/// The operations the checker looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum F {
    /// `send`: one `["send", key, msg]` micro-op.
    Send,
    /// `poll`: one `["poll", {key: pairs}]` micro-op once complete.
    Poll,
    /// `assign`: the list of keys now assigned.
    Assign,
    /// `crash` and anything else.
    Other,
}

/// One message sent: the offset is known only from an `ok` completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Sent {
    /// The key.
    pub key: Key,
    /// The offset the server gave it, if known.
    pub offset: Option<i64>,
    /// The message.
    pub msg: Msg,
}

/// An invocation with its completion, parsed.
#[derive(Debug)]
pub(super) struct Op<'a> {
    /// What it does.
    pub f: F,
    /// The invocation.
    pub invoke: &'a Event,
    /// The completion; a missing one counts as `info`.
    pub complete: Option<&'a Event>,
    /// Messages sent (send operations).
    pub sends: Vec<Sent>,
    /// Pairs polled per key, in reply order (poll completions).
    pub reads: Vec<(Key, Vec<(i64, Msg)>)>,
    /// Keys assigned (assign operations).
    pub assign: Vec<Key>,
}

impl Op<'_> {
    /// How it ended.
    pub fn kind(&self) -> Kind {
        self.complete.map_or(Kind::Info, |c| c.kind)
    }

    /// The history index that names it: the completion's, else the invocation's.
    pub fn index(&self) -> usize {
        self.complete.unwrap_or(self.invoke).index
    }

    /// The Jepsen process (one client lifetime).
    pub fn process(&self) -> u64 {
        self.invoke.process
    }

    /// "poll #812 (process 4)".
    pub fn name(&self) -> String {
        let f = match self.f {
            F::Send => "send",
            F::Poll => "poll",
            F::Assign => "assign",
            F::Other => self.invoke.f.as_str(),
        };
        format!("{f} #{} (process {})", self.index(), self.process())
    }
}

/// The parsed history and its shared indexes.
#[derive(Debug, Default)]
pub(super) struct Parsed<'a> {
    /// Operations in invocation order.
    pub ops: Vec<Op<'a>>,
    /// History indices of events whose value had an unexpected shape.
    pub malformed: Vec<usize>,
    /// Position in `ops` of the operation that sent each `(key, msg)` (the latest, as Jepsen).
    pub writer_of: IntMap<(Key, Msg), usize>,
    /// Messages returned by `ok` polls, per key.
    pub ok_reads: IntMap<Key, IntSet<Msg>>,
}

impl<'a> Parsed<'a> {
    /// Parses every operation and builds the shared indexes.
    pub fn new(history: &'a History) -> Self {
        let mut p = Parsed::default();
        for pair in history.pairs() {
            let f = match pair.invoke.f.as_str() {
                "send" => F::Send,
                "poll" => F::Poll,
                "assign" => F::Assign,
                _ => F::Other,
            };
            let mut op = Op {
                f,
                invoke: pair.invoke,
                complete: pair.complete,
                sends: Vec::new(),
                reads: Vec::new(),
                assign: Vec::new(),
            };
            // A completion carries the outcome (offsets, polled pairs); fail/info ones repeat the
            // invocation's value, so they parse the same way.
            let source = pair.complete.unwrap_or(pair.invoke);
            let ok = match f {
                F::Send => parse_sends(&source.value, &mut op.sends),
                F::Poll => parse_polls(&source.value, &mut op.reads),
                F::Assign => parse_keys(&source.value, &mut op.assign),
                F::Other => true,
            };
            if !ok {
                p.malformed.push(source.index);
            }
            p.ops.push(op);
        }
        for (i, op) in p.ops.iter().enumerate() {
            for s in &op.sends {
                p.writer_of.insert((s.key, s.msg), i);
            }
            if op.kind() == Kind::Ok {
                for (k, pairs) in &op.reads {
                    p.ok_reads.entry(*k).or_default().extend(pairs.iter().map(|&(_, m)| m));
                }
            }
        }
        p
    }

    /// Jepsen's "must have committed": `ok`, or `info` with some message read by an `ok` poll.
    pub fn must_have_committed(&self, op: &Op<'_>) -> bool {
        match op.kind() {
            Kind::Ok => true,
            Kind::Info => op.sends.iter().any(|s| self.was_read(s.key, s.msg)),
            _ => false,
        }
    }

    /// Whether some `ok` poll returned `msg` from `key`.
    pub fn was_read(&self, key: Key, msg: Msg) -> bool {
        self.ok_reads.get(&key).is_some_and(|ms| ms.contains(&msg))
    }
}

/// A key: an integer, or a string holding one.
fn key_of(v: &Value) -> Option<Key> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// `[["send", k, msg]]` or `[["send", k, [offset, msg]]]`; false if anything is malformed.
fn parse_sends(value: &Value, out: &mut Vec<Sent>) -> bool {
    let Some(mops) = value.as_array() else { return false };
    let mut ok = true;
    for mop in mops {
        let parsed = match mop.as_array().map(Vec::as_slice) {
            Some([f, k, v]) if f == "send" => key_of(k).and_then(|key| match v {
                Value::Array(pair) => match pair.as_slice() {
                    [o, m] => m.as_i64().map(|msg| Sent { key, offset: o.as_i64(), msg }),
                    _ => None,
                },
                m => m.as_i64().map(|msg| Sent { key, offset: None, msg }),
            }),
            _ => None,
        };
        match parsed {
            Some(s) => out.push(s),
            None => ok = false,
        }
    }
    ok
}

/// `[["poll"]]` (not complete) or `[["poll", {"k": [[offset, msg], …]}]]`.
fn parse_polls(value: &Value, out: &mut Vec<(Key, Vec<(i64, Msg)>)>) -> bool {
    let Some(mops) = value.as_array() else { return false };
    let mut ok = true;
    for mop in mops {
        match mop.as_array().map(Vec::as_slice) {
            Some([f]) if f == "poll" => {}
            Some([f, Value::Object(msgs)]) if f == "poll" => {
                for (k, pairs) in msgs {
                    let (Ok(key), Some(pairs)) = (k.parse::<Key>(), pairs.as_array()) else {
                        ok = false;
                        continue;
                    };
                    let mut polled = Vec::with_capacity(pairs.len());
                    for pair in pairs {
                        match pair.as_array().map(Vec::as_slice) {
                            Some([o, m]) => match (o.as_i64(), m.as_i64()) {
                                (Some(o), Some(m)) => polled.push((o, m)),
                                _ => ok = false,
                            },
                            _ => ok = false,
                        }
                    }
                    out.push((key, polled));
                }
            }
            _ => ok = false,
        }
    }
    ok
}

/// `[3, 5]` or `["3", "5"]`.
fn parse_keys(value: &Value, out: &mut Vec<Key>) -> bool {
    let Some(keys) = value.as_array() else { return false };
    let before = out.len();
    out.extend(keys.iter().filter_map(key_of));
    out.len() - before == keys.len()
}
