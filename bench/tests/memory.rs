//! The bench's memory stays bounded whatever a node does: `fixtures/flood-node.sh` answers init
//! and then floods the network with valid messages as fast as `yes` can write them, one node
//! never reading its stdin. Routing must slow the nodes down through their pipes instead of
//! queueing their output in the bench.

mod common;

use common::BENCH;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The peak resident set (`VmHWM`) of a live process, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A flood from 5 nodes for 10 s: long enough that an unbounded queue shows (before the bounds,
/// the same run reached several GB within seconds), short enough for the test suite; the
/// journal of millions of messages is deleted at the end.
#[test]
fn a_flooding_node_keeps_the_bench_under_200_mb() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/flood-node.sh");
    let store = std::env::temp_dir().join(format!("glomers-bench-memory-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&store);
    let mut child = Command::new(BENCH)
        .args(["test", "-w", "echo", "--node-count", "5", "--time-limit", "10", "--rate", "0", "--bin"])
        .arg(&fixture)
        .arg("--store")
        .arg(&store)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("glomers-bench runs");
    let mut peak = 0;
    let status = loop {
        // VmHWM only grows, so sampling it until the end sees the true peak.
        peak = peak.max(peak_rss_kib(child.id()).unwrap_or(0));
        if let Some(status) = child.try_wait().expect("waiting for glomers-bench") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::io::read_to_string(child.stdout.take().expect("piped stdout")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&store);
    assert!(status.success(), "{stdout}");
    let routed: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("messages: ")?.split(' ').next()?.parse().ok())
        .unwrap_or(0);
    assert!(routed > 100_000, "the nodes did flood: {stdout}");
    assert!(peak > 0 && peak < 200 * 1024, "peak RSS {peak} KiB for {routed} messages routed");
}
