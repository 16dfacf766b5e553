//! The rows of the challenge table: the Gossip Glomers challenges (docs/protocol.md §9), then the
//! workloads of Maelstrom's own guide (lin-kv, g-set, pn-counter, txn-list-append) with the
//! guide's flags. Each row has its section, workload, node binary, exact flags, and for 3d/3e and
//! 5c the efficiency targets judged on top of the verdict.

use crate::cli::config::RunArgs;
use crate::core::checkers::verdict::{Quantiles, Validity};
use crate::core::workloads::WorkloadKind;
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

/// One run of a challenge: the flags that differ from Maelstrom's defaults, as typed values.
/// Written once here; [`RunSpec::run_args`] gives the workbench's flags and
/// [`RunSpec::to_argv`] the real Maelstrom's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunSpec {
    /// `--node-count`.
    pub node_count: usize,
    /// `--concurrency Kn`: workers per node (`None`: Maelstrom's default, 1n).
    pub workers_per_node: Option<usize>,
    /// `--time-limit`, in seconds.
    pub time_limit_s: u64,
    /// `--rate` (`None`: Maelstrom's default, 5).
    pub rate: Option<u32>,
    /// `--latency`, in ms (`None`: Maelstrom's default, 0).
    pub latency_ms: Option<u64>,
    /// `--consistency-models` (`None`: Maelstrom's default).
    pub consistency_model: Option<&'static str>,
    /// `--availability total`.
    pub total_availability: bool,
    /// `--nemesis partition`.
    pub partitions: bool,
    /// `--nemesis-interval`, in seconds (`None`: Maelstrom's default, 10).
    pub nemesis_interval_s: Option<u64>,
    /// `--repeat-adds` (g-set): glomers-bench's own flag, so the real Maelstrom skips this run
    /// ([`RunSpec::is_bench_only`]).
    pub repeat_adds: Option<f64>,
}

impl RunSpec {
    /// A run on `node_count` nodes for `time_limit_s` seconds, every other flag at its default.
    pub const fn new(node_count: usize, time_limit_s: u64) -> RunSpec {
        RunSpec {
            node_count,
            workers_per_node: None,
            time_limit_s,
            rate: None,
            latency_ms: None,
            consistency_model: None,
            total_availability: false,
            partitions: false,
            nemesis_interval_s: None,
            repeat_adds: None,
        }
    }

    /// Whether the run uses a flag only glomers-bench has, so the real Maelstrom cannot run it.
    pub fn is_bench_only(self) -> bool {
        self.repeat_adds.is_some()
    }

    /// The flags for `maelstrom test`, after `-w` and `--bin` (with `--repeat-adds` for a run
    /// that [is bench-only](Self::is_bench_only)).
    pub fn to_argv(self) -> Vec<String> {
        let mut argv = vec!["--node-count".to_owned(), self.node_count.to_string()];
        let mut flag = |name: &str, value: String| argv.extend([name.to_owned(), value]);
        if let Some(k) = self.workers_per_node {
            flag("--concurrency", format!("{k}n"));
        }
        flag("--time-limit", self.time_limit_s.to_string());
        if let Some(r) = self.rate {
            flag("--rate", r.to_string());
        }
        if let Some(l) = self.latency_ms {
            flag("--latency", l.to_string());
        }
        if let Some(m) = self.consistency_model {
            flag("--consistency-models", m.to_owned());
        }
        if self.total_availability {
            flag("--availability", "total".to_owned());
        }
        if self.partitions {
            flag("--nemesis", "partition".to_owned());
        }
        if let Some(i) = self.nemesis_interval_s {
            flag("--nemesis-interval", i.to_string());
        }
        if let Some(f) = self.repeat_adds {
            flag("--repeat-adds", f.to_string());
        }
        argv
    }

