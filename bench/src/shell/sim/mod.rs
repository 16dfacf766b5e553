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

use crate::core::run::{NodeIdx, Run, Signal};
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

/// Where a simulated node is, for the kill and pause nemeses.
enum State {
    /// Running.
    Up,
    /// Paused: its timers stop, and lines for it (with their journal ids) wait here until it
    /// resumes.
    Paused(Vec<(Vec<u8>, u64)>),
    /// Killed: lines for it are lost, until a fresh node takes its place.
    Down,
}

/// Runs `run` to its end with `nodes` (one driver per node, in the run's node order), handing
/// every chunk of the message journal to `journal` and what node `i` logged to `log(i, …)`.
/// A node killed by the nemesis is dropped with its state, and `restart(i)` makes the fresh
/// node that takes its place (and gets `init` again). Returns the virtual time it ended at.
///
/// # Errors
/// [`Stuck`]: events keep arriving without the clock ever moving.
pub fn simulate(
    run: &mut Run,
    nodes: &mut [Box<dyn Driver>],
    mut restart: impl FnMut(usize) -> Box<dyn Driver>,
    mut journal: impl FnMut(Vec<u8>),
    mut log: impl FnMut(usize, Vec<u8>),
) -> Result<Duration, Stuck> {
    let mut now = Duration::ZERO;
    let mut lines = Vec::new();
    let mut steps_here = 0u32;
    let mut states: Vec<State> = nodes.iter().map(|_| State::Up).collect();
    // Each running node's next deadline, refreshed whenever the node runs.
    let mut due: Vec<Option<Duration>> = nodes.iter().map(|n| n.next_deadline()).collect();
    loop {
        run.tick(now);
        loop {
            let signals = run.take_signals();
            for (i, signal) in &signals {
                let (Some(node), Some(state), Some(d)) =
                    (nodes.get_mut(i.0), states.get_mut(i.0), due.get_mut(i.0))
                else {
                    continue;
                };
                match signal {
                    Signal::Kill => *state = State::Down,
                    Signal::Restart => {
                        *node = restart(i.0);
                        *state = State::Up;
                    }
                    Signal::Pause => *state = State::Paused(Vec::new()),
                    Signal::Resume => {
                        let State::Paused(held) = state else { continue };
                        let held = std::mem::take(held);
                        *state = State::Up;
                        for (line, id) in held {
                            deliver(run, node.as_mut(), *i, now, &line, id, &mut lines);
                        }
                        take_log(node.as_mut(), i.0, &mut log);
                    }
                }
                *d = matches!(state, State::Up).then(|| node.next_deadline()).flatten();
            }
            let writes = run.take_writes_with_ids();
            if writes.is_empty() && signals.is_empty() {
                break;
            }
            for (i, line, id) in writes {
                let (Some(node), Some(state)) = (nodes.get_mut(i.0), states.get_mut(i.0)) else { continue };
                match state {
                    State::Up => {}
                    State::Paused(held) => {
                        held.push((line, id));
                        continue;
                    }
                    State::Down => continue,
                }
                deliver(run, node.as_mut(), i, now, &line, id, &mut lines);
                take_log(node.as_mut(), i.0, &mut log);
                if let Some(d) = due.get_mut(i.0) {
                    *d = node.next_deadline();
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

/// Hands `line` (journal id `id`) to `node`; what the node writes while handling it goes to the
/// run with the message as its cause (docs/reports.md, causality).
fn deliver(
    run: &mut Run,
    node: &mut dyn Driver,
    i: NodeIdx,
    now: Duration,
    line: &[u8],
    id: u64,
    lines: &mut Vec<Vec<u8>>,
) {
    node.on_line(now, line, lines);
    for out in lines.drain(..) {
        run.on_line_caused(now, i, &out, Some(id));
    }
}

fn take_log(node: &mut dyn Driver, i: usize, log: &mut impl FnMut(usize, Vec<u8>)) {
    let lines = node.take_log();
    if !lines.is_empty() {
        log(i, lines);
    }
}
