//! The simulator: engine nodes (those of `nodes/`, or a user's) run in-process, in one thread, under virtual time.
//!
//! A simulated run is the same `Run` as a process run (network model, nemesis, services,
//! workers, checkers); only the shell differs. Where the process shell writes each routed line
//! to a pipe and reads the node's stdout on the real clock, [`simulate`] hands the line to the
//! node's [`Driver`] (the engine's line driver, see `glomers_engine::driver`) and feeds what it
//! writes straight back to the run, then jumps the clock to the next thing due: a delivery, an
//! operation, a phase deadline, or a node's tick or RPC timeout. Nothing reads a real clock, so
//! a seed replays byte for byte.
//!
//! - `seeds.rs`: many seeds on every core, and the table across them.
//! - `nodes.rs`: what it runs ([`SimNode`]: a name, a factory, a workload).
//! - `replay.rs`: the command that replays one seed.
//!
//! The `sim` command itself (flags, one seed into a results directory, or many seeds) is
//! `cli/sim.rs`; the library API for a user's own node is `crate::sim`.

mod nodes;
mod replay;
mod seeds;

pub use nodes::{choose, Factory, SimNode};
pub use replay::Replay;
pub use seeds::{run_seed, run_seeds, table, SeedCrash, SeedResult, Spec};

use crate::core::run::{NodeIdx, Run};
use glomers_engine::driver::Driver;
use std::fmt;
use std::time::Duration;

/// How far the clock jumps when nothing at all is scheduled (as the process shell's idle wait).
const IDLE: Duration = Duration::from_millis(100);

/// Most steps at one instant before the simulation is declared stuck: a node answering itself
/// forever at zero latency would otherwise hang the simulator.
const MAX_STEPS_AT_ONE_INSTANT: u32 = 1_000_000;

/// A simulation that cannot go on: events keep arriving at one instant and the clock never
/// moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stuck {
    /// The virtual time it is stuck at.
    pub at: Duration,
}

impl fmt::Display for Stuck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the simulation is stuck at {:.3} s: events never stop", self.at.as_secs_f64())
    }
}

impl std::error::Error for Stuck {}

/// Runs `run` to its end with `nodes` (one driver per node, in the run's node order), handing
/// every chunk of the message journal to `journal` and what node `i` logged to `log(i, …)`.
/// Returns the virtual time it ended at.
///
/// # Errors
/// [`Stuck`]: events keep arriving without the clock ever moving.
pub fn simulate(
    run: &mut Run,
    nodes: &mut [Box<dyn Driver>],
    mut journal: impl FnMut(Vec<u8>),
    mut log: impl FnMut(usize, Vec<u8>),
) -> Result<Duration, Stuck> {
    let mut now = Duration::ZERO;
    let mut lines = Vec::new();
    let mut steps_here = 0u32;
    // Each node's next deadline, refreshed whenever the node runs.
    let mut due: Vec<Option<Duration>> = nodes.iter().map(|n| n.next_deadline()).collect();
    loop {
        run.tick(now);
        loop {
            let writes = run.take_writes_with_ids();
            if writes.is_empty() {
                break;
            }
            for (i, line, id) in writes {
                if let Some(node) = nodes.get_mut(i.0) {
                    node.on_line(now, &line, &mut lines);
                    // What the node wrote while handling this line: the journal records the
                    // message as its cause (docs/reports.md, causality).
                    for out in lines.drain(..) {
                        run.on_line_caused(now, i, &out, Some(id));
                    }
                    take_log(node.as_mut(), i.0, &mut log);
                    if let Some(d) = due.get_mut(i.0) {
                        *d = node.next_deadline();
                    }
                }
            }
            run.tick(now);
        }
        journal(run.take_journal());
        if run.is_over() {
            return Ok(now);
        }
        let node_next = due.iter().flatten().min().copied();
        let next = [run.next_deadline(), node_next].into_iter().flatten().min().unwrap_or(now + IDLE);
        if next > now {
            now = next;
            steps_here = 0;
        } else {
            steps_here += 1;
            if steps_here > MAX_STEPS_AT_ONE_INSTANT {
                return Err(Stuck { at: now });
            }
        }
        for (i, (node, d)) in nodes.iter_mut().zip(due.iter_mut()).enumerate() {
            if d.is_some_and(|d| d <= now) {
                node.advance(now, &mut lines);
                for out in lines.drain(..) {
                    run.on_line(now, NodeIdx(i), &out);
                }
                take_log(node.as_mut(), i, &mut log);
                *d = node.next_deadline();
            }
        }
    }
}

fn take_log(node: &mut dyn Driver, i: usize, log: &mut impl FnMut(usize, Vec<u8>)) {
    let lines = node.take_log();
    if !lines.is_empty() {
        log(i, lines);
    }
}