    /// The workbench's flags for this run of `workload`: the defaults of [`RunArgs`] with
    /// this spec's values set.
    pub fn run_args(&self, workload: WorkloadKind) -> RunArgs {
        let mut a = RunArgs::from_flags(&["-w", workload.name()]).expect("-w alone is a valid run");
        a.node_count = Some(self.node_count);
        if let Some(k) = self.workers_per_node {
            a.concurrency = format!("{k}n");
        }
        a.time_limit = self.time_limit_s as f64;
        if let Some(r) = self.rate {
            a.rate = f64::from(r);
        }
        if let Some(l) = self.latency_ms {
            a.latency = l;
        }
        if let Some(m) = self.consistency_model {
            a.consistency_models = m.to_owned();
        }
        if self.total_availability {
            a.availability = Some("total".to_owned());
        }
        if self.partitions {
            a.nemesis = Some("partition".to_owned());
        }
        if let Some(i) = self.nemesis_interval_s {
            a.nemesis_interval = i as f64;
        }
        a.repeat_adds = self.repeat_adds;
        a
    }
}

/// Where a row of the challenge table comes from; the table and its HTML page head each section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// A Gossip Glomers challenge (ids `1` to `6c`).
    GossipGlomers,
    /// A workload of Maelstrom's own guide, with the guide's flags (ids are workload names).
    MaelstromGuide,
}

impl Section {
    /// The section's heading.
    pub fn title(self) -> &'static str {
        match self {
            Section::GossipGlomers => "Gossip Glomers",
            Section::MaelstromGuide => "Maelstrom guide",
        }
    }
}

/// One row of the challenge table: a challenge, or a guide workload.
#[derive(Debug, Clone, Copy)]
pub struct Challenge {
    /// `1`, `3a`, … or, in the guide's section, the workload's name (`lin-kv`).
    pub id: &'static str,
    /// Gossip Glomers or Maelstrom's guide.
    pub section: Section,
    /// Its title.
    pub name: &'static str,
    /// The workload; its default node is the binary under `target/release/`.
    pub workload: WorkloadKind,
    /// The runs; the challenge passes only if every run is valid (6b has two).
    pub runs: &'static [RunSpec],
    /// Efficiency targets, if any.
    pub targets: Option<Targets>,
}

/// 3d and 3e: 25 nodes, 100 ms latency, rate 100.
const BROADCAST_EFFICIENT: RunSpec =
    RunSpec { rate: Some(100), latency_ms: Some(100), ..RunSpec::new(25, 20) };
/// 5a-5c: two workers per node at rate 1000.
const KAFKA: RunSpec = RunSpec { workers_per_node: Some(2), rate: Some(1000), ..RunSpec::new(2, 20) };
/// 6a-6c: two workers per node at rate 1000, read uncommitted, totally available.
const TXN: RunSpec = RunSpec {
    workers_per_node: Some(2),
    rate: Some(1000),
    consistency_model: Some("read-uncommitted"),
    total_availability: true,
    ..RunSpec::new(2, 20)
};

/// The guide's g-set and pn-counter runs: 5 nodes, 20 s at rate 100, with partitions.
const GUIDE_CRDT: RunSpec = RunSpec { rate: Some(100), partitions: true, ..RunSpec::new(5, 20) };

/// The guide's Datomic chapter: its command, `--node-count 2 --time-limit 10 --rate 100`.
const GUIDE_TXN: RunSpec = RunSpec { rate: Some(100), ..RunSpec::new(2, 10) };

