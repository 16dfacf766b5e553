//! The g-counter checker (docs/protocol.md §7.4): every `ok` final read must lie in the acceptable
//! set built from the `ok` adds (certainly counted) and the `info` adds (maybe counted).

use super::secs;
use super::verdict::{Checked, Section, Validity};
use crate::core::history::{Event, History, Kind};
use serde_json::{json, Value};

/// What the g-counter checker found.
#[derive(Debug, Clone, PartialEq)]
pub struct GCounterResult {
    /// The final reads outside the acceptable set.
    pub errors: Vec<Event>,
    /// Every `ok` final read's value.
    pub final_reads: Vec<Value>,
    /// The acceptable values, as closed ranges.
    pub acceptable: Vec<(i64, i64)>,
}

impl Section for GCounterResult {
    fn to_results_json(&self, valid: Validity) -> Value {
        let errors = if self.errors.is_empty() {
            Value::Null
        } else {
            Value::Array(self.errors.iter().map(Event::to_json).collect())
        };
        json!({
            "valid?": valid.to_json(),
            "errors": errors,
            "final-reads": self.final_reads,
            "acceptable": self.acceptable.iter().map(|(lo, hi)| json!([lo, hi])).collect::<Vec<_>>(),
        })
    }
}

/// Closed ranges, sorted and merged.
fn add_maybe(ranges: &[(i64, i64)], d: i64) -> Vec<(i64, i64)> {
    let mut all: Vec<(i64, i64)> =
        ranges.iter().copied().chain(ranges.iter().map(|&(lo, hi)| (lo + d, hi + d))).collect();
    all.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::new();
    for (lo, hi) in all {
        match merged.last_mut() {
            Some(last) if lo <= last.1 + 1 => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    merged
}

/// Checks a g-counter history.
pub fn check(history: &History) -> Checked<GCounterResult> {
    let mut sum: i64 = 0;
    let mut maybe: Vec<i64> = Vec::new();
    let mut adds_ok = 0;
    let pairs = history.pairs();
    for p in &pairs {
        if p.invoke.f != "add" {
            continue;
        }
        let d = p.invoke.value.as_i64().unwrap_or(0);
        match p.complete.map(|c| c.kind) {
            Some(Kind::Ok) => {
                sum += d;
                adds_ok += 1;
            }
            Some(Kind::Fail) => {}
            _ => maybe.push(d),
        }
    }
    let mut ranges = vec![(sum, sum)];
    for d in &maybe {
        if *d != 0 {
            ranges = add_maybe(&ranges, *d);
        }
    }
    let shown: Vec<String> =
        ranges.iter().map(|(lo, hi)| if lo == hi { lo.to_string() } else { format!("{lo}..{hi}") }).collect();
    let mut finals = Vec::new();
    let mut errors = Vec::new();
    let mut problems = Vec::new();
    for e in history.completions().filter(|e| e.kind == Kind::Ok && e.final_op && e.f == "read") {
        finals.push(e.value.clone());
        let ok = e.value.as_i64().is_some_and(|v| ranges.iter().any(|&(lo, hi)| lo <= v && v <= hi));
        if !ok {
            errors.push(e.clone());
            problems.push(format!(
                "final read of {} at {} returned {}, but {} ({} acknowledged adds sum to {sum}; {} adds of unknown outcome)",
                e.node,
                secs(e),
                e.value,
                match shown.as_slice() {
                    [one] => format!("the only acceptable value is {one}"),
                    many => format!("the acceptable values are {}", many.join(", ")),
                },
                adds_ok,
                maybe.len()
            ));
        }
    }
    Checked {
        valid: Validity::from_ok(errors.is_empty()),
        result: GCounterResult { errors, final_reads: finals, acceptable: ranges },
        problems,
    }
}
