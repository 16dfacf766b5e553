//! Every control by name: the [`Control`] enum, its text form (`echo-wrong`, ...), and how each
//! one runs, as an engine node or as a [`Breach`] shim, in a process or in the simulator.
//!
//! An unknown name is an error that lists the valid ones, so a typo can never turn a negative
//! control into a positive one.

use crate::breach::Breach;
use crate::registry::Factory;
use crate::{
    broadcast, echo, g_counter, g_set, kafka, lin_kv, pingpong, pn_counter, txn, txn_list_append, unique_ids,
    Correct,
};
use glomers_engine::driver::{Clock, Driver, LineDriver};
use glomers_engine::{Config, Init, Node, RpcError};
use std::fmt;
use std::process::ExitCode;
use std::str::FromStr;

/// One control node: a workload's correct node, or one broken on purpose in one way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Control {
    /// `echo`: correct.
    Echo,
    /// `echo-wrong`: answers every echo with the wrong text.
    EchoWrong,
    /// `echo-extra`: adds a key the protocol does not have to `echo_ok`.
    EchoExtra,
    /// `echo-late`: answers its first echo after 5.5 s, when the client has gone away.
    EchoLate,
    /// `junk`: writes a line that is not a message to stdout before each `echo_ok`.
    Junk,
    /// `exit-early`: exits (status 3) at its first echo.
    ExitEarly,
    /// `silent`: never answers `init`.
    Silent,
    /// `pingpong`: a correct echo that keeps 64 pings in flight to every peer (routing load).
    PingPong,
    /// `unique-ids`: correct.
    UniqueIds,
    /// `unique-ids-collide`: numbers ids 1, 2, 3... on every node, so ids collide across nodes.
    UniqueIdsCollide,
    /// `unique-ids-restart`: keeps no boot id, so a node killed and restarted repeats its ids.
    UniqueIdsRestart,
    /// `broadcast`: floods each value to every peer, resending until acknowledged.
    Broadcast,
    /// `broadcast-lossy`: floods once and never resends, so a partition loses values.
    BroadcastLossy,
    /// `broadcast-stuck`: takes one value, then answers nothing (valid for Maelstrom, not under
    /// `--strict`).
    BroadcastStuck,
    /// `g-counter`: keeps each node's total in seq-kv.
    GCounter,
    /// `g-counter-miss`: forgets the first non-zero add it acknowledges.
    GCounterMiss,
    /// `kafka`: the node with the smallest id keeps every log; the others forward to it.
    Kafka,
    /// `kafka-offset-reuse`: every node keeps its own logs, so two nodes hand out one offset.
    KafkaOffsetReuse,
    /// `kafka-lost-send`: acknowledges its 5th send and never stores it.
    KafkaLostSend,
    /// `kafka-poll-skip`: every 3rd poll that could skip a message leaves one out.
    KafkaPollSkip,
    /// `txn`: a one-node store; each transaction applies atomically, in arrival order.
    Txn,
    /// `txn-dirty`: G1a, aborted transactions' writes stay visible.
    TxnDirty,
    /// `txn-intermediate`: G1b, a transaction's intermediate write is visible.
    TxnIntermediate,
    /// `txn-g0`: two transactions read and overwrite each other's writes in a cycle (a write
    /// cycle whose edges are also wr edges, which Elle names G1c).
    TxnG0,
    /// `g-set`: a state-based set, gossiped whole and merged by union.
    GSet,
    /// `g-set-no-gossip`: never gossips, so each node reads only its own clients' elements.
    GSetNoGossip,
    /// `g-set-toggle`: a repeated add removes the element everywhere.
    GSetToggle,
    /// `pn-counter`: a state-based counter, gossiped whole and merged by maximum.
    PnCounter,
    /// `pn-counter-no-negative`: acknowledges negative deltas and drops them.
    PnCounterNoNegative,
    /// `pn-counter-sum-merge`: merges gossip by adding it, counting each copy again.
    PnCounterSumMerge,
    /// `lin-kv`: passes every request to the lin-kv service.
    LinKv,
    /// `lin-kv-stale`: reads from what it heard from peers, without a quorum.
    LinKvStale,
    /// `lin-kv-lost-write`: acknowledges every 5th write and drops it.
    LinKvLostWrite,
    /// `lin-kv-double-cas`: applies each successful cas a second time, later.
    LinKvDoubleCas,
    /// `txn-list-append`: one node holds every list; the others forward to it.
    TxnListAppend,
    /// `txn-list-append-local`: every node keeps its own lists, uncoordinated.
    TxnListAppendLocal,
    /// `txn-list-append-double`: applies every append twice (duplicate elements).
    TxnListAppendDouble,
    /// `txn-list-append-aborted`: every 3rd appending transaction fails but keeps its appends
    /// (G1a).
    TxnListAppendAborted,
    /// `txn-list-append-intermediate`: a key appended twice in one transaction reads up to the
    /// first append for a while (G1b).
    TxnListAppendIntermediate,
}

