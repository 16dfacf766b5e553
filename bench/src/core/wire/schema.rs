//! The exact schema of a reply body (docs/protocol.md §2.2): exactly the fields a reply type has,
//! each of the right kind, plus `type`, an integer `in_reply_to` and an optional integer
//! `msg_id`. Clients check every reply against it before reading it.

use super::Body;
use serde_json::Value;

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b(v: Value) -> Body {
        match v {
            Value::Object(m) => m,
            _ => Body::new(),
        }
    }

    #[test]
    fn schema_is_exact() {
        let f = [("value", Field::Int)];
        assert!(check_schema(&b(json!({"type":"read_ok","value":1,"in_reply_to":2})), "read_ok", &f).is_ok());
        assert!(check_schema(
            &b(json!({"type":"read_ok","value":1,"in_reply_to":2,"msg_id":5})),
            "read_ok",
            &f
        )
        .is_ok());
        let bad = [
            (json!({"type":"read_ok","value":1.0,"in_reply_to":2}), "value must be an integer"),
            (json!({"type":"read_ok","value":1,"in_reply_to":2,"extra":0}), "unexpected key(s) [\"extra\"]"),
            (json!({"type":"read_ok","in_reply_to":2}), "value must be an integer, got nothing"),
            (json!({"type":"read_ok","value":1}), "in_reply_to must be an integer"),
            (json!({"type":"read_ok","value":1,"in_reply_to":2,"msg_id":"x"}), "msg_id must be an integer"),
            (json!({"type":"add_ok","value":1,"in_reply_to":2}), "expected type \"read_ok\""),
        ];
        for (body, want) in bad {
            let err = check_schema(&b(body.clone()), "read_ok", &f).expect_err("malformed");
            assert!(err.contains(want), "{err} for {body}");
        }
    }
}
