//! The protocol between a run's workers and a workload's clients: the [`Op`] a generator makes,
//! the [`Client`] state machine that turns it into requests and the [`ClientReply`]s into a
//! [`Completion`], and the [`FinalStep`]s of the final phase. Also the builders most clients
//! share: [`body`], [`standard_completion`] (the outcome table of §2.5) and [`SingleRpc`].

use crate::core::history::Kind;
use crate::core::wire::{check_schema, Body, Field};
use glomers_engine::ErrorCode;
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
pub enum ClientReply {
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
    fn on_reply(&mut self, op: &Op, reply: ClientReply) -> Step;
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

/// Maelstrom's name for an error code (§2.4) and whether it is definite; a code outside the
/// table is `unknown` and indefinite.
fn error_name(code: i64) -> (&'static str, bool) {
    match u32::try_from(code).map(ErrorCode::from_code) {
        Ok(ErrorCode::Other(_)) | Err(_) => ("unknown", false),
        Ok(known) => (known.name(), known.is_definite()),
    }
}

/// The usual mapping of §2.5 for a one-RPC operation: `ok_value` turns a schema-valid reply into
/// the completion value; timeouts and indefinite errors are `fail` only when `idempotent`.
pub fn standard_completion(
    reply: ClientReply,
    idempotent: bool,
    msg_type: &str,
    fields: &[(&str, Field)],
    ok_value: impl FnOnce(&Body) -> Value,
) -> Completion {
    let uncertain = if idempotent { Kind::Fail } else { Kind::Info };
    let done = |kind, error, exception| Completion { kind, value: Value::Null, error, exception };
    match reply {
        ClientReply::Timeout => done(uncertain, Some(json!("net-timeout")), None),
        ClientReply::Body(body) if body.get("type").and_then(Value::as_str) == Some("error") => {
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
        ClientReply::Body(body) => match check_schema(&body, msg_type, fields) {
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
    /// The request for an operation.
    pub request: fn(&Op) -> Body,
    /// The completion from the reply.
    pub complete: fn(&Op, ClientReply) -> Completion,
}

impl Client for SingleRpc {
    fn invoke(&mut self, op: &Op) -> Step {
        Step::Send((self.request)(op))
    }

    fn on_reply(&mut self, op: &Op, reply: ClientReply) -> Step {
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
mod tests {
    use super::*;

    fn b(v: Value) -> Body {
        match v {
            Value::Object(m) => m,
            _ => Body::new(),
        }
    }

    #[test]
    fn outcomes_follow_the_table() {
        let run = |reply, idem| standard_completion(reply, idem, "x_ok", &[], |_| json!("v"));
        assert_eq!(run(ClientReply::Timeout, false).kind, Kind::Info);
        assert_eq!(run(ClientReply::Timeout, true).kind, Kind::Fail);
        let err = |code| ClientReply::Body(b(json!({"type":"error","code":code,"in_reply_to":1})));
        assert_eq!(run(err(11), false).kind, Kind::Fail);
        assert_eq!(run(err(11), false).error, Some(json!(["temporarily-unavailable", null])));
        assert_eq!(run(err(13), false).kind, Kind::Info);
        assert_eq!(run(err(1000), true).kind, Kind::Fail);
        let ok = run(ClientReply::Body(b(json!({"type":"x_ok","in_reply_to":1}))), false);
        assert_eq!((ok.kind, ok.value), (Kind::Ok, json!("v")));
        let bad = run(ClientReply::Body(b(json!({"type":"x_ok","in_reply_to":1,"oops":1}))), false);
        assert_eq!(bad.kind, Kind::Info);
        assert!(bad.exception.is_some_and(|x| x.starts_with("malformed-rpc-response")));
    }

    /// The names and definiteness of §2.4, as the engine spells them; codes outside the table
    /// (custom ones, negative ones) are `unknown` and indefinite.
    #[test]
    fn error_names_follow_the_table() {
        let table = [
            (0, "timeout", false),
            (1, "node-not-found", true),
            (10, "not-supported", true),
            (11, "temporarily-unavailable", true),
            (12, "malformed-request", true),
            (13, "crash", false),
            (14, "abort", true),
            (20, "key-does-not-exist", true),
            (21, "key-already-exists", true),
            (22, "precondition-failed", true),
            (30, "txn-conflict", true),
            (2, "unknown", false),
            (1000, "unknown", false),
            (-1, "unknown", false),
        ];
        for (code, name, definite) in table {
            assert_eq!(error_name(code), (name, definite), "code {code}");
        }
    }
}
