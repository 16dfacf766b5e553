//! The vocabulary of a verdict, below both the checkers that reach one and the workloads and
//! output that use it: [`Validity`], a checker's typed [`Checked`] result, the [`Section`] it
//! becomes in `results.json`, and [`Quantiles`] of a latency.

use serde_json::{json, Value};

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

    /// The verdict of a `valid?` read back: `true`, `false`, anything else unknown.
    pub fn from_json(v: &Value) -> Validity {
        match v {
            Value::Bool(true) => Validity::Valid,
            Value::Bool(false) => Validity::Invalid,
            _ => Validity::Unknown,
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

    /// `Valid` when `ok`, else `Invalid`.
    pub fn from_ok(ok: bool) -> Validity {
        if ok {
            Validity::Valid
        } else {
            Validity::Invalid
        }
    }
}

/// A checker's typed result: written as JSON only when `results.json` is.
pub trait Section {
    /// The section's map with Maelstrom's key names, given the verdict (its `valid?`).
    fn to_results_json(&self, valid: Validity) -> Value;
}

/// A checker's verdict, its typed result and its problems.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked<R> {
    /// The verdict.
    pub valid: Validity,
    /// What the checker found, typed.
    pub result: R,
    /// Each problem in plain words, for the summary.
    pub problems: Vec<String>,
}

impl<R> Checked<R> {
    /// The same verdict and problems with the result wrapped (a workload wraps its checker's
    /// result into its variant of `WorkloadResult`).
    pub fn map<S>(self, f: impl FnOnce(R) -> S) -> Checked<S> {
        Checked { valid: self.valid, result: f(self.result), problems: self.problems }
    }
}

impl<R: Section> Checked<R> {
    /// The section of results.json (with `valid?`).
    pub fn to_results_json(&self) -> Value {
        self.result.to_results_json(self.valid)
    }
}

/// The p50, p99 and max of a latency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantiles<T> {
    /// The median.
    pub p50: T,
    /// The 99th percentile.
    pub p99: T,
    /// The maximum.
    pub max: T,
}
