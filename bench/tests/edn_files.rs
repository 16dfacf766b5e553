//! Maelstrom's files beside ours (docs/protocol.md §8.1): `results.edn`, `history.edn` and
//! `history.txt` of real runs, read back by our own EDN reader (everything of results.json must
//! come back) and by `edn_format`, a PyPI EDN reader we did not write (skipped, with a message,
//! when Python or the package is missing); and the links and the log Maelstrom's users expect.

mod common;

use common::{bench, control, Outcome};
use glomers_bench::output::edn;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn sim(name: &str, workload: &str, extra: &[&str]) -> Outcome {
    let mut args = vec!["sim", "-w", workload, "--seed", "7", "--time-limit", "3", "--rate", "50"];
    args.extend_from_slice(extra);
    let o = bench(name, &args);
    assert!(o.code == 0 || o.code == 1, "{}", o.show());
    o
}

fn run_dir(o: &Outcome) -> PathBuf {
    o.store.join("latest").canonicalize().expect("store/latest")
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Every run the EDN files are checked on: each workload's shapes of values (micro-operations,
/// maps, tuples), a partitioned run, and an invalid one with named anomalies. Run once, for
/// every test of this file.
fn runs() -> &'static [(&'static str, Outcome)] {
    static RUNS: OnceLock<Vec<(&'static str, Outcome)>> = OnceLock::new();
    RUNS.get_or_init(|| {
        vec![
            (
                "broadcast (partitioned)",
                sim(
                    "edn-broadcast",
                    "broadcast",
                    &["--node-count", "5", "--nemesis", "partition", "--nemesis-interval", "1"],
                ),
            ),
            ("txn-rw-register", sim("edn-txn", "txn-rw-register", &["--node-count", "2"])),
            ("kafka", sim("edn-kafka", "kafka", &["--node-count", "2", "--concurrency", "2n"])),
            ("g-counter", sim("edn-g-counter", "g-counter", &["--node-count", "3"])),
            ("echo", sim("edn-echo", "echo", &["--node-count", "1"])),
            (
                "txn-g0 (invalid)",
                common::test(
                    "edn-txn-g0",
                    "txn-rw-register",
                    &[
                        "--node-count",
                        "1",
                        "--time-limit",
                        "2",
                        "--rate",
                        "200",
                        "--concurrency",
                        "10",
                        "--key-count",
                        "2",
                        "--max-writes-per-key",
                        "1000",
                        "--consistency-models",
                        "read-committed",
                    ],
                    "txn-g0",
                ),
            ),
        ]
    })
}

/// results.json with what results.edn adds (Maelstrom's graph flags) and leaves out
/// (`msgs-per-op` and `bytes-per-op` without operations).
fn as_maelstrom_writes_it(mut results: Value) -> Value {
    results["perf"]["latency-graph"] = json!({"valid?": true});
    results["perf"]["rate-graph"] = json!({"valid?": true});
    if let Some(net) = results["net"].as_object_mut() {
        for group in net.values_mut().filter_map(Value::as_object_mut) {
            for key in ["msgs-per-op", "bytes-per-op"] {
                if group.get(key).is_some_and(Value::is_null) {
                    group.remove(key);
                }
            }
        }
    }
    results
}

/// The paths where `got` and `want` differ, each with both values, so a failure says where.
fn differences(got: &Value, want: &Value, path: &str, out: &mut Vec<String>) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for key in g.keys().chain(w.keys().filter(|k| !g.contains_key(*k))) {
                let (a, b) = (g.get(key).unwrap_or(&Value::Null), w.get(key).unwrap_or(&Value::Null));
                differences(a, b, &format!("{path}.{key}"), out);
            }
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => {
            for (i, (a, b)) in g.iter().zip(w).enumerate() {
                differences(a, b, &format!("{path}[{i}]"), out);
            }
        }
        _ if got != want => out.push(format!("{path}: edn {got} json {want}")),
        _ => {}
    }
}

