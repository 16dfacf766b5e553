//! Operation latencies for `perf` (§8.1 has `:perf` plot only; we add numbers): for each `f`, the
//! count of `ok` completions and the p50, p95, p99 and max of their latency (invocation to
//! completion) in milliseconds. Client crashes are not operations and are left out.

use crate::core::history::{History, Kind};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The `latency` map: `{f: {"count", "0.5", "0.95", "0.99", "1"}}`, in ms.
pub fn by_f(history: &History) -> Value {
    let mut samples: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for p in history.pairs() {
        let Some(c) = p.complete else { continue };
        if c.kind != Kind::Ok || p.invoke.f == "crash" {
            continue;
        }
        let ms = c.time.saturating_sub(p.invoke.time).as_secs_f64() * 1e3;
        samples.entry(p.invoke.f.as_str()).or_default().push(ms);
    }
    let mut out = Map::new();
    for (f, mut xs) in samples {
        xs.sort_by(f64::total_cmp);
        let q = |p: f64| {
            let i = ((xs.len() as f64 * p).ceil() as usize).clamp(1, xs.len()) - 1;
            xs.get(i).map_or(Value::Null, |v| json!((v * 1000.0).round() / 1000.0))
        };
        out.insert(
            f.to_owned(),
            json!({"count": xs.len(), "0.5": q(0.5), "0.95": q(0.95), "0.99": q(0.99), "1": q(1.0)}),
        );
    }
    Value::Object(out)
}

/// One line per `f`: `send 0.21/0.48/3.10 ms (p50/p99/max, 9876 ok)`.
pub fn describe(latency: &Value) -> Vec<String> {
    let ms = |v: &Value| v.as_f64().map_or_else(|| "?".to_owned(), |x| format!("{x:.2}"));
    latency
        .as_object()
        .into_iter()
        .flatten()
        .map(|(f, l)| {
            format!(
                "{f} {}/{}/{} ms (p50/p99/max, {} ok)",
                ms(&l["0.5"]),
                ms(&l["0.99"]),
                ms(&l["1"]),
                l["count"].as_u64().unwrap_or(0)
            )
        })
        .collect()
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
        assert_eq!(l["send"]["count"], json!(100));
        assert_eq!(l["send"]["0.5"], json!(50.0));
        assert_eq!(l["send"]["0.99"], json!(99.0));
        assert_eq!(l["send"]["1"], json!(100.0));
        assert!(l.get("poll").is_none() && l.get("crash").is_none());
        assert_eq!(describe(&l), vec!["send 50.00/99.00/100.00 ms (p50/p99/max, 100 ok)".to_owned()]);
    }
}
