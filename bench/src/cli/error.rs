//! Why a command could not do its job, one variant per cause with its data. Commands return
//! [`BenchError`]; only `main` turns one into a line on stderr (prefixed `glomers-bench:`) and
//! an exit code.

use crate::cli::outcome::Outcome;
use crate::core::workloads::WorkloadKind;
use crate::maelstrom::MaelstromError;
use crate::output::verdict::RecheckError;
use crate::output::FileError;
use crate::shell::process::ProcessError;
use crate::shell::session::Crash;
use crate::shell::sim::Stuck;
use std::fmt;
use std::io;
use std::path::PathBuf;

/// An error of a `glomers-bench` command.
#[derive(Debug)]
pub enum BenchError {
    /// A flag's value is invalid, or flags contradict each other (the sentence names them).
    BadArgs(String),
    /// `--impl` names a node that implements another workload, or no node implements it.
    NodeMismatch {
        /// The workload asked for.
        workload: WorkloadKind,
        /// The node asked for (`None`: the default one).
        node: Option<String>,
        /// The nodes that implement the workload.
        choices: Vec<&'static str>,
    },
    /// No challenge has this id.
    UnknownChallenge(String),
    /// The node binary cannot be run.
    Binary(ProcessError),
    /// A challenge's node binary is not built.
    NotBuilt(PathBuf),
    /// A path given to `report` is neither a run directory nor a store with runs.
    NotARun(PathBuf),
    /// The store to serve is not a directory.
    NoStore(PathBuf),
    /// The run directory cannot be created.
    RunDir(FileError),
    /// Reading or writing a file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        cause: io::Error,
    },
    /// The run ended without a verdict: a node failed, the run could not finish, or its
    /// results could not be written.
    Aborted {
        /// Why.
        crash: Crash,
        /// The command line that repeats the run, when there is one to show (the simulator's).
        replay: Option<String>,
    },
    /// The simulator could not go on: events kept arriving without the clock moving.
    Stuck(Stuck),
    /// An HTML report or index could not be rendered: a run's file could not be read, or the
    /// page could not be written.
    Render(FileError),
    /// The HTTP server could not start or stopped.
    Serve {
        /// The port asked for.
        port: u16,
        /// The cause.
        cause: io::Error,
    },
    /// The real Maelstrom could not run, crashed, or left no readable results.
    Maelstrom(MaelstromError),
    /// A stored run could not be judged again (`check`).
    Recheck(RecheckError),
}

impl BenchError {
    /// What this error makes of the command: bad arguments or a crash.
    pub fn outcome(&self) -> Outcome {
        match self {
            BenchError::BadArgs(_)
            | BenchError::NodeMismatch { .. }
            | BenchError::UnknownChallenge(_)
            | BenchError::Binary(_)
            | BenchError::NotBuilt(_)
            | BenchError::NotARun(_)
            | BenchError::NoStore(_)
            | BenchError::Recheck(RecheckError::NotARun { .. } | RecheckError::BadMeta { .. }) => {
                Outcome::BadArgs
            }
            BenchError::RunDir(_)
            | BenchError::Io { .. }
            | BenchError::Aborted { .. }
            | BenchError::Stuck(_)
            | BenchError::Render(_)
            | BenchError::Serve { .. }
            | BenchError::Maelstrom(_)
            | BenchError::Recheck(RecheckError::File(_)) => Outcome::Crashed,
        }
    }

    /// The process exit code (§8.2): 254 for bad arguments, 255 for a crash.
    pub fn exit_code(&self) -> u8 {
        self.outcome().exit_code()
    }
}

fn list(names: impl IntoIterator<Item = &'static str>) -> String {
    names.into_iter().collect::<Vec<_>>().join(", ")
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BenchError::BadArgs(m) => f.write_str(m),
            BenchError::Binary(e) => e.fmt(f),
            BenchError::RunDir(e) | BenchError::Render(e) => e.fmt(f),
            BenchError::NodeMismatch { workload, choices, .. } if choices.is_empty() => {
                write!(f, "no node here implements workload {workload}")
            }
            BenchError::NodeMismatch { workload, node, choices } => write!(
                f,
                "node {} does not implement workload {workload}; --impl for {workload}: {}",
                node.as_deref().unwrap_or("(default)"),
                list(choices.iter().copied())
            ),
            BenchError::UnknownChallenge(id) => write!(
                f,
                "unknown challenge {id:?}; known: {}",
                list(crate::cli::challenge::ALL.iter().map(|c| c.id))
            ),
            BenchError::NotBuilt(path) => {
                write!(f, "{} is not built (cargo build --release -p glomers-nodes)", path.display())
            }
            BenchError::NotARun(path) => {
                write!(f, "{} is neither a run directory nor a store with runs", path.display())
            }
            BenchError::NoStore(path) => {
                write!(f, "{} is not a directory (run a test first, or pass --store)", path.display())
            }
            BenchError::Io { path, cause } => write!(f, "{}: {cause}", path.display()),
            BenchError::Aborted { crash, replay } => {
                write!(f, "the run crashed: {crash}")?;
                match replay {
                    Some(replay) => write!(f, "\nreplay: {replay}"),
                    None => Ok(()),
                }
            }
            BenchError::Stuck(stuck) => write!(f, "the run crashed: {stuck}"),
            BenchError::Serve { port, cause } => write!(f, "cannot serve on 127.0.0.1:{port}: {cause}"),
            BenchError::Maelstrom(m) => write!(f, "the real Maelstrom failed: {m}"),
            BenchError::Recheck(e) => write!(f, "cannot check the run: {e}"),
        }
    }
}

impl std::error::Error for BenchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BenchError::Io { cause, .. } | BenchError::Serve { cause, .. } => Some(cause),
            BenchError::Maelstrom(e) => Some(e),
            BenchError::Recheck(e) => Some(e),
            BenchError::Binary(e) => Some(e),
            BenchError::RunDir(e) | BenchError::Render(e) => Some(e),
            BenchError::Aborted { crash, .. } => Some(crash),
            BenchError::Stuck(e) => Some(e),
            _ => None,
        }
    }
}

/// Tells the user about an error without ending the command (one line on stderr, prefixed
/// with the tool's name); `main` uses it for the error that ends one.
pub fn warn(e: &BenchError) {
    eprintln!("glomers-bench: {e}");
}
