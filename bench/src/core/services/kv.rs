//! One key-value state and the read/write/cas semantics shared by `lin-kv`, `seq-kv` and `lww-kv`
//! (MAELSTROM.md §4.1). Keys compare by exact decoded JSON, so they are stored by their canonical
//! JSON text (`1` and `1.0` stay distinct).

use crate::core::wire::Body;
use serde_json::{json, Value};
use std::collections::HashMap;

/// A key-value state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KvState {
    map: HashMap<String, Value>,
}

/// The result of applying one request to a state.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The reply body without `in_reply_to`.
    pub reply: Body,
    /// Whether the state changed.
    pub changed: bool,
}

/// An error body of §2.4.
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

impl KvState {
    /// Applies a request. `allow_create` is false for `lww-kv`, which ignores
    /// `create_if_not_exists`. Returns `None` for an unknown request type, which gets no reply.
    pub fn apply(&mut self, req: &Body, allow_create: bool) -> Option<Applied> {
        let key = req.get("key").unwrap_or(&Value::Null).to_string();
        let msg_type = req.get("type").and_then(Value::as_str)?;
        let unchanged = |reply| Some(Applied { reply, changed: false });
        match msg_type {
            "read" => match self.map.get(&key) {
                Some(v) => {
                    let mut b = ok_body("read_ok");
                    b.insert("value".into(), v.clone());
                    unchanged(b)
                }
                None => unchanged(error_body(20, "key does not exist")),
            },
            "write" => {
                let value = req.get("value").cloned().unwrap_or(Value::Null);
                let changed = self.map.get(&key) != Some(&value);
                self.map.insert(key, value);
                Some(Applied { reply: ok_body("write_ok"), changed })
            }
            "cas" => {
                let from = req.get("from").unwrap_or(&Value::Null);
                let to = req.get("to").cloned().unwrap_or(Value::Null);
                let create =
                    allow_create && req.get("create_if_not_exists").and_then(Value::as_bool) == Some(true);
                match self.map.get(&key) {
                    None if create => {
                        self.map.insert(key, to);
                        Some(Applied { reply: ok_body("cas_ok"), changed: true })
                    }
                    None => unchanged(error_body(20, "key does not exist")),
                    Some(cur) if cur == from => {
                        let changed = *cur != to;
                        self.map.insert(key, to);
                        Some(Applied { reply: ok_body("cas_ok"), changed })
                    }
                    Some(cur) => unchanged(error_body(22, &format!("current value {cur} is not {from}"))),
                }
            }
            _ => None,
        }
    }
}
