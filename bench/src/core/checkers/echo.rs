//! The echo checker (docs/protocol.md §7.1): every invocation must complete `ok` with the same echo.

use super::verdict::{Checked, Section, Validity};
use super::{describe_outcome, secs};
use crate::core::history::{Event, History, Kind};
use serde_json::{json, Value};

/// Most errors `results.json` lists.
const SHOWN: usize = 1000;

/// What the echo checker found: every operation that did not echo its value.
#[derive(Debug, Clone, PartialEq)]
pub struct EchoResult {
    /// Each bad invocation and its completion (none if it never completed).
    pub errors: Vec<(Event, Option<Event>)>,
}

impl Section for EchoResult {
    fn to_results_json(&self, valid: Validity) -> Value {
        let errors: Vec<Value> = self
            .errors
            .iter()
            .take(SHOWN)
            .map(|(invoke, complete)| {
                json!({"invoke": invoke.to_json(), "complete": complete.as_ref().map(Event::to_json)})
            })
            .collect();
        let errors = if errors.is_empty() { Value::Null } else { Value::Array(errors) };
        json!({"valid?": valid.to_json(), "errors": errors})
    }
}

/// Checks an echo history.
pub fn check(history: &History) -> Checked<EchoResult> {
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
        errors.push((p.invoke.clone(), p.complete.cloned()));
        problems.push(why);
    }
    Checked { valid: Validity::from_ok(errors.is_empty()), result: EchoResult { errors }, problems }
}