#[test]
fn the_edn_files_hold_what_the_json_files_hold() {
    for (name, o) in runs() {
        let dir = run_dir(o);
        let results: Value = serde_json::from_str(&read(&dir, "results.json")).expect("results.json");
        let back = edn::parse(&read(&dir, "results.edn")).expect("results.edn reads back");
        let want = as_maelstrom_writes_it(results.clone());
        let mut diff = Vec::new();
        differences(&back, &want, "", &mut diff);
        assert!(diff.is_empty(), "{name}: results.edn differs from results.json at {diff:#?}");
        let jsonl = read(&dir, "history.jsonl");
        let history_edn = read(&dir, "history.edn");
        let txt = read(&dir, "history.txt");
        // Jepsen's history: the nemesis's operations among the clients', every one numbered.
        let ops: Vec<Value> = history_edn.lines().map(|e| edn::parse(e).expect("an EDN op")).collect();
        let (nemesis, client): (Vec<&Value>, Vec<&Value>) =
            ops.iter().partition(|op| op["process"] == "nemesis");
        assert!(ops.iter().enumerate().all(|(i, op)| op["index"] == json!(i)), "{name}: indexes are dense");
        assert_eq!(client.len(), jsonl.lines().count(), "{name}");
        assert_eq!(txt.lines().count(), ops.len(), "{name}");
        for (e, j) in client.into_iter().zip(jsonl.lines()) {
            let (mut e, mut j): (Value, Value) = (e.clone(), serde_json::from_str(j).expect("op"));
            e.as_object_mut().map(|m| m.remove("index"));
            j.as_object_mut().map(|m| m.remove("index"));
            assert_eq!(e, j, "{name}: an operation differs");
        }
        let actions = results["glomers"]["nemesis"].as_array().cloned().unwrap_or_default();
        assert_eq!(nemesis.len(), 2 * actions.len(), "{name}: an invocation and a completion per action");
        for (pair, action) in nemesis.chunks(2).zip(&actions) {
            let what = action["action"].as_str().unwrap_or_default();
            for op in pair {
                assert_eq!(
                    (op["type"].as_str(), &op["time"]),
                    (Some("info"), &action["time"]),
                    "{name}: {op}"
                );
                assert!(what.starts_with(op["f"].as_str().unwrap_or("?")), "{name}: {op} for {what}");
            }
            if let Some(grudge) = pair.get(1).filter(|_| what.starts_with("start-partition")) {
                assert_eq!(grudge["value"][0], "isolated", "{name}: {grudge}");
                for (node, from) in grudge["value"][1].as_object().into_iter().flatten() {
                    let from: Vec<&str> =
                        from.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                    assert!(
                        what.contains(&format!("{node} drops {}", from.join(","))),
                        "{name}: {grudge} for {what}"
                    );
                }
            } else if let Some(healed) = pair.get(1) {
                assert_eq!(healed["value"], "network-healed", "{name}: {healed}");
            }
        }
        if name.contains("partitioned") {
            assert!(!nemesis.is_empty(), "{name}: the partitions are in history.edn");
            let start = txt.lines().find(|l| l.starts_with(":nemesis\t:info\t:start-partition\t"));
            assert!(start.is_some(), "{name}: and in history.txt");
        }
        let first = txt.lines().next().unwrap_or_default();
        assert!(first.starts_with("0\t:invoke\t:") || first.contains("\t:invoke\t:"), "{name}: {first}");
        if name.contains("invalid") {
            assert_eq!(o.code, 1, "{}", o.show());
            let edn = read(&dir, "results.edn");
            // Its write cycles are both ww and wr edges: Elle's G1c, which read-committed forbids.
            assert!(edn.contains(":anomaly-types [") && edn.contains(":G1c"), "{name}: {edn}");
        }
    }
}

