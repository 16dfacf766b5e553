//! `results.json` pinned: the sections a history decides, for a hand-made history per workload
//! (valid and invalid ones), compared with files written before checker results were typed.
//! Each file holds the sections and the problems; a renamed key or a changed number fails here.

use super::Checks;
use crate::core::checkers::{self, Availability, Criteria, WorkloadResult};
use crate::core::history::build::ev;
use crate::core::history::{
    History,
    Kind::{self, *},
};
use serde_json::{json, Value};

/// Marks the last event as one of the final phase.
fn mark_final(h: &mut History) {
    if let Some(e) = h.events.last_mut() {
        e.final_op = true;
    }
}

/// Sets the last event's `:error` and exception.
fn set_error(h: &mut History, error: Option<Value>, exception: Option<&str>) {
    if let Some(e) = h.events.last_mut() {
        e.error = error;
        e.exception = exception.map(String::from);
    }
}

/// An operation of process `p` invoked at `ms` milliseconds, completed `dur` later.
fn op(h: &mut History, p: u64, f: &str, inv: Value, kind: Kind, done: Value, (ms, dur): (u64, u64)) {
    ev(h, Invoke, p, f, inv, ms);
    ev(h, kind, p, f, done, ms + dur);
}

/// Each pinned history, by the name of its file.
fn histories() -> Vec<(&'static str, History)> {
    let mut out = Vec::new();
    // echo: one good, one wrong echo, one timeout, one malformed reply
    let mut h = History::default();
    op(&mut h, 0, "echo", json!("Please echo 1"), Ok, json!("Please echo 1"), (0, 3));
    op(&mut h, 1, "echo", json!("Please echo 2"), Ok, json!("Please echo 3"), (5, 4));
    op(&mut h, 0, "echo", json!("Please echo 4"), Info, json!(null), (10, 5000));
    set_error(&mut h, Some(json!("net-timeout")), None);
    op(&mut h, 1, "echo", json!("Please echo 5"), Info, json!(null), (20, 7));
    set_error(&mut h, None, Some("malformed-rpc-response: echo must be present"));
    out.push(("echo", h));
    // unique-ids: valid
    let mut h = History::default();
    for (i, id) in [json!(1), json!(7), json!(3)].into_iter().enumerate() {
        op(&mut h, i as u64, "generate", json!(null), Ok, id, (10 * i as u64, 2 + i as u64));
    }
    op(&mut h, 0, "generate", json!(null), Fail, json!(null), (50, 2));
    set_error(&mut h, Some(json!(["temporarily-unavailable", "busy"])), None);
    out.push(("unique-ids", h.clone()));
    op(&mut h, 1, "generate", json!(null), Ok, json!(7), (60, 1));
    out.push(("unique-ids-duplicate", h));
    // broadcast: stable, lost, never read
    let mut h = History::default();
    op(&mut h, 0, "broadcast", json!(0), Ok, json!(0), (0, 10));
    op(&mut h, 0, "broadcast", json!(1), Ok, json!(1), (20, 5));
    op(&mut h, 2, "broadcast", json!(2), Info, json!(2), (30, 5000));
    set_error(&mut h, Some(json!("net-timeout")), None);
    op(&mut h, 1, "read", json!(null), Ok, json!([]), (100, 10));
    op(&mut h, 1, "read", json!(null), Ok, json!([0, 1]), (500, 10));
    ev(&mut h, Invoke, 1, "read", json!(null), 4000);
    mark_final(&mut h);
    ev(&mut h, Ok, 1, "read", json!([0]), 4010);
    mark_final(&mut h);
    out.push(("broadcast-lost", h));
    let mut h = History::default();
    op(&mut h, 0, "broadcast", json!(0), Ok, json!(0), (0, 10));
    op(&mut h, 1, "read", json!(null), Ok, json!([]), (100, 10));
    op(&mut h, 0, "broadcast", json!(5), Ok, json!(5), (120, 10));
    ev(&mut h, Invoke, 1, "read", json!(null), 4000);
    mark_final(&mut h);
    ev(&mut h, Ok, 1, "read", json!([0, 5]), 4010);
    mark_final(&mut h);
    out.push(("broadcast-valid", h));
    // g-counter
    let mut h = History::default();
    op(&mut h, 0, "add", json!(3), Ok, json!(3), (0, 1));
    op(&mut h, 1, "add", json!(2), Info, json!(null), (2, 5000));
    set_error(&mut h, Some(json!(["crash", "boom"])), Some("error [\"crash\",\"boom\"]"));
    op(&mut h, 2, "read", json!(null), Ok, json!(3), (3, 4));
    for (p, v) in [(0, 3), (3, 9), (4, 8)] {
        ev(&mut h, Invoke, p, "read", json!(null), 20000);
        mark_final(&mut h);
        ev(&mut h, Ok, p, "read", json!(v), 20001);
        mark_final(&mut h);
    }
    out.push(("g-counter", h));
    // kafka: a lost write, an assign, a crash, an indeterminate send
    let mut h = History::default();
    let mut ms = 0;
    let mut k = |h: &mut History, p: u64, f: &str, inv: Value, kind: Kind, done: Value| {
        op(h, p, f, inv, kind, done, (ms, 1));
        ms += 10;
    };
    k(&mut h, 0, "assign", json!([3, 5]), Ok, json!([3, 5]));
    k(&mut h, 0, "send", json!([["send", 3, 1]]), Ok, json!([["send", 3, [0, 1]]]));
    k(&mut h, 1, "send", json!([["send", 3, 2]]), Ok, json!([["send", 3, [1, 2]]]));
    k(&mut h, 1, "send", json!([["send", 5, 9]]), Info, json!([["send", 5, 9]]));
    set_error(&mut h, Some(json!("net-timeout")), None);
    k(&mut h, 1, "send", json!([["send", 3, 3]]), Ok, json!([["send", 3, [2, 3]]]));
    k(&mut h, 2, "poll", json!([["poll"]]), Ok, json!([["poll", {"3": [[0, 1], [2, 3]]}]]));
    k(&mut h, 2, "crash", Value::Null, Info, Value::Null);
    k(&mut h, 0, "poll", json!([["poll"]]), Ok, json!([["poll", {"3": [[0, 1]], "5": []}]]));
    out.push(("kafka", h));
    // txn: lost update under serializable
    let mut h = History::default();
    let t = |h: &mut History, p: u64, kind: Kind, mops: Value, start: u64| {
        let invoked: Vec<Value> = mops
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| if m[0] == "r" { json!(["r", m[1], null]) } else { m.clone() })
            .collect();
        ev(h, Invoke, p, "txn", Value::Array(invoked.clone()), start);
        let value = if kind == Ok { mops } else { Value::Array(invoked) };
        ev(h, kind, p, "txn", value, start + 5);
    };
    t(&mut h, 0, Ok, json!([["w", 100, 1]]), 0);
    t(&mut h, 1, Ok, json!([["r", 100, 1], ["w", 100, 2]]), 10);
    t(&mut h, 2, Ok, json!([["r", 100, 2]]), 20);
    t(&mut h, 0, Ok, json!([["r", 1, null], ["w", 1, 1]]), 30);
    t(&mut h, 1, Ok, json!([["r", 1, null], ["w", 1, 2]]), 40);
    t(&mut h, 2, Info, json!([["w", 2, 1]]), 50);
    out.push(("txn-rw-register", h.clone()));
    out.push(("txn-rw-register-bad-models", h.clone()));
    out.push(("txn-rw-register-valid", {
        let mut h = History::default();
        t(&mut h, 0, Ok, json!([["w", 100, 1]]), 0);
        t(&mut h, 1, Ok, json!([["r", 100, 1], ["w", 100, 2]]), 10);
        t(&mut h, 2, Ok, json!([["r", 100, 2]]), 20);
        h
    }));
    out
}

