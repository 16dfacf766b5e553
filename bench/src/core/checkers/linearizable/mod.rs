//! The lin-kv checker (docs/protocol.md §7.7): each key's operations must be linearizable as a
//! compare-and-set register that starts at `null`. Keys are independent (linearizability is
//! compositional, so each is checked on its own, as Jepsen's `independent` checker does), and the
//! result has its layout: `results` per key, the failing keys under `failures`.
//!
//! An operation with an unknown outcome (`info`, or never completed) may take effect at any
//! point after its invocation, or never. A failed operation, or a read without a value, is left
//! out. A read of `null` is a read of the register's initial state: unlike Knossos, whose
//! register accepts a `nil` read anywhere, a `null` read after a write has taken effect is
//! stale here.
//!
//! Modules: [`ops`] turns the history into per-key register operations, [`search`] decides a
//! key, [`witness`] shrinks a violation to the operations that prove it.

mod ops;
mod search;
mod witness;

#[cfg(test)]
mod tests;

use super::verdict::{Checked, Section, Validity};
use crate::core::history::History;
use ops::{Action, KeyHistory, RegOp, Values};
pub use search::Budget;
use search::Outcome;
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

/// `3.201 s`.
fn secs_of(t: Duration) -> String {
    format!("{:.3} s", t.as_secs_f64())
}

/// The memo's limit: configurations (16 bytes each, about 40 with the hash table's slack).
pub const MAX_CONFIGS: usize = 12 << 20;

/// One operation of a violation, as the report shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpView {
    /// `read`, `write` or `cas`.
    pub f: &'static str,
    /// Its argument or result: `3`, or `[1, 4]` for a cas.
    pub value: String,
    /// Whether it certainly happened (else its outcome is unknown).
    pub definite: bool,
    /// The Jepsen process.
    pub process: u64,
    /// The node its client talked to.
    pub node: String,
    /// When it was invoked.
    pub invoked: Duration,
    /// When it completed, if it did.
    pub completed: Option<Duration>,
    /// For a certain read or cas: the values the register could hold where it stood.
    pub possible: Option<Vec<String>>,
    /// Whether it is in the proof only as a possible source of a value another one saw.
    pub is_source: bool,
}

impl OpView {
    fn new(op: &RegOp, values: &Values, possible: Option<Vec<String>>, is_source: bool) -> OpView {
        let (f, value) = match op.action {
            Action::Read(v) => ("read", values.text(v).to_owned()),
            Action::Write(v) => ("write", values.text(v).to_owned()),
            Action::Cas(a, b) => ("cas", format!("[{}, {}]", values.text(a), values.text(b))),
        };
        OpView {
            f,
            value,
            definite: op.is_definite(),
            process: op.process,
            node: op.node.clone(),
            invoked: op.call_time,
            completed: op.ret_time,
            possible,
            is_source,
        }
    }

    /// `cas [1, 4] ok by process 7 on n2, 3.201 s–3.250 s` and what was possible.
    pub fn describe(&self) -> String {
        let span = match self.completed {
            Some(end) => format!("{}–{}", secs_of(self.invoked), secs_of(end)),
            None => format!("from {}, outcome unknown", secs_of(self.invoked)),
        };
        let head = format!(
            "{} {}{} by process {} on {} ({span})",
            self.f,
            self.value,
            if self.definite { " ok" } else { "" },
            self.process,
            self.node
        );
        if self.is_source {
            return format!("{head}, a possible source of a value seen");
        }
        let Some(possible) = &self.possible else { return head };
        let seen = match self.f {
            "cas" => "needed the register to hold its first value",
            _ => "returned that",
        };
        if possible.is_empty() {
            format!("{head}: it {seen}, but no order of the others leaves room for it at all")
        } else {
            format!("{head}: it {seen}, but the register could only hold {} then", possible.join(" or "))
        }
    }

    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("f".into(), json!(self.f));
        m.insert("value".into(), json!(self.value));
        m.insert("type".into(), json!(if self.definite { "ok" } else { "info" }));
        m.insert("process".into(), json!(self.process));
        m.insert("node".into(), json!(self.node));
        m.insert("invoke-time".into(), json!(self.invoked.as_nanos() as u64));
        if let Some(t) = self.completed {
            m.insert("complete-time".into(), json!(t.as_nanos() as u64));
        }
        if let Some(p) = &self.possible {
            m.insert("possible".into(), json!(p));
        }
        if self.is_source {
            m.insert("source?".into(), json!(true));
        }
        Value::Object(m)
    }
}

/// The proof that a key is not linearizable: operations that cannot be ordered, in invocation
/// order, including every operation that could have produced a value one of them saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The operations.
    pub ops: Vec<OpView>,
}

/// How many of a proof's possible sources the summary lists (it lists every other operation).
const SOURCES_SHOWN: usize = 6;

/// One key's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyResult {
    /// The key's JSON text.
    pub key: String,
    /// Linearizable, not, or undecided.
    pub valid: Validity,
    /// Operations checked (failed ones and reads without a value are not).
    pub op_count: usize,
    /// Why it is undecided.
    pub unknown: Option<String>,
    /// Why it is not linearizable (`None` also when no proof was found within the budget).
    pub violation: Option<Violation>,
}

