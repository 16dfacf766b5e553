//! The kafka client (§7.5): keeps a map of assigned key → next offset; `assign` asks for the
//! committed offsets, `poll` polls the whole map and then commits what it got, `send` is one
//! RPC, and `crash` ends the client (the run replaces it after the `info`).

use super::super::{body, standard_completion, Client, ClientReply, Completion, Op, Step};
use crate::core::history::Kind;
use crate::core::wire::{check_schema, Body, Field};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// What the client waits for.
#[derive(Debug, Default)]
enum Stage {
    /// The reply to the operation's first request.
    #[default]
    First,
    /// The reply to `commit_offsets`, after a poll that returned this completion value.
    Commit(Value),
}

/// One worker's kafka client.
#[derive(Debug, Default)]
pub struct KafkaClient {
    /// Assigned keys and the offset to poll next.
    offsets: BTreeMap<i64, i64>,
    stage: Stage,
}

fn done(kind: Kind, value: Value) -> Step {
    Step::Done(Completion { kind, value, error: None, exception: None })
}

fn malformed(why: String, body: &Body) -> Step {
    Step::Done(Completion {
        kind: Kind::Info,
        value: Value::Null,
        error: None,
        exception: Some(format!("malformed-rpc-response: {why}: {}", Value::Object(body.clone()))),
    })
}

/// The wire form of an offsets map: decimal-string keys.
fn wire_offsets(offsets: impl IntoIterator<Item = (i64, i64)>) -> Value {
    Value::Object(offsets.into_iter().map(|(k, o)| (k.to_string(), json!(o))).collect())
}

/// Parses `poll_ok.msgs`: keys holding integers, each an array of `[offset, msg]` pairs with
/// integer offsets.
fn parse_msgs(msgs: &Map<String, Value>) -> Result<BTreeMap<i64, Vec<(i64, Value)>>, String> {
    let mut out = BTreeMap::new();
    for (k, pairs) in msgs {
        let key = k.parse::<i64>().map_err(|_| format!("msgs key {k:?} is not an integer string"))?;
        let pairs = pairs.as_array().ok_or_else(|| format!("msgs[{k:?}] must be an array"))?;
        let mut got = Vec::with_capacity(pairs.len());
        for p in pairs {
            let (Some(offset), Some(msg), 2) =
                (p.get(0).and_then(Value::as_i64), p.get(1), p.as_array().map_or(0, Vec::len))
            else {
                return Err(format!("msgs[{k:?}] holds {p}, not an [offset, msg] pair"));
            };
            got.push((offset, msg.clone()));
        }
        out.insert(key, got);
    }
    Ok(out)
}

impl KafkaClient {
    fn on_assign(&mut self, op: &Op, reply: ClientReply) -> Step {
        let c = standard_completion(
            reply,
            true,
            "list_committed_offsets_ok",
            &[("offsets", Field::Object)],
            |b| b.get("offsets").cloned().unwrap_or(Value::Null),
        );
        if c.kind != Kind::Ok {
            return Step::Done(c);
        }
        let mut committed = BTreeMap::new();
        for (k, o) in c.value.as_object().into_iter().flatten() {
            if let (Ok(k), Some(o)) = (k.parse::<i64>(), o.as_i64()) {
                committed.insert(k, o);
            } else {
                let why = format!("committed offset {k:?}: {o} is not an integer key and offset");
                return Step::Done(Completion {
                    kind: Kind::Info,
                    value: Value::Null,
                    error: None,
                    exception: Some(format!("malformed-rpc-response: {why}")),
                });
            }
        }
        let keys: Vec<i64> = op.value.as_array().into_iter().flatten().filter_map(Value::as_i64).collect();
        self.offsets = keys
            .iter()
            .map(|k| (*k, self.offsets.get(k).or(committed.get(k)).copied().unwrap_or(0)))
            .collect();
        done(Kind::Ok, op.value.clone())
    }

    fn on_poll(&mut self, reply: ClientReply) -> Step {
        const FIELDS: &[(&str, Field)] = &[("msgs", Field::Object)];
        // Errors and timeouts take the usual path; a poll_ok is checked here, without a copy.
        let b = match reply {
            ClientReply::Body(b) if b.get("type").and_then(Value::as_str) == Some("poll_ok") => b,
            other => {
                return Step::Done(standard_completion(other, false, "poll_ok", FIELDS, |_| Value::Null))
            }
        };
        if let Err(why) = check_schema(&b, "poll_ok", FIELDS) {
            return malformed(why, &b);
        }
        let msgs = match b.get("msgs").and_then(Value::as_object).map(parse_msgs) {
            Some(Ok(m)) => m,
            Some(Err(why)) => return malformed(why, &b),
            None => return malformed("msgs must be an object".into(), &b),
        };
        let mut commits = BTreeMap::new();
        for (k, pairs) in &msgs {
            let top = pairs.iter().map(|(o, _)| *o).max();
            let next = top.map_or(0, |t| t + 1);
            let e = self.offsets.entry(*k).or_insert(next);
            *e = (*e).max(next);
            if let Some(t) = top {
                commits.insert(*k, t);
            }
        }
        let polled: Map<String, Value> = msgs
            .into_iter()
            .map(|(k, pairs)| {
                (k.to_string(), Value::Array(pairs.into_iter().map(|(o, m)| json!([o, m])).collect()))
            })
            .collect();
        let value = json!([["poll", polled]]);
        if commits.is_empty() {
            return done(Kind::Ok, value);
        }
        self.stage = Stage::Commit(value);
        Step::Send(body("commit_offsets", &[("offsets", wire_offsets(commits))]))
    }
}

impl Client for KafkaClient {
    fn invoke(&mut self, op: &Op) -> Step {
        self.stage = Stage::First;
        match op.f {
            "crash" => done(Kind::Info, Value::Null),
            "assign" if op.final_op => {
                let keys = op.value.as_array().into_iter().flatten().filter_map(Value::as_i64);
                self.offsets = keys.map(|k| (k, 0)).collect();
                done(Kind::Ok, op.value.clone())
            }
            "assign" => {
                let keys: Vec<String> = op
                    .value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_i64)
                    .map(|k| k.to_string())
                    .collect();
                Step::Send(body("list_committed_offsets", &[("keys", json!(keys))]))
            }
            "send" => {
                let mop = op.value.get(0);
                let key = mop.and_then(|m| m.get(1)).and_then(Value::as_i64).unwrap_or(0);
                let msg = mop.and_then(|m| m.get(2)).cloned().unwrap_or(Value::Null);
                Step::Send(body("send", &[("key", json!(key.to_string())), ("msg", msg)]))
            }
            _ => Step::Send(body("poll", &[("offsets", wire_offsets(self.offsets.clone()))])),
        }
    }

    fn on_reply(&mut self, op: &Op, reply: ClientReply) -> Step {
        match (op.f, std::mem::take(&mut self.stage)) {
            ("assign", _) => self.on_assign(op, reply),
            ("send", _) => {
                let mop = op.value.get(0);
                let key = mop.and_then(|m| m.get(1)).cloned().unwrap_or(Value::Null);
                let msg = mop.and_then(|m| m.get(2)).cloned().unwrap_or(Value::Null);
                Step::Done(standard_completion(reply, false, "send_ok", &[("offset", Field::Int)], |b| {
                    json!([["send", key, [b.get("offset").cloned().unwrap_or(Value::Null), msg]]])
                }))
            }
            (_, Stage::Commit(value)) => {
                Step::Done(standard_completion(reply, false, "commit_offsets_ok", &[], |_| value))
            }
            (_, Stage::First) => self.on_poll(reply),
        }
    }
}
