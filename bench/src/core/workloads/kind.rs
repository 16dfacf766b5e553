//! The workloads this bench runs, as one enum: the `-w` values, their help text and validation
//! (through `clap::ValueEnum`), and everything the rest of the bench knows about a workload by
//! name — its headline operation, the node of `nodes/` that implements it, its setup RPC, and
//! how to build its generator, clients and checker.

use super::{broadcast, counter, echo, g_set, kafka, lin_kv, txn, unique_ids, Workload, WorkloadConfig};
use clap::builder::PossibleValue;
use clap::ValueEnum;
use std::fmt;

/// A workload of docs/protocol.md §7 that this bench implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkloadKind {
    /// Echo (challenge 1).
    Echo,
    /// Globally unique ids (challenge 2).
    UniqueIds,
    /// Broadcast with gossip (challenges 3a–3e).
    Broadcast,
    /// A grow-only counter over seq-kv (challenge 4).
    GCounter,
    /// Replicated logs (challenges 5a–5c).
    Kafka,
    /// Transactions on read/write registers (challenges 6a–6c).
    TxnRwRegister,
    /// A grow-only set (Maelstrom's guide, §7.8).
    GSet,
    /// A counter with negative deltas too (Maelstrom's guide, §7.9).
    PnCounter,
    /// A linearizable key-value store (Maelstrom's Raft tutorial).
    LinKv,
    /// Transactions on append-only lists (Maelstrom's guide, the Datomic chapter, §7.10).
    TxnListAppend,
}

/// The request a workload sends each node once init is over, before the main phase (§5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetupRpc {
    /// The request's `type` (also the label of a setup timeout).
    pub request: &'static str,
    /// The `type` of the expected reply; anything else aborts the run.
    pub reply: &'static str,
}

impl WorkloadKind {
    /// Every workload, in the order of the challenges, then Maelstrom's guide.
    pub const ALL: [WorkloadKind; 10] = [
        WorkloadKind::Echo,
        WorkloadKind::UniqueIds,
        WorkloadKind::Broadcast,
        WorkloadKind::GCounter,
        WorkloadKind::Kafka,
        WorkloadKind::TxnRwRegister,
        WorkloadKind::GSet,
        WorkloadKind::PnCounter,
        WorkloadKind::LinKv,
        WorkloadKind::TxnListAppend,
    ];

    /// Maelstrom's name (`-w`), e.g. `txn-rw-register`.
    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::Echo => "echo",
            WorkloadKind::UniqueIds => "unique-ids",
            WorkloadKind::Broadcast => "broadcast",
            WorkloadKind::GCounter => "g-counter",
            WorkloadKind::Kafka => "kafka",
            WorkloadKind::TxnRwRegister => "txn-rw-register",
            WorkloadKind::GSet => "g-set",
            WorkloadKind::PnCounter => "pn-counter",
            WorkloadKind::LinKv => "lin-kv",
            WorkloadKind::TxnListAppend => "txn-list-append",
        }
    }

    /// The workload called `name`, if this bench runs it.
    pub fn from_name(name: &str) -> Option<WorkloadKind> {
        WorkloadKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The operation whose latency stands for the workload where it has no stable latencies
    /// (the challenge table's latency column).
    pub fn headline_op(self) -> &'static str {
        match self {
            WorkloadKind::Echo => "echo",
            WorkloadKind::UniqueIds => "generate",
            WorkloadKind::Broadcast => "broadcast",
            WorkloadKind::GCounter | WorkloadKind::GSet | WorkloadKind::PnCounter => "add",
            WorkloadKind::Kafka => "send",
            WorkloadKind::TxnRwRegister | WorkloadKind::TxnListAppend => "txn",
            // Half of lin-kv's operations are reads, which succeed whenever a quorum answers;
            // most cas fail their precondition.
            WorkloadKind::LinKv => "read",
        }
    }

    /// The binary of `nodes/` that implements this workload, the one a challenge runs (and
    /// the simulator's default node, see `crate::sim::registry`).
    pub fn default_node(self) -> &'static str {
        match self {
            WorkloadKind::Echo => "echo",
            WorkloadKind::UniqueIds => "unique-ids",
            WorkloadKind::Broadcast => "broadcast",
            WorkloadKind::GCounter => "g-counter",
            WorkloadKind::Kafka => "kafka",
            WorkloadKind::TxnRwRegister => "txn",
            WorkloadKind::GSet => "g-set",
            WorkloadKind::PnCounter => "pn-counter",
            WorkloadKind::LinKv => "lin-kv",
            WorkloadKind::TxnListAppend => "txn-list-append",
        }
    }

    /// The setup RPC, for workloads that have one (only broadcast: `topology`).
    pub fn setup(self) -> Option<SetupRpc> {
        match self {
            WorkloadKind::Broadcast => Some(SetupRpc { request: "topology", reply: "topology_ok" }),
            _ => None,
        }
    }

    /// Builds the workload's generator, clients and checker for a run.
    pub fn build(self, cfg: &WorkloadConfig) -> Box<dyn Workload> {
        match self {
            WorkloadKind::Echo => Box::new(echo::Echo),
            WorkloadKind::UniqueIds => Box::new(unique_ids::UniqueIds),
            WorkloadKind::Broadcast => Box::new(broadcast::Broadcast::new(cfg)),
            WorkloadKind::GCounter => Box::new(counter::Counter::G),
            WorkloadKind::Kafka => Box::new(kafka::Kafka::new(cfg)),
            WorkloadKind::TxnRwRegister => Box::new(txn::Txn::new(txn::Data::Registers, &cfg.opts)),
            WorkloadKind::TxnListAppend => Box::new(txn::Txn::new(txn::Data::Lists, &cfg.opts)),
            WorkloadKind::GSet => Box::new(g_set::GSet::new(cfg.opts.repeat_adds)),
            WorkloadKind::PnCounter => Box::new(counter::Counter::PN),
            WorkloadKind::LinKv => Box::new(lin_kv::LinKv::new(cfg)),
        }
    }
}

/// `-w`: the values are [`WorkloadKind::ALL`] by [`WorkloadKind::name`], so the help text, the
/// list in an error and the parser cannot disagree.
impl ValueEnum for WorkloadKind {
    fn value_variants<'a>() -> &'a [Self] {
        &WorkloadKind::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()))
    }
}

impl fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_the_not_yet_built_are_not_among_them() {
        for k in WorkloadKind::ALL {
            assert_eq!(WorkloadKind::from_str(k.name(), false), Ok(k));
            assert_eq!(WorkloadKind::from_name(k.name()), Some(k));
            assert_eq!(k.to_string(), k.name());
        }
    }

    #[test]
    fn the_default_node_and_the_setup_rpc() {
        assert_eq!(WorkloadKind::TxnRwRegister.default_node(), "txn");
        assert_eq!(WorkloadKind::LinKv.default_node(), "lin-kv");
        assert_eq!(WorkloadKind::Broadcast.setup().map(|s| s.reply), Some("topology_ok"));
    }
}
