//! The Gossip Glomers challenges (MAELSTROM.md §9): each one's workload, node binary, exact
//! flags, and for 3d/3e the efficiency targets judged on top of the verdict.

use crate::report::Report;
use crate::workloads::Validity;

/// Efficiency targets of 3d/3e.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Targets {
    /// `net.servers.msgs-per-op` must be below this.
    pub msgs_per_op: f64,
    /// Median stable latency must be below this, in ms.
    pub median_ms: u64,
    /// Maximum stable latency must be below this, in ms.
    pub max_ms: u64,
}

/// One challenge.
#[derive(Debug, Clone, Copy)]
pub struct Challenge {
    /// `1`, `3a`, …
    pub id: &'static str,
    /// Its title.
    pub name: &'static str,
    /// Workload name.
    pub workload: &'static str,
    /// Node binary name under `target/release/`.
    pub node: &'static str,
    /// Flag sets; the challenge passes only if every run is valid (6b has two).
    pub runs: &'static [&'static [&'static str]],
    /// Efficiency targets, if any.
    pub targets: Option<Targets>,
}

const BROADCAST_EFFICIENT: &[&str] =
    &["--node-count", "25", "--time-limit", "20", "--rate", "100", "--latency", "100"];
const TXN_6B: &[&str] = &[
    "--node-count",
    "2",
    "--concurrency",
    "2n",
    "--time-limit",
    "20",
    "--rate",
    "1000",
    "--consistency-models",
    "read-uncommitted",
];

/// Every challenge, in order.
pub const ALL: [Challenge; 14] = [
    Challenge {
        id: "1",
        name: "Echo",
        workload: "echo",
        node: "echo",
        runs: &[&["--node-count", "1", "--time-limit", "10"]],
        targets: None,
    },
    Challenge {
        id: "2",
        name: "Unique ID Generation",
        workload: "unique-ids",
        node: "unique-ids",
        runs: &[&[
            "--time-limit",
            "30",
            "--rate",
            "1000",
            "--node-count",
            "3",
            "--availability",
            "total",
            "--nemesis",
            "partition",
        ]],
        targets: None,
    },
    Challenge {
        id: "3a",
        name: "Single-Node Broadcast",
        workload: "broadcast",
        node: "broadcast",
        runs: &[&["--node-count", "1", "--time-limit", "20", "--rate", "10"]],
        targets: None,
    },
    Challenge {
        id: "3b",
        name: "Multi-Node Broadcast",
        workload: "broadcast",
        node: "broadcast",
        runs: &[&["--node-count", "5", "--time-limit", "20", "--rate", "10"]],
        targets: None,
    },
    Challenge {
        id: "3c",
        name: "Fault-Tolerant Broadcast",
        workload: "broadcast",
        node: "broadcast",
        runs: &[&["--node-count", "5", "--time-limit", "20", "--rate", "10", "--nemesis", "partition"]],
        targets: None,
    },
    Challenge {
        id: "3d",
        name: "Efficient Broadcast I",
        workload: "broadcast",
        node: "broadcast",
        runs: &[BROADCAST_EFFICIENT],
        targets: Some(Targets { msgs_per_op: 30.0, median_ms: 400, max_ms: 600 }),
    },
    Challenge {
        id: "3e",
        name: "Efficient Broadcast II",
        workload: "broadcast",
        node: "broadcast",
        runs: &[BROADCAST_EFFICIENT],
        targets: Some(Targets { msgs_per_op: 20.0, median_ms: 1000, max_ms: 2000 }),
    },
    Challenge {
        id: "4",
        name: "Grow-Only Counter",
        workload: "g-counter",
        node: "g-counter",
        runs: &[&["--node-count", "3", "--rate", "100", "--time-limit", "20", "--nemesis", "partition"]],
        targets: None,
    },
    Challenge {
        id: "5a",
        name: "Single-Node Kafka Log",
        workload: "kafka",
        node: "kafka",
        runs: &[&["--node-count", "1", "--concurrency", "2n", "--time-limit", "20", "--rate", "1000"]],
        targets: None,
    },
    Challenge {
        id: "5b",
        name: "Multi-Node Kafka Log",
        workload: "kafka",
        node: "kafka",
        runs: &[&["--node-count", "2", "--concurrency", "2n", "--time-limit", "20", "--rate", "1000"]],
        targets: None,
    },
    Challenge {
        id: "5c",
        name: "Efficient Kafka Log",
        workload: "kafka",
        node: "kafka",
        runs: &[&["--node-count", "2", "--concurrency", "2n", "--time-limit", "20", "--rate", "1000"]],
        targets: None,
    },
    Challenge {
        id: "6a",
        name: "Single-Node Transactions",
        workload: "txn-rw-register",
        node: "txn",
        runs: &[&[
            "--node-count",
            "1",
            "--time-limit",
            "20",
            "--rate",
            "1000",
            "--concurrency",
            "2n",
            "--consistency-models",
            "read-uncommitted",
            "--availability",
            "total",
        ]],
        targets: None,
    },
    Challenge {
        id: "6b",
        name: "Read Uncommitted",
        workload: "txn-rw-register",
        node: "txn",
        runs: &[
            TXN_6B,
            &[
                "--node-count",
                "2",
                "--concurrency",
                "2n",
                "--time-limit",
                "20",
                "--rate",
                "1000",
                "--consistency-models",
                "read-uncommitted",
                "--availability",
                "total",
                "--nemesis",
                "partition",
            ],
        ],
        targets: None,
    },
    Challenge {
        id: "6c",
        name: "Read Committed",
        workload: "txn-rw-register",
        node: "txn",
        runs: &[&[
            "--node-count",
            "2",
            "--concurrency",
            "2n",
            "--time-limit",
            "20",
            "--rate",
            "1000",
            "--consistency-models",
            "read-committed",
            "--availability",
            "total",
            "--nemesis",
            "partition",
        ]],
        targets: None,
    },
];

/// The challenge with this id (case-insensitive).
pub fn find(id: &str) -> Option<&'static Challenge> {
    ALL.iter().find(|c| c.id.eq_ignore_ascii_case(id))
}