/// Every row, in order: the challenges, then the guide's workloads.
pub const ALL: [Challenge; 18] = [
    Challenge {
        section: Section::GossipGlomers,
        id: "1",
        name: "Echo",
        workload: WorkloadKind::Echo,
        runs: &[RunSpec::new(1, 10)],
        targets: None,
    },
    Challenge {
        section: Section::GossipGlomers,
        id: "2",
        name: "Unique ID Generation",
        workload: WorkloadKind::UniqueIds,
        runs: &[RunSpec {
            rate: Some(1000),
            total_availability: true,
            partitions: true,
            ..RunSpec::new(3, 30)
        }],
        targets: None,
    },
    Challenge {
        section: Section::GossipGlomers,
        id: "3a",
        name: "Single-Node Broadcast",
        workload: WorkloadKind::Broadcast,
        runs: &[RunSpec { rate: Some(10), ..RunSpec::new(1, 20) }],
        targets: None,
    },
    Challenge {
        section: Section::GossipGlomers,
        id: "3b",
        name: "Multi-Node Broadcast",
        workload: WorkloadKind::Broadcast,
        runs: &[RunSpec { rate: Some(10), ..RunSpec::new(5, 20) }],
        targets: None,
    },
    Challenge {
        section: Section::GossipGlomers,
        id: "3c",
        name: "Fault-Tolerant Broadcast",
        workload: WorkloadKind::Broadcast,
        runs: &[RunSpec { rate: Some(10), partitions: true, ..RunSpec::new(5, 20) }],
        targets: None,
    },
    Challenge {
        section: Section::GossipGlomers,
        id: "3d",
        name: "Efficient Broadcast I",
        workload: WorkloadKind::Broadcast,
        runs: &[BROADCAST_EFFICIENT],
        targets: Some(Targets {
            msgs_per_op: 30.0,
            msgs_inclusive: false,
            latency: LatencyTarget::Stable { median_ms: 400, max_ms: 600 },
        }),
    },
    Challenge {
        section: Section::GossipGlomers,
        id: "3e",
        name: "Efficient Broadcast II",
        workload: WorkloadKind::Broadcast,
        runs: &[BROADCAST_EFFICIENT],
        targets: Some(Targets {
            msgs_per_op: 20.0,
            msgs_inclusive: false,
            latency: LatencyTarget::Stable { median_ms: 1000, max_ms: 2000 },
        }),
    },
    Challenge {
        section: Section::GossipGlomers,
        id: "4",
        name: "Grow-Only Counter",
        workload: WorkloadKind::GCounter,
        runs: &[RunSpec { rate: Some(100), partitions: true, ..RunSpec::new(3, 20) }],
        targets: None,
    },
    Challenge {
        section: Section::GossipGlomers,
        id: "5a",
        name: "Single-Node Kafka Log",
        workload: WorkloadKind::Kafka,
        runs: &[RunSpec { node_count: 1, ..KAFKA }],
        targets: None,
    },
    Challenge {
        section: Section::GossipGlomers,
        id: "5b",
        name: "Multi-Node Kafka Log",
        workload: WorkloadKind::Kafka,
        runs: &[KAFKA],
        targets: None,
    },
    Challenge {
        section: Section::GossipGlomers,
        id: "5c",
        name: "Efficient Kafka Log",
        workload: WorkloadKind::Kafka,
        runs: &[KAFKA],
        targets: Some(Targets {
            msgs_per_op: 1.0,
            msgs_inclusive: true,
            latency: LatencyTarget::OpP99 { f: "send", ms: 5.0 },
        }),
    },
    Challenge {
        section: Section::GossipGlomers,
        id: "6a",
        name: "Single-Node Transactions",
        workload: WorkloadKind::TxnRwRegister,
        runs: &[RunSpec { node_count: 1, ..TXN }],
        targets: None,
    },
    Challenge {
        section: Section::GossipGlomers,
        id: "6b",
        name: "Read Uncommitted",
        workload: WorkloadKind::TxnRwRegister,
        // Without partitions first, and without --availability total (as the challenge page).
        runs: &[RunSpec { total_availability: false, ..TXN }, RunSpec { partitions: true, ..TXN }],
        targets: None,
    },
    Challenge {
        section: Section::GossipGlomers,
        id: "6c",
        name: "Read Committed",
        workload: WorkloadKind::TxnRwRegister,
        runs: &[RunSpec { consistency_model: Some("read-committed"), partitions: true, ..TXN }],
        targets: None,
    },
    Challenge {
        section: Section::MaelstromGuide,
        id: "lin-kv",
        name: "Raft: linearizable kv",
        workload: WorkloadKind::LinKv,
        // The command of the guide's Raft chapter.
        runs: &[RunSpec {
            workers_per_node: Some(10),
            rate: Some(100),
            partitions: true,
            nemesis_interval_s: Some(3),
            ..RunSpec::new(3, 60)
        }],
        targets: None,
    },
    Challenge {
        section: Section::MaelstromGuide,
        id: "g-set",
        name: "Grow-only set",
        workload: WorkloadKind::GSet,
        // Then again with repeated adds, which Maelstrom never sends (glomers-bench only).
        runs: &[GUIDE_CRDT, RunSpec { repeat_adds: Some(0.2), ..GUIDE_CRDT }],
        targets: None,
    },
    Challenge {
        section: Section::MaelstromGuide,
        id: "pn-counter",
        name: "PN-counter",
        workload: WorkloadKind::PnCounter,
        runs: &[GUIDE_CRDT],
        targets: None,
    },
    Challenge {
        section: Section::MaelstromGuide,
        id: "txn-list-append",
        name: "Datomic: list-append txns",
        workload: WorkloadKind::TxnListAppend,
        // The chapter's command, then again with partitions: the chapter runs none, but the
        // strict serializability it asks for must hold under them too.
        runs: &[GUIDE_TXN, RunSpec { partitions: true, ..GUIDE_TXN }],
        targets: None,
    },
];