/// The checks of a pinned history, by the name of its file.
fn checks(name: &str, h: &History) -> Checks {
    let workload = match name {
        "echo" => checkers::echo::check(h).map(WorkloadResult::Echo),
        n if n.starts_with("unique-ids") => checkers::unique_ids::check(h).map(WorkloadResult::UniqueIds),
        n if n.starts_with("broadcast") => {
            checkers::set_full::check(h, "broadcast").map(WorkloadResult::Broadcast)
        }
        "g-counter" => checkers::g_counter::check(h).map(WorkloadResult::GCounter),
        "kafka" => checkers::kafka::check(h).map(WorkloadResult::Kafka),
        "txn-rw-register-bad-models" => checkers::txn::check(h, "nonsense").map(WorkloadResult::Txn),
        _ => checkers::txn::check(h, "serializable").map(WorkloadResult::Txn),
    };
    Checks::new(workload, h, Criteria { availability: Availability::AtLeast(0.5), strict: false })
}

#[test]
fn sections_of_hand_made_histories_are_unchanged() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/output/verdict/pinned");
    let histories = histories();
    assert_eq!(histories.len(), 10);
    for (name, h) in histories {
        let c = checks(name, &h);
        let got = json!({"results": c.to_results_json(), "problems": c.problems()});
        let text = serde_json::to_string_pretty(&got).expect("serialisable") + "\n";
        let path = dir.join(format!("{name}.json"));
        if std::env::var_os("GOLDEN_UPDATE").is_some() {
            std::fs::write(&path, &text).expect("pinned file written");
        }
        let want = std::fs::read_to_string(path).expect("pinned file");
        assert!(text == want, "{name}: the sections changed:\n{text}");
    }
}

