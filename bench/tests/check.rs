//! `glomers-bench check DIR` (Maelstrom's `analyze`): a stored run judged again from its history
//! and run.json, its results and report rewritten, what changed printed; a directory that is not
//! a run is refused with exit 254.

mod common;

use common::{bench, Outcome, BENCH};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn check(args: &[&str]) -> Outcome {
    let out = Command::new(BENCH).arg("check").args(args).output().expect("glomers-bench runs");
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        store: PathBuf::new(),
    }
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_default()).unwrap_or(Value::Null)
}

/// A valid 3-node broadcast run in the simulator; its run directory.
fn broadcast_run(name: &str) -> PathBuf {
    let o = bench(
        name,
        &["sim", "-w", "broadcast", "--node-count", "3", "--time-limit", "3", "--rate", "20", "--seed", "5"],
    );
    assert_eq!(o.code, 0, "{}", o.show());
    o.store.join("latest").canonicalize().expect("latest")
}

#[test]
fn a_stored_run_is_judged_again_and_what_changed_is_printed() {
    let dir = broadcast_run("check-again");
    let dir_s = dir.to_str().expect("utf-8 path");
    let o = check(&[dir_s]);
    assert_eq!(o.code, 0, "{}", o.show());
    assert!(o.stdout.contains("judged again: verdict valid, nothing changed"), "{}", o.show());

    // As if an older checker had judged it otherwise and had no `evidence` section.
    let mut old = json(&dir.join("results.json"));
    old["workload"]["valid?"] = Value::Bool(false);
    old["valid?"] = Value::Bool(false);
    old.as_object_mut().map(|m| m.remove("evidence"));
    std::fs::write(dir.join("results.json"), old.to_string()).expect("written");
    let o = check(&[dir_s]);
    assert_eq!(o.code, 0, "{}", o.show());
    assert!(o.stdout.contains("  - verdict: INVALID -> valid\n"), "{}", o.show());
    assert!(o.stdout.contains("  - workload: valid? false -> true\n"), "{}", o.show());
    assert!(o.stdout.contains("  - evidence: new section\n"), "{}", o.show());
    assert_eq!(json(&dir.join("results.json"))["valid?"], true, "results.json rewritten");
    let edn = std::fs::read_to_string(dir.join("results.edn")).unwrap_or_default();
    assert!(edn.contains(":evidence {"), "results.edn rewritten");

    // A history in which the last final read misses a value: judged again, the value is lost.
    let history = std::fs::read_to_string(dir.join("history.jsonl")).expect("history");
    let mut lines: Vec<Value> = history.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let acknowledged: Vec<Value> = lines
        .iter()
        .filter(|e| e["f"] == "broadcast" && e["type"] == "ok")
        .map(|e| e["value"].clone())
        .collect();
    let last_read = lines.iter().rposition(|e| e["f"] == "read" && e["type"] == "ok").expect("a read");
    let read = lines[last_read]["value"].as_array_mut().expect("a read's values");
    let at = read.iter().position(|v| acknowledged.contains(v)).expect("an acknowledged value read");
    let dropped = read.remove(at);
    let text: String = lines.iter().map(|e| e.to_string() + "\n").collect();
    std::fs::write(dir.join("history.jsonl"), text).expect("written");
    let o = check(&[dir_s]);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stdout.contains("  - verdict: valid -> INVALID\n"), "{}", o.show());
    assert!(
        o.stdout.contains(&format!("  - new problem: value {dropped}, acknowledged by ")),
        "{}",
        o.show()
    );
    let meta = json(&dir.join("run.json"));
    assert!(meta["problems"][0].as_str().is_some_and(|p| p.starts_with(&format!("value {dropped}"))));
    let report = std::fs::read_to_string(dir.join("report.html")).unwrap_or_default();
    assert!(report.contains(&format!("value {dropped}, acknowledged by ")), "the report is rendered again");
}

#[test]
fn run_json_records_every_flag_a_verdict_depends_on() {
    let flags =
        ["sim", "-w", "g-set", "--node-count", "2", "--time-limit", "2", "--rate", "20", "--seed", "3"];
    let o = bench(
        "check-flags",
        &[&flags[..], &["--repeat-adds", "0.5", "--checker-budget-ms", "1234"]].concat(),
    );
    assert_eq!(o.code, 0, "{}", o.show());
    let dir = o.store.join("latest").canonicalize().expect("latest");
    let meta = json(&dir.join("run.json"));
    assert_eq!(
        (meta["repeat-adds"].as_f64(), meta["checker-budget-ms"].as_u64()),
        (Some(0.5), Some(1234)),
        "{meta}"
    );
    let again = check(&[dir.to_str().expect("utf-8 path")]);
    assert_eq!(again.code, 0, "{}", again.show());
    assert!(again.stdout.contains("nothing changed"), "{}", again.show());
}

#[test]
fn what_is_not_a_run_directory_is_refused_with_exit_254() {
    let o = check(&["/nonexistent/run"]);
    assert_eq!(o.code, 254, "{}", o.show());
    assert!(
        o.stderr.contains("/nonexistent/run is not a run directory: it has no history.jsonl"),
        "{}",
        o.show()
    );
    let dir = std::env::temp_dir().join(format!("glomers-check-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("history.jsonl"), "").expect("written");
    let o = check(&[dir.to_str().expect("utf-8")]);
    assert!(o.code == 254 && o.stderr.contains("it has no run.json"), "{}", o.show());
    std::fs::write(dir.join("run.json"), "{\"workload\": \"raft\"}").expect("written");
    let o = check(&[dir.to_str().expect("utf-8")]);
    assert!(
        o.code == 254 && o.stderr.contains("workload \"raft\" is not one this bench judges"),
        "{}",
        o.show()
    );
    std::fs::write(dir.join("run.json"), "not json").expect("written");
    let o = check(&[dir.to_str().expect("utf-8")]);
    assert!(o.code == 254 && o.stderr.contains("run.json: not JSON"), "{}", o.show());
    let o = check(&[]);
    assert_eq!(o.code, 254, "no DIR: {}", o.show());
}
