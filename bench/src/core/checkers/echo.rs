//! The echo checker (MAELSTROM.md §7.1): every invocation must complete `ok` with the same echo.

use super::{describe_outcome, secs};
use crate::core::history::{History, Kind};
use crate::core::workloads::{Checked, Validity};
use serde_json::{json, Value};

/// Checks an echo history.
pub fn check(history: &History) -> Checked {
    let mut errors = Vec::new();
    let mut problems = Vec::new();
    for p in history.pairs() {
        let sent = &p.invoke.value;
        let why = match p.complete {
            Some(c) if c.kind == Kind::Ok && &c.value == sent => continue,
            Some(c) if c.kind == Kind::Ok => {
                format!("{} replied {} to an echo of {sent} at {}", c.node, c.value, secs(p.invoke))
            }
            Some(c) => format!("echo of {sent} got no echo back: {}", describe_outcome(c)),
            None => format!("echo of {sent} to {} at {} never completed", p.invoke.node, secs(p.invoke)),
        };
        errors.push(json!({"invoke": p.invoke.to_json(), "complete": p.complete.map(|c| c.to_json())}));
        problems.push(why);
    }
    let valid = if errors.is_empty() { Validity::Valid } else { Validity::Invalid };
    errors.truncate(1000);
    let errors = if errors.is_empty() { Value::Null } else { Value::Array(errors) };
    Checked { valid, result: json!({"valid?": valid.to_json(), "errors": errors}), problems }
}
