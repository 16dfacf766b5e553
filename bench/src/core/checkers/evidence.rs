//! How much a verdict rests on (docs/protocol.md §8.1, `evidence`): the checkers keep
//! Maelstrom's verdicts, and this one names the weak points of a run they call valid — values
//! no successful read ever saw, final reads that failed, a kind of operation that almost never
//! succeeded. Maelstrom's set checker, say, calls a broadcast run valid when one value was seen
//! everywhere and every other was never read at all. The section is always valid, except under
//! `--strict`, where any weak point makes the run invalid.

use super::set_full::BroadcastResult;
use super::verdict::{Checked, Section, Validity};
use super::{Stats, WorkloadResult};
use crate::core::history::{History, Kind};
use serde_json::{json, Value};

/// Below this fraction of `ok` completions, a kind of operation "almost never succeeded".
pub const RARELY_OK: f64 = 0.10;

/// One thing a verdict rests little on.
#[derive(Debug, Clone, PartialEq)]
pub enum WeakPoint {
    /// Values that no successful read ever saw: the verdict says nothing about them.
    NeverRead {
        /// Values never read.
        never: usize,
        /// Values whose add was attempted.
        attempted: usize,
    },
    /// Final reads (the reads that decide what was kept) that did not succeed.
    FinalReadsFailed {
        /// Final reads that ended `fail` or `info`.
        failed: usize,
        /// Final reads.
        total: usize,
    },
    /// A kind of operation that succeeded less than [`RARELY_OK`] of the time (but at least once).
    RarelyOk {
        /// The operation's `f`.
        f: String,
        /// `ok` completions.
        ok: u64,
        /// Completions.
        count: u64,
    },
}

impl WeakPoint {
    /// Its name in `results.json`.
    pub fn name(&self) -> &'static str {
        match self {
            WeakPoint::NeverRead { .. } => "never-read",
            WeakPoint::FinalReadsFailed { .. } => "final-reads-failed",
            WeakPoint::RarelyOk { .. } => "rarely-ok",
        }
    }

    /// What it means, in plain words.
    pub fn describe(&self) -> String {
        match self {
            WeakPoint::NeverRead { never, attempted } => format!(
                "{never} of {attempted} values were never seen by a successful read, so the verdict \
                 says nothing about them"
            ),
            WeakPoint::FinalReadsFailed { failed, total } => format!(
                "{failed} of {total} final reads did not succeed, so what each node kept in the end \
                 was not checked there"
            ),
            WeakPoint::RarelyOk { f, ok, count } => format!(
                "only {ok} of {count} {f} operations succeeded ({:.0}%), so little of what {f} does \
                 was checked",
                100.0 * *ok as f64 / (*count).max(1) as f64
            ),
        }
    }
}

/// What the `evidence` checker found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    /// The weak points, in the order of [`WeakPoint`]'s variants.
    pub weak: Vec<WeakPoint>,
    /// Whether the run was judged with `--strict`.
    pub strict: bool,
}

impl Section for Evidence {
    fn to_results_json(&self, valid: Validity) -> Value {
        let weak: Vec<Value> =
            self.weak.iter().map(|w| json!({"name": w.name(), "text": w.describe()})).collect();
        json!({"valid?": valid.to_json(), "strict?": self.strict, "weak-points": weak})
    }
}

