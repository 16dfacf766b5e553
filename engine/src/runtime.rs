//! Wires the threads together and runs a node until stdin ends.
//!
//! `Shared` is what every thread reaches: the node once `init` built it, the calls in flight,
//! the clock, and the channels to the writer and the timer.

use crate::admission::Admission;
use crate::error::RpcError;
use crate::handoff::{self, Push};
use crate::message::{Init, Members, NodeId};
use crate::node::{check_body, Effects, Node, Out, Outgoing};
use crate::rpc::{Caller, Calls, Waiter};
use crate::settings::{self, SettingError};
use crate::timer::TimerMsg;
use crate::writer::WriterMsg;
use crate::{reader, timer, workers, writer};
use crossbeam_channel::{unbounded, Sender};
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// How the engine runs: `Config::default()`, or `Config::from_env` with the overrides.
#[derive(Clone, Debug)]
pub struct Config {
    /// Worker threads (`GLOMERS_WORKERS`; default: the number of cores).
    pub workers: usize,
    /// Messages that may wait for a worker before the reader stops reading.
    pub queue_limit: usize,
    /// Longest accepted input line in bytes (`GLOMERS_MAX_LINE`); longer lines are skipped.
    pub max_line: usize,
}

impl Default for Config {
    /// A worker per core, 65,536 queued messages, lines up to 4 MiB.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Config { workers: cores, queue_limit: 1 << 16, max_line: 4 << 20 }
    }
}

impl Config {
    /// The defaults, overridden by `GLOMERS_WORKERS` and `GLOMERS_MAX_LINE` where set.
    ///
    /// # Errors
    /// When either is set to anything but a positive whole number.
    pub fn from_env() -> Result<Self, SettingError> {
        let positive = |name: &str| settings::var::<NonZeroUsize>(name, "a positive whole number");
        let defaults = Config::default();
        Ok(Config {
            workers: positive("GLOMERS_WORKERS")?.map_or(defaults.workers, NonZeroUsize::get),
            max_line: positive("GLOMERS_MAX_LINE")?.map_or(defaults.max_line, NonZeroUsize::get),
            ..defaults
        })
    }
}

/// The node once `init` built it, with its place in the cluster: its id is the sender of all
/// it sends.
pub(crate) struct Running<N> {
    /// This node's id and peers.
    pub(crate) members: Arc<Members>,
    /// The node.
    pub(crate) node: N,
}

/// What all threads share.
pub(crate) struct Shared<N: Node> {
    /// The node, once `init` built it.
    pub(crate) node: OnceLock<Running<N>>,
    pub(crate) calls: Calls<N>,
    pub(crate) admission: Admission,
    writer: Push<WriterMsg<N::Body>>,
    timer: Sender<TimerMsg>,
    start: Instant,
}

impl<N: Node> Shared<N> {
    /// Time since the engine started: the clock handlers see.
    pub(crate) fn now(&self) -> Duration {
        self.start.elapsed()
    }

    /// An empty `Out` at the current time for a handler of the node `members` describes,
    /// with a blocking caller.
    pub(crate) fn out(self: &Arc<Self>, members: &Arc<Members>) -> Out<N> {
        Out::with_caller(self.now(), members.clone(), Caller::new(self.clone(), members.me().clone()))
    }

    /// Empty `Effects` at the current time for a continuation or tick of the running node.
    pub(crate) fn effects(&self, running: &Running<N>) -> Effects<N> {
        Effects::new(self.now(), running.members.clone())
    }

    /// Hands messages sent from `from` to the writer.
    pub(crate) fn send(&self, from: &NodeId, batch: Vec<Outgoing<N::Body>>) {
        if !batch.is_empty() {
            // The writer outlives every sender (it stops last), so this cannot fail in a run.
            self.writer.send(WriterMsg::Batch(from.clone(), batch));
        }
    }

    /// Sends what a handler of node `from` produced: registers its calls (with their
    /// deadlines on the timer) before the requests reach the writer, so no reply can arrive
    /// unregistered.
    pub(crate) fn dispatch(&self, from: &NodeId, out: &mut Effects<N>) {
        let mut batch = Vec::new();
        self.dispatch_into(out, &mut batch);
        self.send(from, batch);
    }