#[test]
fn the_pinned_histories_are_valid_and_invalid_as_meant() {
    use crate::core::checkers::verdict::Validity::{Invalid, Unknown, Valid};
    let want = [
        ("echo", Invalid),
        ("unique-ids", Valid),
        ("unique-ids-duplicate", Invalid),
        ("broadcast-lost", Invalid),
        ("broadcast-valid", Valid),
        ("g-counter", Invalid),
        ("kafka", Invalid),
        ("txn-rw-register", Invalid),
        ("txn-rw-register-bad-models", Unknown),
        ("txn-rw-register-valid", Valid),
    ];
    for ((name, h), (want_name, valid)) in histories().into_iter().zip(want) {
        assert_eq!(name, want_name);
        assert_eq!(checks(name, &h).workload.valid, valid, "{name}");
    }
}

/// The console summary of a broadcast run, every line the typed figures feed: the same text as
/// before checker results were typed.
#[test]
fn summary_of_a_broadcast_run() {
    use super::{summary, Report, Results, RunFacts, TimeBase};
    use glomers_harness::net::{Counts, NetStats};
    use std::time::Duration;
    let (name, h) = histories().into_iter().nth(3).expect("broadcast-lost");
    assert_eq!(name, "broadcast-lost");
    let net = NetStats {
        all: Counts { send: 30, recv: 30 },
        clients: Counts { send: 20, recv: 20 },
        servers: Counts { send: 10, recv: 10 },
    };
    let run = RunFacts {
        seed: 7,
        time_base: TimeBase::Wall,
        wall: Duration::from_secs(2),
        nemesis: Vec::new(),
        notices: Vec::new(),
        faults: None,
    };
    let bytes = crate::core::run::SentBytes { all: 3000, clients: 2100, servers: 900 };
    let results = Results { checks: checks(name, &h), net, bytes, invokes: 6, run };
    let report = Report::from_results(&results, "broadcast on 2 node(s)".into(), "x".into());
    let want = "\
broadcast on 2 node(s): verdict: INVALID
msgs-per-op (servers): 1.67
bytes-per-op (servers): 150 (90 per message)
stable latency p50/p99/max: 90/90/90 ms
broadcast values: 3 sent, 1 stable, 1 lost, 1 never read
latency of ok operations: broadcast 5.00/10.00/10.00 ms (p50/p99/max, 2 ok); read 10.00/10.00/10.00 ms (p50/p99/max, 3 ok)
availability: 0.8333
wall time: 2.0 s
messages: 10 between servers, 20 with clients (15/s routed)
seed: 7 (rerun with --seed 7)
results: x
why:
  - value 1, acknowledged by n0 at 0.0 s, missing from the final read of n1 at 4.0 s (last seen in a read of n1 at 0.5 s)
";
    assert_eq!(summary(&report), want);
    let json = results.to_json();
    assert_eq!(json["glomers"], json!({"seed": 7, "wall-time": 2.0, "nemesis": [], "notices": []}));
    assert_eq!(json["net"]["servers"]["msgs-per-op"], json!(10.0 / 6.0));
    assert_eq!(json["net"]["clients"].get("msgs-per-op"), None);
    assert_eq!(json["net"]["servers"]["send-bytes"], json!(900));
    assert_eq!(json["net"]["servers"]["bytes-per-op"], json!(150.0));
    assert_eq!(json["net"]["all"]["bytes-per-op"], json!(500.0));
    assert_eq!(
        (json["net"]["clients"]["send-bytes"].clone(), json["net"]["clients"].get("bytes-per-op")),
        (json!(2100), None)
    );
}

#[test]
fn the_nemesis_log_in_plain_words() {
    let at = |s: u64, a: &str| (std::time::Duration::from_secs(s), a.to_owned());
    let log = [
        at(0, "start-partition one: n0 drops n1"),
        at(1, "kill n1 n2"),
        at(2, "restart n1 n2"),
        at(3, "stop-partition"),
        at(3, "pause n0"),
        at(4, "kill n1"),
        at(5, "resume n0 (final heal)"),
        at(5, "restart n1 (final heal)"),
    ];
    assert_eq!(
        super::report::faults_in_words(&log),
        "1 partition; 2 kills (n1 twice, n2), each node restarted with init; 1 pause (n0)"
    );
    assert_eq!(super::report::faults_in_words(&[]), "");
}
