//! The Gossip Glomers challenges (MAELSTROM.md §9): each one's workload, node binary, exact
//! flags, and for 3d/3e and 5c the efficiency targets judged on top of the verdict.

use crate::core::checkers::verdict::{Quantiles, Validity};
use crate::output::verdict::Report;

/// Efficiency targets of 3d/3e (the challenge pages') and 5c (ours: 5c only asks for fewer
/// messages and lower latency than 5b).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Targets {
    /// `net.servers.msgs-per-op` must be below this (or equal, when `msgs_inclusive`).
    pub msgs_per_op: f64,
    /// Whether `msgs_per_op` itself meets the target.
    pub msgs_inclusive: bool,
    /// The latency target.
    pub latency: LatencyTarget,
}

/// What latency a challenge asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LatencyTarget {
    /// Broadcast: median and maximum stable latency below these, in ms.
    Stable {
        /// Median bound.
        median_ms: u64,
        /// Maximum bound.
        max_ms: u64,
    },
    /// The p99 latency of `ok` operations `f` at most `ms` (from `perf.latency`).
    OpP99 {
        /// The operation.
        f: &'static str,
        /// The bound in ms.
        ms: f64,
    },
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
        targets: Some(Targets {
            msgs_per_op: 30.0,
            msgs_inclusive: false,
            latency: LatencyTarget::Stable { median_ms: 400, max_ms: 600 },
        }),
    },
    Challenge {
        id: "3e",
        name: "Efficient Broadcast II",
        workload: "broadcast",
        node: "broadcast",
        runs: &[BROADCAST_EFFICIENT],
        targets: Some(Targets {
            msgs_per_op: 20.0,
            msgs_inclusive: false,
            latency: LatencyTarget::Stable { median_ms: 1000, max_ms: 2000 },
        }),
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
        targets: Some(Targets {
            msgs_per_op: 1.0,
            msgs_inclusive: true,
            latency: LatencyTarget::OpP99 { f: "send", ms: 5.0 },
        }),
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

/// The operation whose latency the challenge table shows for a workload without stable
/// latencies.
pub fn headline_op(workload: &str) -> &'static str {
    match workload {
        "echo" => "echo",
        "unique-ids" => "generate",
        "g-counter" => "add",
        "kafka" => "send",
        _ => "txn",
    }
}

/// The challenge with this id (case-insensitive).
pub fn find(id: &str) -> Option<&'static Challenge> {
    ALL.iter().find(|c| c.id.eq_ignore_ascii_case(id))
}

/// Each target with the run's figure and whether it is met, e.g.
/// `("msgs-per-op 2.30 (target < 30)", true)`.
fn target_lines(t: &Targets, r: &Report) -> Vec<(String, bool)> {
    let mut lines = Vec::new();
    let (sign, meets): (&str, fn(f64, f64) -> bool) =
        if t.msgs_inclusive { ("≤", |a, b| a <= b) } else { ("<", |a, b| a < b) };
    lines.push(match r.msgs_per_op {
        Some(m) => (format!("msgs-per-op {m:.2} (target {sign} {})", t.msgs_per_op), meets(m, t.msgs_per_op)),
        None => (format!("msgs-per-op n/a (target {sign} {})", t.msgs_per_op), false),
    });
    match t.latency {
        LatencyTarget::Stable { median_ms, max_ms } => match r.stable_latency {
            Some(Quantiles { p50, p99, max }) => {
                lines.push((
                    format!("median stable latency {p50} ms (target < {median_ms} ms)"),
                    p50 < median_ms,
                ));
                lines.push((
                    format!("maximum stable latency {max} ms (target < {max_ms} ms; p99 {p99} ms)"),
                    max < max_ms,
                ));
            }
            None => lines.push((
                format!("stable latency n/a (target: median < {median_ms} ms, max < {max_ms} ms)"),
                false,
            )),
        },
        LatencyTarget::OpP99 { f, ms } => match r.latency.quantiles(f) {
            Some(Quantiles { p99, .. }) => {
                lines.push((format!("{f} p99 latency {p99:.2} ms (target ≤ {ms} ms)"), p99 <= ms))
            }
            None => lines.push((format!("{f} p99 latency n/a (target ≤ {ms} ms)"), false)),
        },
    }
    lines
}