impl Control {
    /// Every control, in the order of the challenges, then Maelstrom's guide.
    pub const ALL: [Control; 39] = [
        Control::Echo,
        Control::EchoWrong,
        Control::EchoExtra,
        Control::EchoLate,
        Control::Junk,
        Control::ExitEarly,
        Control::Silent,
        Control::PingPong,
        Control::UniqueIds,
        Control::UniqueIdsCollide,
        Control::UniqueIdsRestart,
        Control::Broadcast,
        Control::BroadcastLossy,
        Control::BroadcastStuck,
        Control::GCounter,
        Control::GCounterMiss,
        Control::Kafka,
        Control::KafkaOffsetReuse,
        Control::KafkaLostSend,
        Control::KafkaPollSkip,
        Control::Txn,
        Control::TxnDirty,
        Control::TxnIntermediate,
        Control::TxnG0,
        Control::GSet,
        Control::GSetNoGossip,
        Control::GSetToggle,
        Control::PnCounter,
        Control::PnCounterNoNegative,
        Control::PnCounterSumMerge,
        Control::LinKv,
        Control::LinKvStale,
        Control::LinKvLostWrite,
        Control::LinKvDoubleCas,
        Control::TxnListAppend,
        Control::TxnListAppendLocal,
        Control::TxnListAppendDouble,
        Control::TxnListAppendAborted,
        Control::TxnListAppendIntermediate,
    ];

