//! The HTML report from hand-made run files: data loading, timeline, pages and the index.

use super::data::{parse_event, Messages, RunData};
use super::timeline::{partitions, points};
use super::*;
use crate::core::history::{Event, History, Kind};
use serde_json::json;
use std::time::Duration;

fn op(h: &mut History, process: u64, f: &str, start_ms: u64, latency_ms: u64, kind: Kind) {
    for (k, t) in [(Kind::Invoke, start_ms), (kind, start_ms + latency_ms)] {
        h.push(Event {
            index: 0,
            kind: k,
            f: f.to_owned(),
            value: json!(1),
            process,
            time: Duration::from_millis(t),
            node: "n0".into(),
            final_op: false,
            error: None,
            exception: None,
        });
    }
}

fn results(nemesis: serde_json::Value) -> serde_json::Value {
    json!({"valid?": true, "glomers": {"nemesis": nemesis, "seed": 7}, "net": {"servers": {"msgs-per-op": 0.0}}})
}

#[test]
fn partitions_pair_starts_with_heals_and_close_at_the_end() {
    let r = results(json!([
        {"time": 1_000_000_000u64, "action": "start-partition majority: n0 drops n1"},
        {"time": 2_500_000_000u64, "action": "stop-partition"},
        {"time": 4_000_000_000u64, "action": "start-partition one: n1 drops n0"},
    ]));
    let p = partitions(&r, 9.0);
    assert_eq!(p.len(), 2);
    assert_eq!((p[0].start_s, p[0].end_s, p[0].what.as_str()), (1.0, 2.5, "majority: n0 drops n1"));
    assert_eq!((p[1].start_s, p[1].end_s), (4.0, 9.0));
}

#[test]
fn kills_and_pauses_are_intervals_beside_partitions() {
    let r = results(json!([
        {"time": 1_000_000_000u64, "action": "kill n1 n2"},
        {"time": 1_500_000_000u64, "action": "start-partition one: n0 drops n1"},
        {"time": 2_000_000_000u64, "action": "pause n0"},
        {"time": 3_000_000_000u64, "action": "restart n1 n2"},
        {"time": 4_000_000_000u64, "action": "stop-partition"},
        {"time": 5_000_000_000u64, "action": "kill n3"},
    ]));
    let p = partitions(&r, 9.0);
    let got: Vec<(&str, f64, f64, &str)> =
        p.iter().map(|p| (p.kind, p.start_s, p.end_s, p.what.as_str())).collect();
    assert_eq!(
        got,
        [
            ("kill", 1.0, 3.0, "n1 n2"),
            ("partition", 1.5, 4.0, "one: n0 drops n1"),
            ("pause", 2.0, 9.0, "n0"),
            ("kill", 5.0, 9.0, "n3")
        ]
    );
}

#[test]
fn big_histories_are_downsampled_and_the_plot_says_so() {
    // 20 s at --rate 1000.
    let mut h = History::default();
    for i in 0..20_000u64 {
        let kind = if i % 1000 == 0 { Kind::Info } else { Kind::Ok };
        op(&mut h, i % 10, "read", i, 1 + i % 7, kind);
    }
    let data = RunData {
        results: results(json!([])),
        history: h,
        messages: Messages::default(),
        ..Default::default()
    };
    let page = render(&data);
    let scatter = page.split("data-plot=\"latency-raw\"").nth(1).unwrap_or("");
    assert!(scatter.contains("<b>Downsampled:</b> showing"), "the caption says it is sampled");
    // Every info point survives the sampling: there are 20 of them.
    let all = points(&data.history);
    let (kept, stride) = plots::sample(&all);
    assert_eq!(stride, Some(4), "19,980 oks into 5,980 places");
    assert_eq!(kept.iter().filter(|p| p.outcome == timeline::Outcome::Info).count(), 20);
    assert!(kept.len() <= MAX_POINTS);
    assert!(page.len() < 5 << 20, "the page stays under 5 MB: {} bytes", page.len());
    assert!(page.contains("operations: showing the first"), "the table is cut too");
}

#[test]
fn history_lines_read_back_into_events() {
    let line = json!({"index": 3, "type": "fail", "f": "add", "value": 2, "process": 1, "time": 5_000_000u64,
                      "node": "n1", "final?": true, "error": [30, "no"]});
    let e = parse_event(&line).expect("an event");
    assert_eq!((e.index, e.kind, e.time, e.final_op), (3, Kind::Fail, Duration::from_millis(5), true));
    assert!(parse_event(&json!({"index": 1, "type": "bogus"})).is_none());
    assert!(parse_event(&json!("not an object")).is_none());
}

#[test]
fn values_are_escaped_in_the_history_table() {
    let mut h = History::default();
    op(&mut h, 0, "<script>", 0, 1, Kind::Ok);
    let data = RunData { results: results(json!([])), history: h, ..Default::default() };
    let page = render(&data);
    assert!(!page.contains("<script>"));
    assert!(page.contains("&lt;script&gt;"));
}

