//! End-to-end tests: `glomers-bench test` against the `glomers-control` nodes, correct and broken
//! on purpose, asserting the verdict, the exit code and the explanation text.

mod common;

use common::{bench, control, test, Outcome};
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;

#[test]
fn echo_valid_writes_the_store() {
    let o = test("echo", "echo", &["--node-count", "1", "--time-limit", "2", "--log-stderr"], "echo");
    assert_eq!(o.code, 0, "{}", o.show());
    assert!(o.stdout.contains("echo on 1 node(s): verdict: valid"), "{}", o.show());
    assert!(o.stdout.contains("msgs-per-op (servers): 0.00"), "{}", o.show());
    let r = o.results();
    assert_eq!(r["valid?"], true);
    assert_eq!(r["net"]["servers"]["send-count"], 0);
    assert!(r["net"]["clients"]["send-count"].as_u64() > Some(4));
    assert!(r["stats"]["by-f"]["echo"]["ok-count"].as_u64() > Some(1));
    let latest = o.store.join("latest");
    for f in ["history.jsonl", "net-journal.jsonl", "node-logs/n0.log"] {
        assert!(latest.join(f).exists(), "{f} missing");
    }
    // Each message weighs the line its receiver reads: re-made here from the journal by serde_json.
    let journal = std::fs::read_to_string(latest.join("net-journal.jsonl")).unwrap_or_default();
    let weighed: u64 = journal
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["event"] == "send")
        .map(|e| json!({"id": e["id"], "src": e["src"], "dest": e["dest"], "body": e["body"]}))
        .map(|line| line.to_string().len() as u64 + 1)
        .sum();
    assert!(weighed > 100, "{weighed}");
    assert_eq!(r["net"]["all"]["send-bytes"].as_u64(), Some(weighed), "{}", r["net"]);
    assert_eq!(r["net"]["clients"]["send-bytes"].as_u64(), Some(weighed));
    assert_eq!(r["net"]["servers"]["send-bytes"], 0);
    assert!(o.stdout.contains("bytes-per-op (servers): 0\n"), "{}", o.show());
    assert!(o.stderr.contains("] main     ops "), "progress line expected: {}", o.show());
    assert!(o.stderr.contains("[n0] glomers-control: echo"), "--log-stderr copies node stderr: {}", o.show());
    let log = std::fs::read_to_string(latest.join("node-logs/n0.log")).unwrap_or_default();
    // The control names its mode, then the engine logs its lifecycle (init) at the default level.
    assert!(log.starts_with("glomers-control: echo\nn0 info: initialised"), "{log}");
}

#[test]
fn test_count_repeats_valid_runs() {
    let o = test("count", "echo", &["--node-count", "1", "--time-limit", "1", "--test-count", "2"], "echo");
    assert_eq!(o.code, 0, "{}", o.show());
    assert_eq!(o.stdout.matches("verdict: valid").count(), 2, "{}", o.show());
    assert_eq!(o.stderr.matches("glomers-bench: echo on 1 node(s)").count(), 2, "{}", o.show());
}