#[test]
fn a_python_edn_reader_we_did_not_write_reads_them() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/edn/read_run.py");
    let probe = Command::new("python3").arg("-c").arg("import edn_format").output();
    match probe {
        Err(e) => {
            eprintln!("SKIPPED: python3 cannot run ({e}); the EDN files were not checked by edn_format");
            return;
        }
        Ok(out) if !out.status.success() => {
            eprintln!(
                "SKIPPED: the PyPI package edn_format is missing (pip install --user edn_format); \
                 the EDN files were not checked by it"
            );
            return;
        }
        Ok(_) => {}
    }
    let check = |dir: &Path| {
        let out = Command::new("python3").arg(&script).arg(dir).output().expect("python3 runs");
        let text =
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    };
    for (name, o) in runs() {
        let (ok, text) = check(&run_dir(o));
        assert!(ok, "{name}: {text}");
        eprintln!("{name}: {}", text.trim());
    }
    // The script notices a file that says something else: a count changed, an op's type a string.
    let copy = std::env::temp_dir().join(format!("glomers-edn-tampered-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&copy);
    let dir = run_dir(&runs()[0].1);
    for f in ["results.json", "history.jsonl", "history.edn"] {
        std::fs::copy(dir.join(f), copy.join(f)).expect("copied");
    }
    let results = read(&dir, "results.edn");
    let tampered = results.replacen(":send-count ", ":send-count 1", 1);
    std::fs::write(copy.join("results.edn"), tampered).expect("written");
    let (ok, text) = check(&copy);
    assert!(!ok && text.contains("send-count"), "{text}");
    std::fs::write(copy.join("results.edn"), results).expect("written");
    let history = read(&dir, "history.edn").replacen(":type :invoke", ":type \"invoke\"", 1);
    std::fs::write(copy.join("history.edn"), history).expect("written");
    let (ok, text) = check(&copy);
    assert!(!ok && text.contains("must be keywords"), "{text}");
}

#[test]
fn the_store_links_current_and_the_run_keeps_its_console_log() {
    let o = sim("edn-links", "echo", &["--node-count", "1"]);
    let latest = o.store.join("latest").canonicalize().expect("latest");
    assert_eq!(o.store.join("current").canonicalize().ok(), Some(latest.clone()), "current = latest");
    let log = read(&latest, "jepsen.log");
    assert!(log.starts_with("glomers-bench: sim echo"), "{log}");
    let report = read(&latest, "report.html");
    assert!(report.contains("<a href=\"results.edn\">results.edn</a> · <a href=\"history.edn\">"), "links");
    assert!(log.contains("verdict: valid") && log.contains("msgs-per-op (servers)"), "{log}");
}

#[test]
fn a_crashed_node_shows_its_last_lines_of_stderr_and_the_log_keeps_them() {
    let o = bench(
        "edn-crash",
        &["test", "-w", "echo", "--bin", control(), "--node-count", "1", "--", "exit-early"],
    );
    assert_eq!(o.code, 255, "{}", o.show());
    assert!(
        o.stderr.contains("line(s) it wrote to stderr:\n    glomers-control: exit-early"),
        "{}",
        o.show()
    );
    assert!(
        o.stderr.contains("    glomers-control: exiting early on purpose\nits whole stderr is in "),
        "{}",
        o.show()
    );
    let log = read(&run_dir(&o), "jepsen.log");
    assert!(
        log.contains("the run crashed: node n0 exited") && log.contains("exiting early on purpose"),
        "{log}"
    );
    assert!(run_dir(&o).join("history.edn").is_file(), "a crashed run keeps its history");
    // Before its stderr, what it wrote to stdout: at least its answer to init.
    let out = o.stderr.split("line(s) it wrote to stdout:\n").nth(1).unwrap_or_default();
    assert!(
        out.split("line(s) it wrote to stderr:").next().is_some_and(|s| s.contains("\"init_ok\"")),
        "{}",
        o.show()
    );
}

#[test]
fn a_crashed_node_shows_what_it_wrote_to_stdout_stray_lines_included() {
    // A node that answers init, prints a line that is not a message, and exits 3.
    let dir = std::env::temp_dir().join(format!("glomers-crash-node-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let node = dir.join("node.sh");
    let script = r#"#!/bin/sh
read line
id=$(echo "$line" | sed 's/.*"msg_id":\([0-9]*\).*/\1/')
src=$(echo "$line" | sed 's/.*"src":"\([^"]*\)".*/\1/')
echo "{\"src\":\"n0\",\"dest\":\"$src\",\"body\":{\"type\":\"init_ok\",\"in_reply_to\":$id}}"
echo "about to crash: not a message"
echo "something broke" >&2
sleep 0.5
exit 3
"#;
    std::fs::write(&node, script).expect("written");
    let chmod = Command::new("chmod").arg("+x").arg(&node).status().expect("chmod");
    assert!(chmod.success());
    let bin = node.to_str().expect("utf-8 path");
    let o = bench(
        "edn-crash-stdout",
        &["test", "-w", "echo", "--bin", bin, "--node-count", "1", "--time-limit", "3"],
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(o.code, 255, "{}", o.show());
    assert!(
        o.stderr.contains("the last 2 line(s) it wrote to stdout:\n    {\"src\":\"n0\"")
            && o.stderr.contains("\"init_ok\"")
            && o.stderr.contains("\n    about to crash: not a message\nthe last 1 line(s) it wrote to stderr:\n    something broke\n"),
        "{}",
        o.show()
    );
    let log = read(&run_dir(&o), "jepsen.log");
    assert!(log.contains("about to crash: not a message"), "{log}");
}
