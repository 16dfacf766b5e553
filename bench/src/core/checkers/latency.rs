//! Operation latencies for `perf` (§8.1 has `:perf` plot only; we add numbers): for each `f`, the
//! count of `ok` completions and the p50, p95, p99 and max of their latency (invocation to
//! completion) in milliseconds. Client crashes are not operations and are left out.

use super::verdict::Quantiles;
use crate::core::history::{History, Kind};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The latency of one `f`'s `ok` operations, in ms, rounded to the microsecond.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpLatency {
    /// How many `ok` operations.
    pub count: usize,
    /// The median.
    pub p50: f64,
    /// The 95th percentile.
    pub p95: f64,
    /// The 99th percentile.
    pub p99: f64,
    /// The maximum.
    pub max: f64,
}

/// The latency of every `f` with at least one `ok` operation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Latencies(pub BTreeMap<String, OpLatency>);

impl Latencies {
    /// The p50, p99 and max of `ok` operations `f`, if there was one.
    pub fn quantiles(&self, f: &str) -> Option<Quantiles<f64>> {
        self.0.get(f).map(|l| Quantiles { p50: l.p50, p99: l.p99, max: l.max })
    }

    /// The `latency` map of `perf`: `{f: {"count", "0.5", "0.95", "0.99", "1"}}`, in ms.
    pub fn to_results_json(&self) -> Value {
        let by_f: Map<String, Value> = self
            .0
            .iter()
            .map(|(f, l)| {
                let v = json!({"count": l.count, "0.5": l.p50, "0.95": l.p95, "0.99": l.p99, "1": l.max});
                (f.clone(), v)
            })
            .collect();
        Value::Object(by_f)
    }

    /// One line per `f`: `send 0.21/0.48/3.10 ms (p50/p99/max, 9876 ok)`.
    pub fn describe(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|(f, l)| {
                format!("{f} {:.2}/{:.2}/{:.2} ms (p50/p99/max, {} ok)", l.p50, l.p99, l.max, l.count)
            })
            .collect()
    }
}

/// The latency of `ok` operations per `f`.
pub fn by_f(history: &History) -> Latencies {
    let mut samples: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for p in history.pairs() {
        let Some(c) = p.complete else { continue };
        if c.kind != Kind::Ok || p.invoke.f == "crash" {
            continue;
        }
        let ms = c.time.saturating_sub(p.invoke.time).as_secs_f64() * 1e3;
        samples.entry(p.invoke.f.as_str()).or_default().push(ms);
    }
    let mut out = BTreeMap::new();
    for (f, mut xs) in samples {
        xs.sort_by(f64::total_cmp);
        // Nearest rank; `xs` has at least one sample, so every rank exists.
        let q = |p: f64| {
            let i = ((xs.len() as f64 * p).ceil() as usize).clamp(1, xs.len()) - 1;
            xs.get(i).map_or(0.0, |v| (v * 1000.0).round() / 1000.0)
        };
        let l = OpLatency { count: xs.len(), p50: q(0.5), p95: q(0.95), p99: q(0.99), max: q(1.0) };
        out.insert(f.to_owned(), l);
    }
    Latencies(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::history::build::ev;

    #[test]
    fn quantiles_per_f_from_ok_pairs_only() {
        let mut h = History::default();
        for i in 0..100u64 {
            ev(&mut h, Kind::Invoke, 0, "send", Value::Null, 1000 * i);
            ev(&mut h, Kind::Ok, 0, "send", Value::Null, 1000 * i + i + 1);
        }
        ev(&mut h, Kind::Invoke, 1, "poll", Value::Null, 0);
        ev(&mut h, Kind::Info, 1, "poll", Value::Null, 5000);
        ev(&mut h, Kind::Invoke, 2, "crash", Value::Null, 0);
        ev(&mut h, Kind::Info, 2, "crash", Value::Null, 0);
        let l = by_f(&h);
        assert_eq!(l.quantiles("send"), Some(Quantiles { p50: 50.0, p99: 99.0, max: 100.0 }));
        let json = l.to_results_json();
        assert_eq!(json["send"]["count"], json!(100));
        assert_eq!(json["send"]["0.5"], json!(50.0));
        assert!(json.get("poll").is_none() && json.get("crash").is_none());
        assert_eq!(l.describe(), vec!["send 50.00/99.00/100.00 ms (p50/p99/max, 100 ok)".to_owned()]);
    }
}