    /// The name the binary takes and the registry knows.
    pub fn name(self) -> &'static str {
        match self {
            Control::Echo => "echo",
            Control::EchoWrong => "echo-wrong",
            Control::EchoExtra => "echo-extra",
            Control::EchoLate => "echo-late",
            Control::Junk => "junk",
            Control::ExitEarly => "exit-early",
            Control::Silent => "silent",
            Control::PingPong => "pingpong",
            Control::UniqueIds => "unique-ids",
            Control::UniqueIdsCollide => "unique-ids-collide",
            Control::UniqueIdsRestart => "unique-ids-restart",
            Control::Broadcast => "broadcast",
            Control::BroadcastLossy => "broadcast-lossy",
            Control::BroadcastStuck => "broadcast-stuck",
            Control::GCounter => "g-counter",
            Control::GCounterMiss => "g-counter-miss",
            Control::Kafka => "kafka",
            Control::KafkaOffsetReuse => "kafka-offset-reuse",
            Control::KafkaLostSend => "kafka-lost-send",
            Control::KafkaPollSkip => "kafka-poll-skip",
            Control::Txn => "txn",
            Control::TxnDirty => "txn-dirty",
            Control::TxnIntermediate => "txn-intermediate",
            Control::TxnG0 => "txn-g0",
            Control::GSet => "g-set",
            Control::GSetNoGossip => "g-set-no-gossip",
            Control::GSetToggle => "g-set-toggle",
            Control::PnCounter => "pn-counter",
            Control::PnCounterNoNegative => "pn-counter-no-negative",
            Control::PnCounterSumMerge => "pn-counter-sum-merge",
            Control::LinKv => "lin-kv",
            Control::LinKvStale => "lin-kv-stale",
            Control::LinKvLostWrite => "lin-kv-lost-write",
            Control::LinKvDoubleCas => "lin-kv-double-cas",
            Control::TxnListAppend => "txn-list-append",
            Control::TxnListAppendLocal => "txn-list-append-local",
            Control::TxnListAppendDouble => "txn-list-append-double",
            Control::TxnListAppendAborted => "txn-list-append-aborted",
            Control::TxnListAppendIntermediate => "txn-list-append-intermediate",
        }
    }

    /// Every name, comma-separated, for error messages.
    pub fn names() -> String {
        Self::ALL.map(Control::name).join(", ")
    }

    /// The control a command line names: exactly one argument, a control's name.
    ///
    /// # Errors
    /// A missing mode, more than one argument, or an unknown name.
    pub fn from_args(mut args: impl Iterator<Item = String>) -> Result<Self, ModeError> {
        match (args.next(), args.count()) {
            (Some(mode), 0) => mode.parse(),
            (None, _) => Err(ModeError::Missing),
            (Some(_), more) => Err(ModeError::TooMany(more + 1)),
        }
    }

    /// The node type behind this control, or the shim for one that breaks the protocol.
    fn way(self) -> Way {
        use Control as C;
        match self {
            C::Echo => node::<echo::Echo<Correct>>(),
            C::EchoWrong => node::<echo::Echo<echo::WrongText>>(),
            C::EchoExtra => node::<echo::Echo<echo::ExtraKey>>(),
            C::EchoLate => node::<echo::Echo<echo::Late>>(),
            C::Junk => Way::Shim(Breach::Junk),
            C::ExitEarly => Way::Shim(Breach::ExitEarly),
            C::Silent => Way::Shim(Breach::Silent),
            C::PingPong => node::<pingpong::PingPong>(),
            // The boot id keeps a restarted node's ids apart from its last process's.
            C::UniqueIds => Way::Node {
                run: || {
                    let boot = glomers_engine::settings::boot_id();
                    on_engine_with(move |init| Ok(unique_ids::UniqueIds::<Correct>::booted(init, boot)));
                },
                driver: |c| {
                    Box::new(LineDriver::with_factory(c, move |init| {
                        Ok(unique_ids::UniqueIds::<Correct>::booted(init, c.boot))
                    }))
                },
            },
            C::UniqueIdsCollide => node::<unique_ids::UniqueIds<unique_ids::Collide>>(),
            C::UniqueIdsRestart => node::<unique_ids::UniqueIds<unique_ids::Restart>>(),
            C::Broadcast => node::<broadcast::Broadcast<Correct>>(),
            C::BroadcastLossy => node::<broadcast::Broadcast<broadcast::NoRetry>>(),
            C::BroadcastStuck => node::<broadcast::Broadcast<broadcast::Stuck>>(),
            C::GCounter => node::<g_counter::GCounter<Correct>>(),
            C::GCounterMiss => node::<g_counter::GCounter<g_counter::MissAdd>>(),
            C::Kafka => node::<kafka::Kafka<Correct>>(),
            C::KafkaOffsetReuse => node::<kafka::Kafka<kafka::OffsetReuse>>(),
            C::KafkaLostSend => node::<kafka::Kafka<kafka::LostSend>>(),
            C::KafkaPollSkip => node::<kafka::Kafka<kafka::PollSkip>>(),
            C::Txn => node::<txn::Txn<Correct>>(),
            C::TxnDirty => node::<txn::Txn<txn::Dirty>>(),
            C::TxnIntermediate => node::<txn::Txn<txn::Intermediate>>(),
            C::TxnG0 => node::<txn::Txn<txn::WriteCycle>>(),
            C::GSet => node::<g_set::GSet<Correct>>(),
            C::GSetNoGossip => node::<g_set::GSet<g_set::NoGossip>>(),
            C::GSetToggle => node::<g_set::GSet<g_set::ToggleOnRepeat>>(),
            C::PnCounter => node::<pn_counter::PnCounter<Correct>>(),
            C::PnCounterNoNegative => node::<pn_counter::PnCounter<pn_counter::IgnoreNegative>>(),
            C::PnCounterSumMerge => node::<pn_counter::PnCounter<pn_counter::SumMerge>>(),
            C::LinKv => node::<lin_kv::LinKv<Correct>>(),
            C::LinKvStale => node::<lin_kv::LinKv<lin_kv::StaleRead>>(),
            C::LinKvLostWrite => node::<lin_kv::LinKv<lin_kv::LostWrite>>(),
            C::LinKvDoubleCas => node::<lin_kv::LinKv<lin_kv::DoubleCas>>(),
            C::TxnListAppend => node::<txn_list_append::TxnListAppend<Correct>>(),
            C::TxnListAppendLocal => node::<txn_list_append::TxnListAppend<txn_list_append::Local>>(),
            C::TxnListAppendDouble => node::<txn_list_append::TxnListAppend<txn_list_append::DoubleAppend>>(),
            C::TxnListAppendAborted => node::<txn_list_append::TxnListAppend<txn_list_append::Aborted>>(),
            C::TxnListAppendIntermediate => {
                node::<txn_list_append::TxnListAppend<txn_list_append::Intermediate>>()
            }
        }
    }

    /// Runs this control on stdin/stdout until stdin ends (or the control exits on purpose).
    pub fn run(self) -> ExitCode {
        match self.way() {
            Way::Node { run, .. } => {
                run();
                ExitCode::SUCCESS
            }
            Way::Shim(breach) => breach.run(),
        }
    }

    /// The factory of this control's simulator driver.
    pub fn factory(self) -> Factory {
        match self.way() {
            Way::Node { driver, .. } => driver,
            Way::Shim(breach) => breach.factory(),
        }
    }
}