impl KeyResult {
    fn to_json(&self) -> Value {
        let mut lin = Map::new();
        lin.insert("valid?".into(), self.valid.to_json());
        lin.insert("op-count".into(), json!(self.op_count));
        if let Some(why) = &self.unknown {
            lin.insert("error".into(), json!(why));
        }
        if let Some(v) = &self.violation {
            lin.insert("ops".into(), Value::Array(v.ops.iter().map(OpView::to_json).collect()));
        }
        json!({"valid?": self.valid.to_json(), "linearizable": Value::Object(lin)})
    }

    /// The problem in plain words, for a key that is not valid.
    fn problem(&self) -> Option<String> {
        match (self.valid, &self.unknown, &self.violation) {
            (Validity::Valid, _, _) => None,
            (_, Some(why), _) => Some(format!("key {}: linearizability not decided: {why}", self.key)),
            (_, _, Some(v)) => {
                // Every operation of the core, then the sources closest to it in time.
                let core = v.ops.iter().filter(|o| !o.is_source);
                let sources: Vec<&OpView> = v.ops.iter().filter(|o| o.is_source).collect();
                let shown = sources.len().min(SOURCES_SHOWN);
                let mut lines: Vec<String> = core.map(|o| format!("  · {}", o.describe())).collect();
                let last = sources.get(sources.len() - shown..).unwrap_or_default();
                lines.extend(last.iter().map(|o| format!("  · {}", o.describe())));
                if sources.len() > shown {
                    lines.push(format!(
                        "  · … and {} earlier possible source(s) (see results.json)",
                        sources.len() - shown
                    ));
                }
                Some(format!(
                    "key {} is not linearizable: these {} operation(s) cannot be put in any order \
                     consistent with their times:\n{}",
                    self.key,
                    v.ops.len(),
                    lines.join("\n")
                ))
            }
            _ => Some(format!("key {} is not linearizable (no proof found within the budget)", self.key)),
        }
    }
}

/// What the lin-kv checker found: every key's verdict, in key order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinKvResult {
    /// Per key.
    pub keys: Vec<KeyResult>,
}

impl LinKvResult {
    /// The names of the anomalies found: `nonlinearizable` if a key is not linearizable.
    pub fn anomaly_types(&self) -> Vec<String> {
        if self.keys.iter().any(|k| k.valid == Validity::Invalid) {
            vec!["nonlinearizable".to_owned()]
        } else {
            Vec::new()
        }
    }
}

impl Section for LinKvResult {
    fn to_results_json(&self, valid: Validity) -> Value {
        let results: Map<String, Value> = self.keys.iter().map(|k| (k.key.clone(), k.to_json())).collect();
        let failures: Vec<Value> = self
            .keys
            .iter()
            .filter(|k| k.valid != Validity::Valid)
            .map(|k| serde_json::from_str(&k.key).unwrap_or_else(|_| json!(k.key)))
            .collect();
        json!({"valid?": valid.to_json(), "results": results, "failures": failures})
    }
}

/// Checks a lin-kv history within `budget` (a wall-clock limit for the whole check).
pub fn check(history: &History, budget: Duration) -> Checked<LinKvResult> {
    let start = Instant::now();
    let budget = Budget { deadline: start + budget, max_configs: MAX_CONFIGS };
    let (keys, values) = ops::split(history);
    let results: Vec<KeyResult> = keys.iter().map(|k| check_key(k, &values, &budget)).collect();
    let valid = results.iter().fold(Validity::Valid, |v, k| v.and(k.valid));
    let problems = results.iter().filter_map(KeyResult::problem).collect();
    Checked { valid, result: LinKvResult { keys: results }, problems }
}

fn check_key(k: &KeyHistory, values: &Values, budget: &Budget) -> KeyResult {
    let mut r = KeyResult {
        key: k.key.clone(),
        valid: Validity::Valid,
        op_count: k.ops.len(),
        unknown: None,
        violation: None,
    };
    match search::check(&k.ops, budget) {
        Outcome::Linearizable => {}
        Outcome::Unknown(why) => {
            r.valid = Validity::Unknown;
            r.unknown = Some(why);
        }
        Outcome::Violation { stuck } => {
            r.valid = Validity::Invalid;
            r.violation = witness::find(&k.ops, stuck, budget).map(|w| {
                let text = |set: &std::collections::BTreeSet<ops::Val>| {
                    set.iter().map(|v| values.text(*v).to_owned()).collect::<Vec<_>>()
                };
                let mut all: Vec<(usize, Option<Vec<String>>, bool)> =
                    w.core.iter().zip(&w.possible).map(|(&i, p)| (i, p.as_ref().map(text), false)).collect();
                all.extend(w.sources.iter().map(|&i| (i, None, true)));
                all.sort_by_key(|(i, _, _)| *i);
                let ops = all
                    .into_iter()
                    .filter_map(|(i, p, source)| Some(OpView::new(k.ops.get(i)?, values, p, source)))
                    .collect();
                Violation { ops }
            });
        }
    }
    r
}