#[test]
fn echo_wrong_text_is_invalid() {
    let o = test("echo-wrong", "echo", &["--node-count", "1", "--time-limit", "2"], "echo-wrong");
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stdout.contains("verdict: INVALID"), "{}", o.show());
    assert!(o.stdout.contains(r#"n0 replied "something else" to an echo of "Please echo"#), "{}", o.show());
}

#[test]
fn echo_extra_key_is_malformed() {
    let o = test("echo-extra", "echo", &["--node-count", "1", "--time-limit", "2"], "echo-extra");
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(
        o.stdout.contains(r#"malformed-rpc-response: unexpected key(s) ["note"] in echo_ok"#),
        "{}",
        o.show()
    );
    assert_eq!(o.results()["exceptions"]["exceptions"][0]["class"], "malformed-rpc-response");
}

#[test]
fn junk_on_stdout_stops_reading_the_node() {
    let o = test("junk", "echo", &["--node-count", "1", "--time-limit", "1"], "junk");
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stdout.contains("n0 wrote a line that is not a valid protocol message (not a JSON object: debug: got an echo request)"), "{}", o.show());
    assert!(o.stdout.contains("Maelstrom stops reading n0's stdout"), "{}", o.show());
    assert!(
        o.stdout.contains("got no echo back: echo info from n0 at 5.0 s: no reply within 5 s"),
        "{}",
        o.show()
    );
}

#[test]
fn a_reply_to_a_client_that_has_gone_away_is_reported() {
    let o = test("late", "echo", &["--node-count", "1", "--time-limit", "7", "--rate", "2"], "echo-late");
    assert_eq!(o.code, 1, "{}", o.show());
    // Workers' clients come after the init (c0) and setup (c1) clients.
    assert!(o.stdout.contains("n0 sent echo_ok to c2, a client that has gone away"), "{}", o.show());
    assert!(o.stdout.contains("Maelstrom stops reading n0's stdout"), "{}", o.show());
}

#[test]
fn a_node_that_exits_early_crashes_the_run() {
    let o = test("exit-early", "echo", &["--node-count", "1", "--time-limit", "2"], "exit-early");
    assert_eq!(o.code, 255, "{}", o.show());
    assert!(o.stderr.contains("the run crashed: node n0 exited (exit status: 3)"), "{}", o.show());
}

#[test]
fn a_node_that_never_answers_init_crashes_the_run() {
    let o = test("silent", "echo", &["--node-count", "2", "--time-limit", "1"], "silent");
    assert_eq!(o.code, 255, "{}", o.show());
    assert!(o.stderr.contains("node n0 never answered init within 10 s"), "{}", o.show());
}

#[test]
fn bad_arguments_exit_254_with_a_reason() {
    let plain = std::env::temp_dir().join(format!("glomers-not-executable-{}", std::process::id()));
    std::fs::write(&plain, "#!/bin/sh\n").expect("temp file");
    let plain = plain.to_string_lossy().into_owned();
    let cases: [(&[&str], &str); 8] = [
        (&["test", "-w", "echo", "--bin", "/no/such/node"], "node binary /no/such/node not found"),
        (&["test", "-w", "echo", "--bin", &plain], "is not executable"),
        (&["test", "-w", "txn-list-apend", "--bin", control()], "invalid value 'txn-list-apend'"),
        (
            &["test", "-w", "echo", "--bin", control(), "--latency-dist", "exponential"],
            "needs --latency above 0",
        ),
        (&["test", "-w", "echo", "--bin", control(), "--concurrency", "x"], "--concurrency must be"),
        (&["test", "-w", "echo", "--bin", control(), "--nemesis", "kill,crash"], "got \"crash\""),
        (&["test", "-w", "echo", "--bin", control(), "--nemesis", "pause,pause"], "names pause twice"),
        (&["sim", "-w", "echo", "--nemesis", "kill", "--one-way"], "need --nemesis partition"),
    ];
    for (args, want) in cases {
        let o = bench("args", args);
        assert_eq!(o.code, 254, "{args:?}: {}", o.show());
        assert!(o.stderr.contains(want), "{args:?}: {}", o.show());
    }
    assert_eq!(bench("args", &["test", "--bogus"]).code, 254);
}

#[test]
fn unique_ids_total_availability_under_partitions() {
    let flags = [
        "--node-count",
        "3",
        "--time-limit",
        "3",
        "--rate",
        "300",
        "--availability",
        "total",
        "--nemesis",
        "partition",
        "--nemesis-interval",
        "1",
    ];
    let o = test("unique-ids", "unique-ids", &flags, "unique-ids");
    assert_eq!(o.code, 0, "{}", o.show());
    assert!(o.stdout.contains("availability: 1.0000"), "{}", o.show());
    let r = o.results();
    assert!(r["workload"]["acknowledged-count"].as_u64() > Some(300), "{r}");
    assert!(r["glomers"]["nemesis"].as_array().is_some_and(|a| !a.is_empty()), "{r}");
}

#[test]
fn colliding_unique_ids_are_reported() {
    let o = test(
        "collide",
        "unique-ids",
        &["--node-count", "3", "--time-limit", "2", "--rate", "50"],
        "unique-ids-collide",
    );
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stdout.contains("id 1 was generated 3 times: by n"), "{}", o.show());
}

