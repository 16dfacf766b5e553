//! Workloads (MAELSTROM.md §7): each is a generator of operations, a client that turns an
//! operation into RPCs and their replies into an outcome, and a checker. Adding one means a new
//! module here implementing [`Workload`] (and a [`Client`] when one operation takes several
//! RPCs), its checker under `checkers/`, and a variant of [`WorkloadKind`].

mod broadcast;
mod echo;
mod g_counter;
mod kafka;
mod kind;
mod txn_rw_register;
mod unique_ids;

use crate::core::history::{History, Kind};
use crate::core::rng::Rng;
use crate::core::topology::Topology;
use crate::core::wire::Body;
pub use kind::{SetupRpc, WorkloadKind, NOT_YET};
use serde_json::{json, Value};
use std::time::Duration;

/// An operation to perform.
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    /// Jepsen's `:f`.
    pub f: &'static str,
    /// The invocation's value.
    pub value: Value,
    /// Whether it belongs to the final phase.
    pub final_op: bool,
}

/// How an operation ended, as recorded in the history.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// `ok`, `fail` or `info`.
    pub kind: Kind,
    /// The completion's value.
    pub value: Value,
    /// Jepsen's `:error`.
    pub error: Option<Value>,
    /// An exception (malformed reply, or any g-counter error); the worker's client is replaced.
    pub exception: Option<String>,
}

/// What a client got back for its current RPC.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A reply body (already matched by `in_reply_to`).
    Body(Body),
    /// Nothing within 5 s.
    Timeout,
}

/// What a client wants next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Send this request body (the run adds `msg_id`) to the bound node.
    Send(Body),
    /// The operation is over.
    Done(Completion),
}

/// A worker's client: a state machine over one operation's RPCs.
pub trait Client {
    /// Starts an operation.
    fn invoke(&mut self, op: &Op) -> Step;
    /// Continues it with the reply to the last request.
    fn on_reply(&mut self, op: &Op, reply: Reply) -> Step;
}

/// What a worker does next in the final phase.
#[derive(Debug, Clone, PartialEq)]
pub enum FinalStep {
    /// Run this operation.
    Op(Op),
    /// Run this operation after a pause (kafka polls about every 0.2 s).
    After(Duration, Op),
    /// Nothing more for this worker.
    Done,
}

/// A checker's verdict: `true`, `false` or `:unknown` (§8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// Valid.
    Valid,
    /// Invalid.
    Invalid,
    /// Could not be decided.
    Unknown,
}

impl Validity {
    /// The value of `valid?` in results.json.
    pub fn to_json(self) -> Value {
        match self {
            Validity::Valid => json!(true),
            Validity::Invalid => json!(false),
            Validity::Unknown => json!("unknown"),
        }
    }

    /// Combines sections: false wins, then unknown.
    pub fn and(self, other: Validity) -> Validity {
        match (self, other) {
            (Validity::Invalid, _) | (_, Validity::Invalid) => Validity::Invalid,
            (Validity::Unknown, _) | (_, Validity::Unknown) => Validity::Unknown,
            _ => Validity::Valid,
        }
    }
}

/// A checker's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The verdict.
    pub valid: Validity,
    /// The result map with Maelstrom's key names (including `valid?`).
    pub result: Value,
    /// Each problem in plain words, for the summary.
    pub problems: Vec<String>,
}

/// The final phase of broadcast and g-counter: one final read per worker (§7.3, §7.4).
pub(crate) fn one_final_read(last: Option<&Completion>) -> FinalStep {
    match last {
        None => FinalStep::Op(Op { f: "read", value: Value::Null, final_op: true }),
        Some(_) => FinalStep::Done,
    }
}