/// One line setting a run's figures against the targets, met or not.
pub fn against_targets(t: &Targets, r: &Report) -> String {
    let mark = |ok: bool| if ok { "met" } else { "MISSED" };
    target_lines(t, r)
        .iter()
        .map(|(line, ok)| format!("{line}: {}", mark(*ok)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The verdict of the targets on a valid report, and each missed target.
pub fn targets_verdict(t: &Targets, r: &Report) -> (Validity, Vec<String>) {
    if r.valid != Validity::Valid {
        return (r.valid, Vec::new());
    }
    let missed: Vec<String> = target_lines(t, r)
        .into_iter()
        .filter(|(_, ok)| !ok)
        .map(|(line, _)| format!("{line} is not met"))
        .collect();
    let v = if missed.is_empty() { Validity::Valid } else { Validity::Invalid };
    (v, missed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::checkers::latency::{Latencies, OpLatency};
    use std::path::PathBuf;
    use std::time::Duration;

    fn report(valid: Validity, mpo: f64, (p50, p99, max): (u64, u64, u64)) -> Report {
        Report {
            valid,
            problems: Vec::new(),
            notices: Vec::new(),
            msgs_per_op: Some(mpo),
            stable_latency: Some(Quantiles { p50, p99, max }),
            broadcast: None,
            latency: Latencies::default(),
            anomalies: Vec::new(),
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
        assert_eq!(targets_verdict(&t3d, &good), (Validity::Valid, vec![]));
        let (v, why) = targets_verdict(&t3e, &good);
        assert_eq!(v, Validity::Invalid);
        assert_eq!(why, vec!["msgs-per-op 25.00 (target < 20) is not met"]);
        let line = against_targets(&t3e, &good);
        assert!(line.starts_with("msgs-per-op 25.00 (target < 20): MISSED; median"), "{line}");
        assert!(against_targets(&t3d, &good).contains("(target < 30): met"));
        let slow = report(Validity::Valid, 10.0, (400, 900, 2000));
        let (_, why) = targets_verdict(&t3d, &slow);
        assert_eq!(why.len(), 2, "{why:?}");
        assert_eq!(
            targets_verdict(&t3e, &slow).1,
            vec!["maximum stable latency 2000 ms (target < 2000 ms; p99 900 ms) is not met"]
        );
        assert_eq!(targets_verdict(&t3d, &report(Validity::Invalid, 1.0, (0, 0, 0))).0, Validity::Invalid);
        assert!(find("7").is_none());
    }

    #[test]
    fn kafka_targets_of_5c_read_send_p99_and_allow_equality() {
        let t = find("5c").and_then(|c| c.targets).expect("5c has targets");
        let mut r = report(Validity::Valid, 1.0, (0, 0, 0));
        r.stable_latency = None;
        let send = |p99| OpLatency { count: 1, p50: 0.3, p95: 4.0, p99, max: 9.0 };
        r.latency = Latencies([("send".to_owned(), send(4.2))].into());
        assert_eq!(targets_verdict(&t, &r), (Validity::Valid, vec![]));
        r.latency = Latencies([("send".to_owned(), send(5.5))].into());
        r.msgs_per_op = Some(1.2);
        assert_eq!(
            targets_verdict(&t, &r).1,
            vec![
                "msgs-per-op 1.20 (target ≤ 1) is not met",
                "send p99 latency 5.50 ms (target ≤ 5 ms) is not met"
            ]
        );
        r.latency = Latencies::default();
        assert!(targets_verdict(&t, &r)
            .1
            .iter()
            .any(|w| w == "send p99 latency n/a (target ≤ 5 ms) is not met"));
    }
}