/// Names the weak points of a run; under `strict` each one is a problem that makes it invalid.
pub fn evidence(
    history: &History,
    stats: &Stats,
    workload: &WorkloadResult,
    strict: bool,
) -> Checked<Evidence> {
    let mut weak = Vec::new();
    if let Some(BroadcastResult { never_read, attempted, .. }) = workload.set_full() {
        if !never_read.is_empty() {
            weak.push(WeakPoint::NeverRead { never: never_read.len(), attempted: *attempted });
        }
    }
    let finals: Vec<Kind> =
        history.completions().filter(|e| e.final_op && e.f == "read").map(|e| e.kind).collect();
    let failed = finals.iter().filter(|k| **k != Kind::Ok).count();
    if failed > 0 {
        weak.push(WeakPoint::FinalReadsFailed { failed, total: finals.len() });
    }
    for (f, c) in &stats.by_f {
        if c.ok > 0 && (c.ok as f64) < RARELY_OK * c.count as f64 {
            weak.push(WeakPoint::RarelyOk { f: f.clone(), ok: c.ok, count: c.count });
        }
    }
    let problems: Vec<String> = if strict {
        weak.iter()
            .map(|w| format!("--strict: the verdict rests on little ({}): {}", w.name(), w.describe()))
            .collect()
    } else {
        Vec::new()
    };
    Checked { valid: Validity::from_ok(problems.is_empty()), result: Evidence { weak, strict }, problems }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::checkers::{set_full, stats};
    use crate::core::history::build::ev;
    use serde_json::json;

    /// Broadcasts of 0..n, only the first acknowledged; a read seeing it; then final reads of
    /// which `final_ok` succeed.
    fn stuck(n: u64, final_ok: u64, finals: u64) -> History {
        let mut h = History::default();
        ev(&mut h, Kind::Invoke, 0, "broadcast", json!(0), 0);
        ev(&mut h, Kind::Ok, 0, "broadcast", json!(0), 1);
        ev(&mut h, Kind::Invoke, 1, "read", Value::Null, 2);
        ev(&mut h, Kind::Ok, 1, "read", json!([0]), 3);
        for v in 1..n {
            ev(&mut h, Kind::Invoke, 0, "broadcast", json!(v), 10 * v);
            ev(&mut h, Kind::Info, 0, "broadcast", json!(v), 10 * v + 5);
        }
        for p in 0..finals {
            ev(&mut h, Kind::Invoke, 10 + p, "read", Value::Null, 1000);
            let last = h.events.len();
            let ok = p < final_ok;
            ev(
                &mut h,
                if ok { Kind::Ok } else { Kind::Fail },
                10 + p,
                "read",
                if ok { json!([0]) } else { Value::Null },
                1001,
            );
            h.events[last - 1].final_op = true;
            h.events[last].final_op = true;
        }
        h
    }

    fn judge(h: &History, strict: bool) -> Checked<Evidence> {
        let w = set_full::check(h, "broadcast").map(WorkloadResult::Broadcast);
        evidence(h, &stats(h).result, &w.result, strict)
    }

    #[test]
    fn a_run_that_rests_on_one_value_names_each_weak_point_and_fails_only_when_strict() {
        let h = stuck(13, 1, 5);
        assert_eq!(set_full::check(&h, "broadcast").valid, Validity::Valid, "Maelstrom's verdict is kept");
        let lax = judge(&h, false);
        assert_eq!(lax.valid, Validity::Valid);
        assert!(lax.problems.is_empty());
        let names: Vec<&str> = lax.result.weak.iter().map(WeakPoint::name).collect();
        assert_eq!(names, ["never-read", "final-reads-failed", "rarely-ok"]);
        assert_eq!(
            lax.result.weak[0].describe(),
            "12 of 13 values were never seen by a successful read, so the verdict says nothing about them"
        );
        assert!(lax.result.weak[1].describe().starts_with("4 of 5 final reads did not succeed"));
        assert!(lax.result.weak[2]
            .describe()
            .starts_with("only 1 of 13 broadcast operations succeeded (8%)"));
        let strict = judge(&h, true);
        assert_eq!(strict.valid, Validity::Invalid);
        assert_eq!(strict.problems.len(), 3);
        assert!(
            strict.problems[0].starts_with("--strict: the verdict rests on little (never-read): 12 of 13")
        );
    }

    #[test]
    fn a_well_supported_run_has_no_weak_point() {
        let mut h = History::default();
        for v in 0..10 {
            ev(&mut h, Kind::Invoke, 0, "broadcast", json!(v), 10 * v);
            ev(&mut h, Kind::Ok, 0, "broadcast", json!(v), 10 * v + 1);
        }
        ev(&mut h, Kind::Invoke, 1, "read", Value::Null, 200);
        ev(&mut h, Kind::Ok, 1, "read", json!((0..10).collect::<Vec<_>>()), 201);
        h.events[20].final_op = true;
        h.events[21].final_op = true;
        let e = judge(&h, true);
        assert_eq!((e.valid, e.result.weak.len()), (Validity::Valid, 0), "{:?}", e.result.weak);
        // One more broadcast that failed fast is still 10 of 11: not "almost never".
        ev(&mut h, Kind::Invoke, 0, "broadcast", json!(99), 300);
        ev(&mut h, Kind::Fail, 0, "broadcast", json!(99), 301);
        assert!(judge(&h, true).result.weak.iter().all(|w| w.name() != "rarely-ok"));
    }
}