/// A workload: generator, client factory and checker.
pub trait Workload {
    /// The request each node's setup client sends before the main phase, if any (§5.1);
    /// only broadcast has one.
    fn setup_request(&self, _node: &str) -> Option<Body> {
        None
    }
    /// The next main-phase operation.
    fn next_op(&mut self, rng: &mut Rng) -> Op;
    /// Whether the workload has a final phase: heal, a 10 s pause, then final operations (§5.1).
    fn has_final_phase(&self) -> bool {
        false
    }
    /// Worker `worker`'s next final-phase operation at `now`, given how its previous one ended
    /// (`None` before the first). Broadcast and g-counter read once; kafka polls until it has
    /// caught up.
    fn final_step(&mut self, _worker: usize, _now: Duration, _last: Option<&Completion>) -> FinalStep {
        FinalStep::Done
    }
    /// Sees every completed operation of worker `worker` (kafka's generator learns which keys
    /// have sends not yet polled, and the highest offsets known).
    fn on_complete(&mut self, _worker: usize, _op: &Op, _c: &Completion) {}
    /// A fresh client.
    fn client(&self) -> Box<dyn Client>;
    /// Whether a worker keeps its client after an indeterminate outcome (§1); only unique-ids
    /// and txn-rw-register do.
    fn reuses_clients(&self) -> bool {
        false
    }
    /// Judges the history.
    fn check(&self, history: &History) -> Checked;
}

/// Settings workloads read.
#[derive(Debug, Clone)]
pub struct WorkloadConfig {
    /// Node ids in order.
    pub nodes: Vec<String>,
    /// `--topology`.
    pub topology: Topology,
    /// Worker count.
    pub concurrency: usize,
    /// `--rate`.
    pub rate: f64,
    /// The kafka and txn flags.
    pub opts: WorkloadOpts,
}

impl WorkloadConfig {
    /// Enough to build a workload whose checker judges a stored history.
    pub fn for_checking() -> Self {
        WorkloadConfig {
            nodes: vec![],
            topology: Topology::Grid,
            concurrency: 1,
            rate: 0.0,
            opts: WorkloadOpts::default(),
        }
    }
}

/// The flags of the kafka and txn-rw-register workloads (§5.5).
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadOpts {
    /// `--key-count`: keys active at once (default 10 for kafka, txn-rw-register).
    pub key_count: Option<u64>,
    /// `--max-writes-per-key` (default 16).
    pub max_writes_per_key: u64,
    /// `--max-txn-length` (default 4).
    pub max_txn_length: u64,
    /// `--consistency-models`, as given (default `strict-serializable`).
    pub consistency_models: String,
}

impl Default for WorkloadOpts {
    fn default() -> Self {
        WorkloadOpts {
            key_count: None,
            max_writes_per_key: 16,
            max_txn_length: 4,
            consistency_models: "strict-serializable".into(),
        }
    }
}

/// The kind of a reply field in a schema (§2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Any JSON value.
    Any,
    /// A JSON integer (not `1.0`).
    Int,
    /// A JSON array.
    Array,
    /// A JSON object.
    Object,
}

impl Field {
    fn describe(self) -> &'static str {
        match self {
            Field::Any => "present",
            Field::Int => "an integer",
            Field::Array => "an array",
            Field::Object => "an object",
        }
    }
}

/// Checks a reply body against its schema: exactly `fields`, `type`, `in_reply_to` (integer)
/// and an optional integer `msg_id`.
///
/// # Errors
/// A sentence saying what is wrong.
pub fn check_schema(body: &Body, msg_type: &str, fields: &[(&str, Field)]) -> Result<(), String> {
    if body.get("type").and_then(Value::as_str) != Some(msg_type) {
        return Err(format!("expected type {msg_type:?}, got {}", show(body.get("type"))));
    }
    let is_int = |v: &Value| v.is_i64() || v.is_u64();
    if !body.get("in_reply_to").is_some_and(is_int) {
        return Err(format!("in_reply_to must be an integer, got {}", show(body.get("in_reply_to"))));
    }
    if body.get("msg_id").is_some_and(|v| !is_int(v)) {
        return Err(format!("msg_id must be an integer, got {}", show(body.get("msg_id"))));
    }
    for (name, kind) in fields {
        let v = body.get(*name);
        let ok = match (kind, v) {
            (_, None) => false,
            (Field::Any, Some(_)) => true,
            (Field::Int, Some(v)) => is_int(v),
            (Field::Array, Some(v)) => v.is_array(),
            (Field::Object, Some(v)) => v.is_object(),
        };
        if !ok {
            return Err(format!("{name} must be {}, got {}", kind.describe(), show(v)));
        }
    }
    let extra: Vec<&String> = body
        .keys()
        .filter(|k| {
            !matches!(k.as_str(), "type" | "in_reply_to" | "msg_id") && !fields.iter().any(|(n, _)| n == k)
        })
        .collect();
    if !extra.is_empty() {
        return Err(format!("unexpected key(s) {extra:?} in {msg_type}"));
    }
    Ok(())
}