/// The row with this id (case-insensitive).
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
            bytes_per_op: None,
            server_bytes: None,
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
            faults: String::new(),
            weak_points: Vec::new(),
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
    fn the_guide_rows_follow_the_challenges_with_the_guides_commands() {
        let first_guide = ALL.iter().position(|c| c.section == Section::MaelstromGuide).expect("guide rows");
        assert_eq!(ALL[..first_guide].len(), 14);
        assert!(ALL[first_guide..].iter().all(|c| c.section == Section::MaelstromGuide));
        let lin_kv = find("LIN-KV").expect("lin-kv row");
        assert_eq!(
            lin_kv.runs[0].to_argv().join(" "),
            "--node-count 3 --concurrency 10n --time-limit 60 --rate 100 --nemesis partition --nemesis-interval 3"
        );
        let g_set = find("g-set").expect("g-set row");
        assert_eq!(g_set.runs.iter().map(|r| r.is_bench_only()).collect::<Vec<_>>(), [false, true]);
        assert!(g_set.runs[1].to_argv().ends_with(&["--repeat-adds".to_owned(), "0.2".to_owned()]));
        let txn = find("txn-list-append").expect("txn-list-append row");
        assert_eq!(
            txn.runs.iter().map(|r| r.to_argv().join(" ")).collect::<Vec<_>>(),
            [
                "--node-count 2 --time-limit 10 --rate 100",
                "--node-count 2 --time-limit 10 --rate 100 --nemesis partition"
            ]
        );
        assert_eq!(txn.workload.default_node(), "txn-list-append");
        assert_eq!(Section::MaelstromGuide.title(), "Maelstrom guide");
        assert!(ALL.iter().all(|c| c.runs.iter().any(|r| !r.is_bench_only())), "Maelstrom runs every row");
    }

    /// `make soak` names the rows in the Makefile; each section's list there is the table's.
    #[test]
    fn the_makefile_soaks_every_row_of_each_section() {
        let makefile = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Makefile"))
            .expect("the Makefile beside the workspace");
        for (var, section) in
            [("CHALLENGES", Section::GossipGlomers), ("GUIDE_ROWS", Section::MaelstromGuide)]
        {
            let line = makefile.lines().find(|l| l.starts_with(&format!("{var} :="))).expect("the list");
            let listed: Vec<&str> = line.split_whitespace().skip(2).collect();
            let rows: Vec<&str> = ALL.iter().filter(|c| c.section == section).map(|c| c.id).collect();
            assert_eq!(listed, rows, "{var}");
        }
    }

    #[test]
    fn each_run_gives_the_same_flags_to_the_bench_and_to_maelstrom() {
        for c in &ALL {
            for spec in c.runs {
                let argv = spec.to_argv();
                let mut flags = vec!["-w", c.workload.name()];
                flags.extend(argv.iter().map(String::as_str));
                let parsed = RunArgs::from_flags(&flags).expect("the argv parses");
                let (a, b) = (spec.run_args(c.workload).validate(1), parsed.validate(1));
                let (a, b) = (a.expect("valid"), b.expect("valid"));
                assert_eq!(format!("{:?}", a.run), format!("{:?}", b.run), "{}", c.id);
                assert_eq!(a.criteria, b.criteria, "{}", c.id);
            }
        }
        let c6b = find("6b").expect("6b");
        assert_eq!(
            c6b.runs.iter().map(|r| r.to_argv()).map(|a| a.join(" ")).collect::<Vec<_>>(),
            [
                "--node-count 2 --concurrency 2n --time-limit 20 --rate 1000 --consistency-models read-uncommitted",
                "--node-count 2 --concurrency 2n --time-limit 20 --rate 1000 --consistency-models \
                 read-uncommitted --availability total --nemesis partition",
            ]
        );
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
