//! The headline figures of a results map read back: this workbench's `results.json` from a run
//! directory, or the real Maelstrom's results (the same names, docs/protocol.md §8.1). The keys are
//! those `results.rs` writes; a test reads back what it wrote.

use crate::core::checkers::set_full::BroadcastCounts;
use crate::core::checkers::verdict::{Quantiles, Validity};
use serde_json::Value;

/// What a summary shows of a results map.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    /// Top-level `valid?`.
    pub valid: Validity,
    /// `net.servers.msgs-per-op`.
    pub msgs_per_op: Option<f64>,
    /// Broadcast's `stable-latencies` (p50, p99, max), in ms.
    pub stable_latency: Option<Quantiles<u64>>,
    /// Broadcast's counts of values by outcome.
    pub broadcast: Option<BroadcastCounts>,
    /// `availability.ok-fraction` (0 when absent).
    pub availability: f64,
    /// `send-count` of servers and of clients (0 when absent).
    pub messages: (u64, u64),
    /// `net.servers.bytes-per-op` (this workbench's; Maelstrom has none).
    pub bytes_per_op: Option<f64>,
    /// `net.servers.send-bytes` (this workbench's; Maelstrom has none).
    pub server_bytes: Option<u64>,
}

impl Headline {
    /// Reads the figures of a results map; a missing figure is `None` (or 0).
    pub fn read(results: &Value) -> Self {
        let w = &results["workload"];
        let quantile = |q: &str| w["stable-latencies"][q].as_f64().map(|v| v as u64);
        let stable_latency = match (quantile("0.5"), quantile("0.99"), quantile("1")) {
            (Some(p50), Some(p99), Some(max)) => Some(Quantiles { p50, p99, max }),
            _ => None,
        };
        let count = |key: &str| w[key].as_u64();
        let broadcast = match (
            count("attempt-count"),
            count("stable-count"),
            count("lost-count"),
            count("never-read-count"),
        ) {
            (Some(sent), Some(stable), Some(lost), Some(never_read)) => {
                Some(BroadcastCounts { sent, stable, lost, never_read })
            }
            _ => None,
        };
        let sent = |group: &str| results["net"][group]["send-count"].as_u64().unwrap_or(0);
        Headline {
            valid: Validity::from_json(&results["valid?"]),
            msgs_per_op: results["net"]["servers"]["msgs-per-op"].as_f64(),
            stable_latency,
            broadcast,
            availability: results["availability"]["ok-fraction"].as_f64().unwrap_or(0.0),
            messages: (sent("servers"), sent("clients")),
            bytes_per_op: results["net"]["servers"]["bytes-per-op"].as_f64(),
            server_bytes: results["net"]["servers"]["send-bytes"].as_u64(),
        }
    }
}
