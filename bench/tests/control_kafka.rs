//! End-to-end tests of the kafka workload and checker: `glomers-bench test -w kafka` against the
//! kafka modes of `glomers-control`, correct and broken on purpose, asserting the verdict, the
//! exit code, the anomaly named in results.json and the explanation.

mod common;

use common::{test, Outcome};
use serde_json::Value;

/// A short kafka run against control `mode`.
fn kafka(name: &str, nodes: &str, mode: &str, seed: &str) -> Outcome {
    let flags =
        ["--node-count", nodes, "--concurrency", "2n", "--time-limit", "4", "--rate", "300", "--seed", seed];
    test(name, "kafka", &flags, mode)
}

/// The report's picture of `anomaly`: it exists, names the key of the checker's first example
/// (and its offset, when the example has one), and the failure links to it.
fn assert_pictured(o: &Outcome, anomaly: &str) {
    let report = std::fs::read_to_string(o.store.join("latest/report.html")).unwrap_or_default();
    let section = &o.results()["workload"][anomaly];
    let err = &section["errs"][0];
    // `unseen` has no examples: its first key's messages.
    let key = match section["messages"].as_object().and_then(|m| m.keys().next()) {
        Some(k) => k.clone(),
        None => err["key"].to_string(),
    };
    let start = report
        .find(&format!("<div id=\"kafka-{anomaly}\">"))
        .unwrap_or_else(|| panic!("no picture of {anomaly}"));
    let svg = report.get(start..).and_then(|r| r.split("</svg>").next()).unwrap_or_default();
    assert!(svg.contains(&format!("key {key}: offsets")), "{anomaly} {err}: {svg}");
    if let Some(offset) = err["offset"].as_i64() {
        assert!(svg.contains(&format!("<title>offset {offset}: message(s) ")), "{anomaly} {err}: {svg}");
    }
    for v in err["values"].as_array().into_iter().flatten().chain(err.get("value")) {
        assert!(svg.contains(&format!(": message {v} at ")), "message {v} of {err} is drawn: {svg}");
    }
    assert!(
        report.contains(&format!("<a href=\"#kafka-{anomaly}\">(picture)</a>")),
        "the failure links to it"
    );
}

fn bad_types(o: &Outcome) -> Vec<String> {
    o.results()["workload"]["bad-error-types"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect()
}

#[test]
fn a_correct_single_node_log_passes() {
    let o = kafka("kafka-ok", "1", "kafka", "1");
    assert_eq!(o.code, 0, "{}", o.show());
    let r = o.results();
    assert_eq!(r["workload"]["valid?"], true, "{}", o.show());
    for f in ["send", "poll", "assign"] {
        assert!(r["stats"]["by-f"][f]["ok-count"].as_u64().unwrap_or(0) > 0, "no ok {f}: {}", o.show());
    }
    assert!(r["stats"]["by-f"].get("crash").is_none(), "stats ignores crashes");
    let report = std::fs::read_to_string(o.store.join("latest/report.html")).unwrap_or_default();
    assert!(report.contains("<section id=\"lag\">") && report.contains("real-time lag (s)"), "the lag plot");
    assert!(!report.contains("<div id=\"kafka-"), "no anomaly, no picture");
}

#[test]
fn offsets_reused_across_nodes_are_inconsistent() {
    let o = kafka("kafka-reuse", "2", "kafka-offset-reuse", "2");
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(bad_types(&o).iter().any(|t| t == "inconsistent-offsets"), "{:?}\n{}", bad_types(&o), o.show());
    assert!(o.stdout.contains("offset"), "{}", o.show());
    assert_pictured(&o, "inconsistent-offsets");
}

#[test]
fn an_acknowledged_send_that_is_never_stored_is_lost() {
    let o = kafka("kafka-lost", "1", "kafka-lost-send", "3");
    assert_eq!(o.code, 1, "{}", o.show());
    let bad = bad_types(&o);
    assert!(bad.iter().any(|t| t == "lost-write" || t == "unseen"), "{bad:?}\n{}", o.show());
    assert_pictured(&o, if bad.iter().any(|t| t == "lost-write") { "lost-write" } else { "unseen" });
}

#[test]
fn a_poll_that_skips_a_message_is_caught() {
    let o = kafka("kafka-skip", "1", "kafka-poll-skip", "4");
    assert_eq!(o.code, 1, "{}", o.show());
    let bad = bad_types(&o);
    assert!(bad.iter().any(|t| t.contains("poll-skip") || t == "lost-write"), "{bad:?}\n{}", o.show());
    bad.iter().take(2).for_each(|t| assert_pictured(&o, t));
}