fn show(v: Option<&Value>) -> String {
    v.map_or_else(|| "nothing".to_owned(), Value::to_string)
}

/// Maelstrom's name for an error code (§2.4), and whether it is definite.
pub fn error_name(code: i64) -> (&'static str, bool) {
    match code {
        0 => ("timeout", false),
        1 => ("node-not-found", true),
        10 => ("not-supported", true),
        11 => ("temporarily-unavailable", true),
        12 => ("malformed-request", true),
        13 => ("crash", false),
        14 => ("abort", true),
        20 => ("key-does-not-exist", true),
        21 => ("key-already-exists", true),
        22 => ("precondition-failed", true),
        30 => ("txn-conflict", true),
        _ => ("unknown", false),
    }
}

/// The usual mapping of §2.5 for a one-RPC operation: `ok_value` turns a schema-valid reply into
/// the completion value; timeouts and indefinite errors are `fail` only when `idempotent`.
pub fn standard_completion(
    reply: Reply,
    idempotent: bool,
    msg_type: &str,
    fields: &[(&str, Field)],
    ok_value: impl FnOnce(&Body) -> Value,
) -> Completion {
    let uncertain = if idempotent { Kind::Fail } else { Kind::Info };
    let done = |kind, error, exception| Completion { kind, value: Value::Null, error, exception };
    match reply {
        Reply::Timeout => done(uncertain, Some(json!("net-timeout")), None),
        Reply::Body(body) if body.get("type").and_then(Value::as_str) == Some("error") => {
            let Some(code) = body.get("code").and_then(Value::as_i64) else {
                return done(
                    Kind::Info,
                    None,
                    Some(format!("error body without an integer code: {}", Value::Object(body))),
                );
            };
            let (name, definite) = error_name(code);
            let text = body.get("text").cloned().unwrap_or(Value::Null);
            let kind = if definite { Kind::Fail } else { uncertain };
            done(kind, Some(json!([name, text])), None)
        }
        Reply::Body(body) => match check_schema(&body, msg_type, fields) {
            Ok(()) => Completion { kind: Kind::Ok, value: ok_value(&body), error: None, exception: None },
            Err(why) => done(
                Kind::Info,
                None,
                Some(format!("malformed-rpc-response: {why}: {}", Value::Object(body))),
            ),
        },
    }
}

/// A client for workloads whose every operation is one RPC.
pub struct SingleRpc {
    request: fn(&Op) -> Body,
    complete: fn(&Op, Reply) -> Completion,
}

impl Client for SingleRpc {
    fn invoke(&mut self, op: &Op) -> Step {
        Step::Send((self.request)(op))
    }

    fn on_reply(&mut self, op: &Op, reply: Reply) -> Step {
        Step::Done((self.complete)(op, reply))
    }
}

/// A body `{"type": msg_type}` plus `extra` fields.
pub fn body(msg_type: &str, extra: &[(&str, Value)]) -> Body {
    let mut b = Body::new();
    b.insert("type".into(), json!(msg_type));
    for (k, v) in extra {
        b.insert((*k).to_owned(), v.clone());
    }
    b
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