/// One line setting a run's figures against the 3d/3e targets, met or not.
pub fn against_targets(t: &Targets, r: &Report) -> String {
    let mark = |ok: bool| if ok { "met" } else { "MISSED" };
    let msgs = match r.msgs_per_op {
        Some(m) => format!("msgs-per-op {m:.2} (target < {}, {})", t.msgs_per_op, mark(m < t.msgs_per_op)),
        None => format!("msgs-per-op n/a (target < {})", t.msgs_per_op),
    };
    match r.stable_latency {
        Some((p50, p99, max)) => format!(
            "{msgs}; median {p50} ms (target < {} ms, {}); p99 {p99} ms; max {max} ms (target < {} ms, {})",
            t.median_ms,
            mark(p50 < t.median_ms),
            t.max_ms,
            mark(max < t.max_ms)
        ),
        None => format!("{msgs}; no stable latency measured"),
    }
}

/// Judges the 3d/3e targets on a valid report: the verdict and each missed target.
pub fn judge_targets(t: &Targets, r: &Report) -> (Validity, Vec<String>) {
    if r.valid != Validity::Valid {
        return (r.valid, Vec::new());
    }
    let mut missed = Vec::new();
    match r.msgs_per_op {
        Some(m) if m < t.msgs_per_op => {}
        m => missed.push(format!(
            "msgs-per-op {} is not below the target {}",
            m.map_or("n/a".into(), |m| format!("{m:.2}")),
            t.msgs_per_op
        )),
    }
    match r.stable_latency {
        Some((p50, _, max)) => {
            if p50 >= t.median_ms {
                missed.push(format!(
                    "median stable latency {p50} ms is not below the target {} ms",
                    t.median_ms
                ));
            }
            if max >= t.max_ms {
                missed
                    .push(format!("maximum stable latency {max} ms is not below the target {} ms", t.max_ms));
            }
        }
        None => missed.push("no stable latency was measured".into()),
    }
    let v = if missed.is_empty() { Validity::Valid } else { Validity::Invalid };
    (v, missed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::path::PathBuf;
    use std::time::Duration;

    fn report(valid: Validity, mpo: f64, lat: (u64, u64, u64)) -> Report {
        Report {
            valid,
            results: Value::Null,
            problems: Vec::new(),
            notices: Vec::new(),
            msgs_per_op: Some(mpo),
            stable_latency: Some(lat),
            availability: 1.0,
            wall: Duration::ZERO,
            dir: PathBuf::new(),
            seed: 0,
            title: String::new(),
            messages: (0, 0),
        }
    }

    #[test]
    fn efficiency_targets_of_3d_and_3e() {
        let t3d = find("3d").and_then(|c| c.targets).expect("3d has targets");
        let t3e = find("3E").and_then(|c| c.targets).expect("3e has targets");
        let good = report(Validity::Valid, 25.0, (350, 500, 550));
        assert_eq!(judge_targets(&t3d, &good), (Validity::Valid, vec![]));
        let (v, why) = judge_targets(&t3e, &good);
        assert_eq!(v, Validity::Invalid);
        assert_eq!(why, vec!["msgs-per-op 25.00 is not below the target 20"]);
        let line = against_targets(&t3e, &good);
        assert!(line.starts_with("msgs-per-op 25.00 (target < 20, MISSED); median"), "{line}");
        assert!(against_targets(&t3d, &good).contains("target < 30, met"));
        let slow = report(Validity::Valid, 10.0, (400, 900, 2000));
        let (_, why) = judge_targets(&t3d, &slow);
        assert_eq!(why.len(), 2, "{why:?}");
        assert_eq!(
            judge_targets(&t3e, &slow).1,
            vec!["maximum stable latency 2000 ms is not below the target 2000 ms"]
        );
        assert_eq!(judge_targets(&t3d, &report(Validity::Invalid, 1.0, (0, 0, 0))).0, Validity::Invalid);
        assert!(find("7").is_none());
    }
}
