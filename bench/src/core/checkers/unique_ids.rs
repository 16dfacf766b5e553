//! The unique-ids checker (docs/protocol.md §7.2): ids of `ok` completions must be distinct.

use super::secs;
use super::verdict::{Checked, Section, Validity};
use crate::core::history::{Event, History, Kind};
use serde_json::{json, Value};
use std::cmp::Ordering;
use std::collections::HashMap;

/// Duplicated ids `results.json` lists.
const SHOWN: usize = 48;

/// What the unique-ids checker found.
#[derive(Debug, Clone, PartialEq)]
pub struct UniqueIdsResult {
    /// Invocations.
    pub attempted: usize,
    /// `ok` completions.
    pub acknowledged: usize,
    /// Each id generated more than once and how often, the most repeated first.
    pub duplicated: Vec<(Value, usize)>,
    /// The lowest and highest id, when all ids are comparable.
    pub range: Option<(Value, Value)>,
}

impl Section for UniqueIdsResult {
    fn to_results_json(&self, valid: Validity) -> Value {
        let duplicated: Vec<Value> =
            self.duplicated.iter().take(SHOWN).map(|(id, n)| json!([id, n])).collect();
        json!({
            "valid?": valid.to_json(),
            "attempted-count": self.attempted,
            "acknowledged-count": self.acknowledged,
            "duplicated-count": self.duplicated.len(),
            "duplicated": duplicated,
            "range": self.range.as_ref().map(|(lo, hi)| json!([lo, hi])),
        })
    }
}

/// Orders ids the way the checker's `:range` needs; `None` when two ids cannot be compared
/// (for example a number and a string), which makes the result unknown.
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => Some(i.cmp(&j)),
            _ => x.as_f64()?.partial_cmp(&y.as_f64()?),
        },
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(x.len().cmp(&y.len()));
            }
            for (i, j) in x.iter().zip(y) {
                match compare(i, j)? {
                    Ordering::Equal => {}
                    o => return Some(o),
                }
            }
            Some(Ordering::Equal)
        }
        _ => None,
    }
}

/// Checks a unique-ids history.
pub fn check(history: &History) -> Checked<UniqueIdsResult> {
    let attempted = history.events.iter().filter(|e| e.kind == Kind::Invoke).count();
    let oks: Vec<&Event> = history.completions().filter(|e| e.kind == Kind::Ok).collect();
    let mut seen: HashMap<String, Vec<&Event>> = HashMap::new();
    for e in &oks {
        seen.entry(e.value.to_string()).or_default().push(e);
    }
    let mut dups: Vec<&Vec<&Event>> = seen.values().filter(|v| v.len() > 1).collect();
    dups.sort_by(|a, b| {
        b.len().cmp(&a.len()).then_with(|| a.first().map(|e| e.index).cmp(&b.first().map(|e| e.index)))
    });
    let problems: Vec<String> = dups
        .iter()
        .map(|v| {
            let who: Vec<String> = v.iter().take(4).map(|e| format!("{} at {}", e.node, secs(e))).collect();
            let id = v.first().map(|e| e.value.to_string()).unwrap_or_default();
            format!("id {id} was generated {} times: by {}", v.len(), who.join(", "))
        })
        .collect();
    let duplicated: Vec<(Value, usize)> =
        dups.iter().filter_map(|v| Some((v.first()?.value.clone(), v.len()))).collect();
    let mut range: Option<(&Value, &Value)> = None;
    let mut comparable = true;
    for e in &oks {
        range = match range {
            None => Some((&e.value, &e.value)),
            Some((lo, hi)) => match (compare(&e.value, lo), compare(&e.value, hi)) {
                (Some(a), Some(b)) => Some((
                    if a == Ordering::Less { &e.value } else { lo },
                    if b == Ordering::Greater { &e.value } else { hi },
                )),
                _ => {
                    comparable = false;
                    break;
                }
            },
        };
    }
    let valid = if !dups.is_empty() {
        Validity::Invalid
    } else if !comparable {
        Validity::Unknown
    } else {
        Validity::Valid
    };
    let mut problems = problems;
    if !comparable {
        problems.push("ids of different, incomparable types were returned (use one id type)".to_owned());
    }
    let result = UniqueIdsResult {
        attempted,
        acknowledged: oks.len(),
        duplicated,
        range: range.filter(|_| comparable).map(|(lo, hi)| (lo.clone(), hi.clone())),
    };
    Checked { valid, result, problems }
}