#[test]
fn seeds_reproduce_the_nemesis_schedule() {
    let flags = [
        "--node-count",
        "5",
        "--time-limit",
        "2",
        "--rate",
        "20",
        "--nemesis",
        "partition",
        "--nemesis-interval",
        "0.3",
        "--seed",
        "42",
    ];
    let actions = |o: &Outcome| -> Vec<Value> {
        o.results()["glomers"]["nemesis"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| a["action"].clone())
            .collect()
    };
    let a = test("seed-a", "unique-ids", &flags, "unique-ids");
    let b = test("seed-b", "unique-ids", &flags, "unique-ids");
    assert!(actions(&a).len() >= 3, "{}", a.show());
    assert_eq!(actions(&a), actions(&b));
}

#[test]
fn broadcast_with_retries_survives_partitions() {
    let flags = [
        "--node-count",
        "5",
        "--time-limit",
        "4",
        "--rate",
        "20",
        "--latency",
        "10",
        "--nemesis",
        "partition",
        "--nemesis-interval",
        "1",
    ];
    let o = test("broadcast", "broadcast", &flags, "broadcast");
    assert_eq!(o.code, 0, "{}", o.show());
    assert!(o.stdout.contains("stable latency p50/p99/max: "), "{}", o.show());
    let r = o.results();
    assert_eq!(r["workload"]["lost-count"], 0);
    assert!(r["net"]["servers"]["msgs-per-op"].as_f64() > Some(1.0), "{r}");
}

#[test]
fn broadcast_without_retries_loses_values_under_partitions() {
    let flags = [
        "--node-count",
        "5",
        "--time-limit",
        "4",
        "--rate",
        "30",
        "--nemesis",
        "partition",
        "--nemesis-interval",
        "0.5",
        "--seed",
        "7",
    ];
    let o = test("broadcast-lossy", "broadcast", &flags, "broadcast-lossy");
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stdout.contains("missing from the final read of n4 at "), "{}", o.show());
    assert!(o.stdout.contains(", acknowledged by n"), "{}", o.show());
    assert!(o.results()["workload"]["lost-count"].as_u64() > Some(0));
}

#[test]
fn g_counter_on_seq_kv_converges() {
    let flags = [
        "--node-count",
        "3",
        "--time-limit",
        "3",
        "--rate",
        "100",
        "--latency",
        "5",
        "--nemesis",
        "partition",
        "--nemesis-interval",
        "1",
    ];
    let o = test("g-counter", "g-counter", &flags, "g-counter");
    assert_eq!(o.code, 0, "{}", o.show());
    let r = o.results();
    // Every add and read goes through seq-kv, so servers traffic is not zero.
    assert!(r["net"]["servers"]["msgs-per-op"].as_f64() > Some(1.0), "{r}");
    assert_eq!(r["workload"]["final-reads"].as_array().map(Vec::len), Some(3));
}

#[test]
fn g_counter_that_misses_an_add_is_invalid() {
    let o = test(
        "g-counter-miss",
        "g-counter",
        &["--node-count", "1", "--time-limit", "2", "--rate", "50"],
        "g-counter-miss",
    );
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stdout.contains("final read of n0 at "), "{}", o.show());
    assert!(o.stdout.contains("but the only acceptable value is "), "{}", o.show());
}

