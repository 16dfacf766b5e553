//! The history of client operations: invocations and completions in the order they happened,
//! with Jepsen's fields (`type`, `f`, `value`, `process`, `time`) plus the node each client was
//! bound to. Written as JSON lines, read by the checkers.

use serde_json::{json, Map, Value};
use std::time::Duration;

/// The type of a history event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An operation began.
    Invoke,
    /// It certainly happened.
    Ok,
    /// It certainly did not happen.
    Fail,
    /// Its outcome is unknown.
    Info,
}

impl Kind {
    /// Jepsen's name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Invoke => "invoke",
            Kind::Ok => "ok",
            Kind::Fail => "fail",
            Kind::Info => "info",
        }
    }
}

/// One history event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Position in the history.
    pub index: usize,
    /// Invocation or outcome.
    pub kind: Kind,
    /// The operation's function, e.g. `read`.
    pub f: String,
    /// The operation's value.
    pub value: Value,
    /// Jepsen process: worker `t` starts as process `t`, and becomes `t + concurrency` (and so on)
    /// when its client is replaced.
    pub process: u64,
    /// Time since the run's origin.
    pub time: Duration,
    /// The node the process talks to.
    pub node: String,
    /// Whether this is a final-phase operation.
    pub final_op: bool,
    /// Jepsen's `:error`, if any.
    pub error: Option<Value>,
    /// An exception message (malformed replies, g-counter errors), if any.
    pub exception: Option<String>,
}

impl Event {
    /// The event as one JSON object.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("index".into(), json!(self.index));
        m.insert("type".into(), json!(self.kind.name()));
        m.insert("f".into(), json!(self.f));
        m.insert("value".into(), self.value.clone());
        m.insert("process".into(), json!(self.process));
        m.insert("time".into(), json!(self.time.as_nanos() as u64));
        m.insert("node".into(), json!(self.node));
        if self.final_op {
            m.insert("final?".into(), json!(true));
        }
        if let Some(e) = &self.error {
            m.insert("error".into(), e.clone());
        }
        if let Some(e) = &self.exception {
            m.insert("exception".into(), json!(e));
        }
        Value::Object(m)
    }
}

/// A whole history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// Events in order.
    pub events: Vec<Event>,
}

/// An invocation with its completion, if it completed.
#[derive(Debug, Clone, Copy)]
pub struct Pair<'a> {
    /// The invocation.
    pub invoke: &'a Event,
    /// The completion.
    pub complete: Option<&'a Event>,
}

impl History {
    /// Appends an event, setting its index.
    pub fn push(&mut self, mut event: Event) {
        event.index = self.events.len();
        self.events.push(event);
    }

    /// Every invocation paired with its completion (the next event of the same process), in
    /// invocation order.
    pub fn pairs(&self) -> Vec<Pair<'_>> {
        let mut open: std::collections::HashMap<u64, usize> = Default::default();
        let mut pairs: Vec<Pair<'_>> = Vec::new();
        for e in &self.events {
            if e.kind == Kind::Invoke {
                open.insert(e.process, pairs.len());
                pairs.push(Pair { invoke: e, complete: None });
            } else if let Some(i) = open.remove(&e.process) {
                if let Some(p) = pairs.get_mut(i) {
                    p.complete = Some(e);
                }
            }
        }
        pairs
    }

    /// Completions only.
    pub fn completions(&self) -> impl Iterator<Item = &Event> {
        self.events.iter().filter(|e| e.kind != Kind::Invoke)
    }

    /// The history as JSON lines.
    pub fn to_jsonl(&self) -> String {
        let mut s = String::new();
        for e in &self.events {
            s.push_str(&e.to_json().to_string());
            s.push('\n');
        }
        s
    }
}

/// Builds events by hand, for checker tests.
#[cfg(test)]
pub mod build {
    use super::*;

    /// Appends an event at `ms` milliseconds.
    pub fn ev(h: &mut History, kind: Kind, process: u64, f: &str, value: Value, ms: u64) {
        h.push(Event {
            index: 0,
            kind,
            f: f.to_owned(),
            value,
            process,
            time: Duration::from_millis(ms),
            node: format!("n{process}"),
            final_op: false,
            error: None,
            exception: None,
        });
    }
}
