//! `results.edn`: the verdict of `results.json` with Maelstrom's keys and nesting
//! (docs/protocol.md §8.1). Section and field names become keywords (`:valid?`, `:net`,
//! `:send-count`), `"unknown"` verdicts `:unknown`, quantile keys numbers (`{0.5 452}`), and the
//! names Jepsen writes as keywords (anomaly types, consistency models, operation types) keywords.
//! `:perf` gets Maelstrom's `:latency-graph` and `:rate-graph` flags beside our quantiles.

use super::Edn;
use serde_json::Value;

/// Fields whose string values (or the strings in their vector) Jepsen writes as keywords.
const KEYWORD_VALUED: [&str; 7] =
    ["anomaly-types", "not", "also-not", "type", "f", "outcome", "bad-error-types"];

/// `results.edn`'s text from `results.json`'s value.
pub fn results_edn(results: &Value) -> String {
    let mut edn = section(results);
    if let Edn::Map(entries) = &mut edn {
        for (k, v) in entries.iter_mut() {
            if *k == Edn::Keyword("perf".into()) {
                if let Edn::Map(perf) = v {
                    let ok = || Edn::Map(vec![(Edn::keyword("valid?"), Edn::Bool(true))]);
                    perf.insert(0, (Edn::keyword("rate-graph"), ok()));
                    perf.insert(0, (Edn::keyword("latency-graph"), ok()));
                }
            }
        }
    }
    edn.pretty()
}

/// A map of results: keys as keywords (or numbers), values by [`field`].
fn section(v: &Value) -> Edn {
    match v {
        Value::Object(m) => Edn::Map(
            m.iter()
                // Maelstrom leaves `msgs-per-op` out when there were no operations; so do we
                // our `bytes-per-op`.
                .filter(|(k, v)| !(matches!(k.as_str(), "msgs-per-op" | "bytes-per-op") && v.is_null()))
                .map(|(k, v)| (key(k), field(k, v)))
                .collect(),
        ),
        Value::Array(xs) => Edn::Vector(xs.iter().map(section).collect()),
        other => Edn::data(other),
    }
}

/// A field's value: `valid?`'s `"unknown"` and the names of [`KEYWORD_VALUED`] fields as
/// keywords, operation values as data, maps as sections.
fn field(name: &str, v: &Value) -> Edn {
    match (name, v) {
        ("valid?", Value::String(s)) => Edn::keyword(s),
        (name, Value::String(s)) if KEYWORD_VALUED.contains(&name) => Edn::keyword(s),
        (name, Value::Array(xs)) if KEYWORD_VALUED.contains(&name) => {
            Edn::Vector(xs.iter().map(|x| x.as_str().map_or_else(|| section(x), Edn::keyword)).collect())
        }
        ("value" | "value'" | "element" | "lost" | "never-read" | "stale", v) => Edn::data(v),
        (_, v) => section(v),
    }
}

/// A map key: a number where it reads as one (quantiles), else a keyword (or a string where it
/// cannot be one).
fn key(k: &str) -> Edn {
    if let Ok(i) = k.parse::<i64>() {
        return Edn::Int(i128::from(i));
    }
    match k.parse::<f64>() {
        Ok(f) if f.is_finite() && k.contains('.') => Edn::Float(f),
        _ => Edn::keyword(k),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::edn::parse;
    use serde_json::json;

    #[test]
    fn maelstroms_names_and_nesting() {
        let results = json!({
            "perf": {"valid?": true, "latency": {"read": {"0.5": 2.0, "count": 3}}},
            "net": {"all": {"send-count": 10, "send-bytes": 900, "msgs-per-op": null, "bytes-per-op": null},
                    "servers": {"send-bytes": 412, "bytes-per-op": 41.2}, "valid?": true},
            "workload": {"valid?": "unknown", "stable-latencies": {"0": 0, "0.5": 452, "1": 802},
                         "anomaly-types": ["G0", "G1c"], "lost": ["a b"],
                         "worst-stale": [{"element": "x", "outcome": "stable"}]},
            "valid?": "unknown",
        });
        let text = results_edn(&results);
        assert!(
            text.contains(":perf {:latency-graph {:valid? true},\n        :rate-graph {:valid? true}"),
            "{text}"
        );
        assert!(text.contains(":stable-latencies {0 0, 0.5 452, 1 802}"), "{text}");
        assert!(text.contains(":anomaly-types [:G0 :G1c]"), "{text}");
        assert!(text.contains(":lost [\"a b\"]"), "{text}");
        assert!(text.contains("{:element \"x\", :outcome :stable}"), "{text}");
        assert!(text.contains(":valid? :unknown"), "{text}");
        assert!(!text.contains("msgs-per-op"), "left out without operations: {text}");
        assert!(text.contains(":servers {:bytes-per-op 41.2, :send-bytes 412}"), "{text}");
        assert!(!text.contains("nil"), "no per-op figure without operations: {text}");
        let back = parse(&text).expect("EDN");
        assert_eq!(back["net"]["all"]["send-count"], 10);
        assert_eq!(back["net"]["all"]["send-bytes"], 900);
        assert_eq!(back["perf"]["latency"]["read"]["0.5"], 2.0);
    }
}