#[test]
fn challenges_table_marks_missing_binaries() {
    let empty = std::env::temp_dir().join(format!("glomers-no-bins-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&empty);
    let o = bench("table", &["challenges", "--bin-dir", &empty.to_string_lossy()]);
    assert_eq!(o.code, 0, "{}", o.show());
    assert!(o.stdout.contains("3d              Efficient Broadcast I"), "{}", o.show());
    assert!(
        o.stdout.lines().next().is_some_and(|l| l.contains(" msgs-per-op bytes-per-op ")),
        "{}",
        o.show()
    );
    // The guide's rows follow the challenges, under their own heading.
    let (glomers, guide) = o.stdout.split_once("-- Maelstrom guide\n").expect("the guide's heading");
    assert!(glomers.contains("-- Gossip Glomers\n") && glomers.contains("6c "), "{}", o.show());
    assert!(guide.starts_with("lin-kv          Raft: linearizable kv"), "{}", o.show());
    assert!(guide.contains("\ntxn-list-append Datomic: list-append txns"), "{}", o.show());
    // Every row's workload is supported, and no binary is built here.
    assert_eq!(o.stdout.matches("not built").count(), 18, "{}", o.show());
    assert_eq!(o.stdout.matches("not supported yet").count(), 0, "{}", o.show());
}

#[test]
fn challenge_one_passes_with_the_control_echo() {
    // `challenge` gives the node no arguments and the control needs its mode: a script adds it.
    let script = std::env::temp_dir().join(format!("glomers-control-echo-{}", std::process::id()));
    std::fs::write(&script, format!("#!/bin/sh\nexec '{}' echo\n", control())).expect("temp file");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let o = bench("challenge-1", &["challenge", "1", "--bin", &script.to_string_lossy()]);
    assert_eq!(o.code, 0, "{}", o.show());
    assert!(o.stdout.contains("challenge 1: valid"), "{}", o.show());
    assert!(o.store.join("echo").exists(), "{}", o.show());
}

#[test]
fn a_g_set_that_toggles_on_a_repeated_add_is_invalid_in_process_mode() {
    let flags = ["--node-count", "3", "--time-limit", "3", "--rate", "50", "--repeat-adds", "0.3"];
    let o = test("g-set-toggle", "g-set", &flags, "g-set-toggle");
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stdout.contains("g-set on 3 node(s): verdict: INVALID"), "{}", o.show());
    assert!(o.stdout.contains("missing from the final read"), "{}", o.show());
    assert!(o.results()["workload"]["lost-count"].as_u64() > Some(0), "{}", o.show());
}

#[test]
fn a_stuck_broadcast_is_valid_with_its_weak_points_named_and_invalid_under_strict() {
    let flags = ["--node-count", "5", "--time-limit", "2", "--rate", "20", "--seed", "3"];
    let o = test("stuck", "broadcast", &flags, "broadcast-stuck");
    assert_eq!(o.code, 0, "Maelstrom's verdict is kept: {}", o.show());
    assert!(
        o.stdout.contains("the verdict rests on little (--strict would fail this run):\n  - "),
        "{}",
        o.show()
    );
    assert!(o.stdout.contains("values were never seen by a successful read"), "{}", o.show());
    assert!(o.stdout.contains("5 of 5 final reads did not succeed"), "{}", o.show());
    let r = o.results();
    assert_eq!((r["valid?"].clone(), r["evidence"]["valid?"].clone()), (json!(true), json!(true)));
    let names: Vec<&str> = r["evidence"]["weak-points"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w["name"].as_str())
        .collect();
    assert!(names.contains(&"never-read") && names.contains(&"final-reads-failed"), "{names:?}");
    let report = std::fs::read_to_string(o.store.join("latest/report.html")).unwrap_or_default();
    assert!(report.contains("rests on little") && report.contains("final reads did not succeed"));
    // Judged again strictly, the stored run is not valid, and `check` says why.
    let out = std::process::Command::new(common::BENCH)
        .args(["check", "--strict"])
        .arg(o.store.join("latest"))
        .output()
        .expect("glomers-bench runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("  - verdict: valid -> INVALID\n"), "{text}");
    assert!(text.contains("  - evidence: strict? false -> true, valid? true -> false\n"), "{text}");
    assert!(text.contains("  - new problem: --strict: the verdict rests on little (never-read): "), "{text}");

    let strict: Vec<&str> = flags.iter().copied().chain(["--strict"]).collect();
    let o = test("stuck-strict", "broadcast", &strict, "broadcast-stuck");
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(
        o.stdout.contains("why:\n  - --strict: the verdict rests on little (never-read): "),
        "{}",
        o.show()
    );
    assert!(
        o.stdout.contains("  - --strict: the verdict rests on little (final-reads-failed): 5 of 5"),
        "{}",
        o.show()
    );
    let r = o.results();
    assert_eq!((r["valid?"].clone(), r["evidence"]["valid?"].clone()), (json!(false), json!(false)));
    assert_eq!(
        (r["workload"]["valid?"].clone(), r["evidence"]["strict?"].clone()),
        (json!(true), json!(true))
    );
}