#[test]
fn kafka_and_txn_anomalies_name_keys_and_link_operations() {
    let mut h = History::default();
    op(&mut h, 0, "txn", 0, 1, Kind::Ok);
    let txn = json!({"valid?": false, "anomaly-types": ["G1c"],
        "anomalies": {"G1c": [{"cycle": [{"index": 1, "type": "ok", "f": "txn", "value": [["w", 7, 1], ["r", 8, 2]]}]}]}});
    let kafka = json!({"valid?": false, "error-types": ["lost-write"], "bad-error-types": ["lost-write"],
        "lost-write": {"count": 3, "errs": [{"key": "k9", "value": 4}]}});
    let mut r = results(json!([]));
    for (w, keys) in [(txn, "7, 8"), (kafka, "\"k9\"")] {
        r["workload"] = w;
        let data = RunData { results: r.clone(), history: h.clone(), ..Default::default() };
        let page = render(&data);
        let section = page.split("id=\"anomalies\"").nth(1).unwrap_or("");
        assert!(section.contains(&page::esc(keys)), "keys {keys} in {section}");
    }
    r["workload"] = json!({"valid?": false, "anomaly-types": ["G1c"],
        "anomalies": {"G1c": [{"cycle": [{"index": 1, "type": "ok", "f": "txn"}]}]}});
    let page = render(&RunData { results: r, history: h, ..Default::default() });
    assert!(page.contains("<a href=\"#op-0\">op 0</a>"), "the completion links to its operation's row");
}

#[test]
fn axis_labels_are_decades_or_short_numbers() {
    let y = plots::YAxis::log([0.3, 0.9, 40.0].into_iter());
    assert_eq!((y.lo, y.hi), (-1.0, 2.0));
    assert_eq!([-1.0, 0.0, 2.0].map(|v| y.label(v)), ["0.1", "1", "100"]);
    let thin = plots::YAxis::log([0.2, 0.5].into_iter());
    assert!(thin.hi - thin.lo >= 2.0, "at least two decades: {thin:?}");
    let lin = plots::YAxis::linear([1.45].into_iter());
    assert_eq!(lin.label(1.5999999998), "1.6");
    assert_eq!(plots::YAxis::linear([35.0].into_iter()).label(30.000001), "30");
    assert_eq!(lin.at(-3.0), -3.0);
    assert_eq!(y.at(0.0), -1.0, "zero sits on the bottom of a log axis");
}

#[test]
fn the_index_lists_runs_newest_first_and_links_their_reports() {
    let store = std::env::temp_dir().join(format!("glomers-index-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&store);
    for (w, t, valid) in [("echo", "20261125T080000.000", true), ("broadcast", "20261125T090000.000", false)]
    {
        let dir = store.join(w).join(t);
        std::fs::create_dir_all(&dir).unwrap();
        let r = json!({"valid?": valid, "net": {"servers": {"msgs-per-op": 2.5}}});
        std::fs::write(dir.join("results.json"), r.to_string()).unwrap();
    }
    std::fs::write(store.join("broadcast/20261125T090000.000").join(REPORT), "").unwrap();
    std::fs::create_dir_all(store.join("echo/not-a-run")).unwrap();
    let rows = index::runs(&store);
    let order: Vec<(&str, &str)> = rows.iter().map(|r| (r.workload.as_str(), r.verdict.as_str())).collect();
    assert_eq!(order, [("broadcast", "INVALID"), ("echo", "valid")]);
    index::write_index(&store).unwrap();
    let page = std::fs::read_to_string(store.join("index.html")).unwrap();
    assert!(page.contains("<a href=\"broadcast/20261125T090000.000/report.html\">report</a>"));
    assert!(page.contains("<a href=\"echo/20261125T080000.000/\">files</a>"), "no report yet: the folder");
    assert!(page.contains("2026-11-25 09:00:00 UTC") && page.contains("<td class=\"num\">2.50</td>"));
    assert!(!page.contains("challenges.html"), "no challenge table to link yet");
    let row = index::ChallengeRow {
        section: "Gossip Glomers",
        id: "3b".into(),
        name: "Multi-Node Broadcast".into(),
        verdict: "valid".into(),
        msgs_per_op: "2.50".into(),
        latency: "1/2/3 ms".into(),
        availability: "1.0000".into(),
        wall: "25.0 s".into(),
        notes: vec!["target <missed>".into()],
        run: Some(store.join("broadcast/20261125T090000.000")),
    };
    let guide =
        index::ChallengeRow { section: "Maelstrom guide", id: "lin-kv".into(), run: None, ..row.clone() };
    let c = index::challenges_page(&store, &[row, guide]);
    assert!(c.contains("<a href=\"broadcast/20261125T090000.000/report.html\">report</a>"), "{c}");
    let heads: Vec<&str> = c.match_indices("<th colspan=\"9\">").map(|(i, _)| &c[i + 16..i + 31]).collect();
    assert_eq!(heads, ["Gossip Glomers<", "Maelstrom guide"], "each section under its heading");
    assert!(c.contains("target &lt;missed&gt;"));
}

#[test]
fn nonsense_inputs_render_without_panicking() {
    let page = render(&RunData::default());
    assert!(page.contains("<div class=\"verdict unknown\">unknown</div>"));
    assert!(page.contains("No operation completed."));
    let mut h = History::default();
    op(&mut h, 0, "read", 5, 0, Kind::Info);
    // A completion without its invocation, and an invocation never completed.
    h.push(Event { kind: Kind::Ok, process: 9, ..h.events[1].clone() });
    h.push(Event { kind: Kind::Invoke, process: 8, ..h.events[0].clone() });
    let r = json!({"valid?": false, "glomers": {"nemesis": [{"time": "soon", "action": 3}, {"action": "stop-partition"}]},
                   "workload": {"errors": "not a list", "stable-latencies": [1, 2]}, "net": 7});
    let data = RunData {
        results: r,
        history: h,
        meta: Some(json!({"problems": ["value [", "id", "no"]})),
        ..Default::default()
    };
    let page = render(&data);
    assert!(page.contains("never completed"));
    assert!(page.contains("3 problem(s) found"));
}