    /// Like `dispatch`, collecting the messages into `batch` for the caller to send.
    pub(crate) fn dispatch_into(&self, out: &mut Effects<N>, batch: &mut Vec<Outgoing<N::Body>>) {
        out.drain(
            || self.calls.next_id(),
            |id, peer, deadline, then| {
                self.calls.insert(id, peer, Waiter::Then(parking_lot::Mutex::new(then)));
                let _ = self.timer.send(TimerMsg::Deadline(deadline, id));
            },
            batch,
        );
    }
}

/// Runs node type `N`, built by `Node::init`, on stdin/stdout with the configuration from the
/// environment, until stdin ends: the whole of a binary's `main` for a node without settings.
/// Returns once every message read has been answered and stdout flushed, with the code to exit
/// with: success, or 2 (after a message on stderr) when the configuration is malformed or the
/// node's body type is not tagged by `type`.
pub fn run<N: Node>() -> ExitCode {
    run_factory(N::init)
}

/// Like [`run`], for a node built by `build` when `init` arrives: how a binary hands its node
/// the settings it read in `main`, e.g. `run_factory(move |init| Ok(Broadcast::with_timing(init,
/// timing)))`. An `Err` from `build` is the answer to the `init`.
pub fn run_factory<N: Node>(build: impl FnMut(&Init) -> Result<N, RpcError>) -> ExitCode {
    if let Err(e) = check_body::<N>() {
        crate::log_error!("{e}");
        return ExitCode::from(2);
    }
    match Config::from_env() {
        Ok(config) => {
            run_with_factory(config, std::io::stdin().lock(), std::io::stdout(), build);
            ExitCode::SUCCESS
        }
        Err(error) => error.report(),
    }
}

/// Runs node type `N`, built by `Node::init`, reading `input` and writing `output`: the whole
/// engine, with pipes swapped for any reader and writer (tests and benchmarks use this).
pub fn run_with<N: Node>(config: Config, input: impl std::io::Read, output: impl std::io::Write + Send) {
    run_with_factory(config, input, output, N::init);
}

/// Like [`run_with`], for a node built by `build` when `init` arrives (on the calling thread).
/// A node whose body type is not tagged by `type` is not run: the reason goes to stderr and
/// nothing is read.
pub fn run_with_factory<N: Node>(
    config: Config,
    input: impl std::io::Read,
    output: impl std::io::Write + Send,
    build: impl FnMut(&Init) -> Result<N, RpcError>,
) {
    if let Err(e) = check_body::<N>() {
        crate::log_error!("{e}");
        return;
    }
    let (writer_tx, writer_rx) = handoff::queue();
    let (timer_tx, timer_rx) = unbounded();
    let (work_tx, work_rx) = handoff::queue();
    let shared: Arc<Shared<N>> = Arc::new(Shared {
        node: OnceLock::new(),
        calls: Calls::new(),
        admission: Admission::new(config.queue_limit),
        writer: writer_tx,
        timer: timer_tx,
        start: Instant::now(),
    });
    std::thread::scope(|scope| {
        let writer = std::thread::Builder::new()
            .name("writer".into())
            .spawn_scoped(scope, move || writer::run(writer_rx, output))
            .expect("spawning the writer thread");
        let timer = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("timer".into())
                .spawn_scoped(scope, move || timer::run(&shared, timer_rx))
                .expect("spawning the timer thread")
        };
        let workers: Vec<_> = (0..config.workers.max(1))
            .map(|i| {
                let shared = shared.clone();
                let rx = work_rx.clone();
                std::thread::Builder::new()
                    .name(format!("worker-{i}"))
                    .spawn_scoped(scope, move || workers::run(&shared, rx))
                    .expect("spawning a worker thread")
            })
            .collect();
        drop(work_rx);
        // The reader runs here; when it returns, stdin has ended and every message read has
        // been queued. Dropping its sender lets the workers drain the queue and stop.
        reader::run(&shared, input, work_tx, config.max_line, build);
        for w in workers {
            let _ = w.join();
        }
        let _ = shared.timer.send(TimerMsg::Stop);
        let _ = timer.join();
        shared.writer.send(WriterMsg::Stop);
        let _ = writer.join();
    });
    crate::log_info!("stdin closed; {} call(s) left unanswered; exiting", shared.calls.len());
}