/// How a control runs.
enum Way {
    /// An engine node: run in a process, or behind the line driver.
    Node {
        /// Runs it on stdin/stdout.
        run: fn(),
        /// Makes its simulator driver.
        driver: Factory,
    },
    /// A protocol breach, with its own driver.
    Shim(Breach),
}

/// The way of node type `N`.
fn node<N: Node>() -> Way {
    Way::Node { run: on_engine::<N>, driver: line_driver::<N> }
}

/// Runs `N` on the threaded engine with one worker: controls are written to handle one
/// message at a time, in arrival order, as the simulator's line driver runs them, so a control
/// behaves the same in both (a g-counter's writes to seq-kv, say, leave in the order taken).
fn on_engine<N: Node>() {
    on_engine_with(N::init);
}

/// [`on_engine`] for a node built by `build`.
fn on_engine_with<N: Node>(build: impl FnMut(&Init) -> Result<N, RpcError>) {
    let config = Config { workers: 1, ..Config::default() };
    glomers_engine::run_with_factory(config, std::io::stdin().lock(), std::io::stdout(), build);
}

/// `N` behind the engine's line driver.
fn line_driver<N: Node>(clock: Clock) -> Box<dyn Driver> {
    Box::new(LineDriver::<N>::with_clock(clock))
}

impl fmt::Display for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Control {
    type Err = ModeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|c| c.name() == s).ok_or_else(|| ModeError::Unknown(s.to_owned()))
    }
}

/// Why no control was picked. Every message lists the valid modes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModeError {
    /// No mode was given (there is no default: a forgotten mode must not run some control).
    Missing,
    /// More than one argument, this many.
    TooMany(usize),
    /// A name that is no control's.
    Unknown(String),
}

impl fmt::Display for ModeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModeError::Missing => f.write_str("no control mode given")?,
            ModeError::TooMany(n) => write!(f, "expected one control mode, got {n} arguments")?,
            ModeError::Unknown(name) => write!(f, "unknown control mode {name:?}")?,
        }
        write!(f, "; valid modes: {}", Control::names())
    }
}

impl std::error::Error for ModeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_to_its_control_and_names_are_unique() {
        for c in Control::ALL {
            assert_eq!(c.name().parse(), Ok(c));
            assert_eq!(c.to_string(), c.name());
        }
        let mut names: Vec<&str> = Control::ALL.map(Control::name).to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Control::ALL.len());
    }

    #[test]
    fn an_unknown_name_is_an_error_listing_the_valid_ones() {
        let e = "echo-wrnog".parse::<Control>().expect_err("a typo");
        let text = e.to_string();
        assert!(
            text.starts_with(r#"unknown control mode "echo-wrnog"; valid modes: echo, echo-wrong,"#),
            "{text}"
        );
        assert!(
            text.ends_with(
                "lin-kv-double-cas, txn-list-append, txn-list-append-local, txn-list-append-double, \
                 txn-list-append-aborted, txn-list-append-intermediate"
            ),
            "{text}"
        );
        assert!("".parse::<Control>().is_err());
        let args = |a: &[&str]| Control::from_args(a.iter().map(|s| s.to_string()));
        assert_eq!(args(&["txn-g0"]), Ok(Control::TxnG0));
        assert_eq!(args(&[]), Err(ModeError::Missing));
        assert_eq!(args(&["echo", "x"]), Err(ModeError::TooMany(2)));
    }
}
