//! [`FloodError`]: why one flood run has no figures: the node could not be started or talked
//! to, or a reply was wrong or missing.

use serde_json::Value;
use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why a flood run failed.
#[derive(Debug)]
pub enum FloodError {
    /// The node's process could not be started.
    Start {
        /// The binary.
        bin: PathBuf,
        /// The cause.
        cause: io::Error,
    },
    /// The node's process was started without its stdin or stdout pipe.
    NoPipes,
    /// The `init` request could not be written.
    WriteInit(io::Error),
    /// The answer to `init` could not be read.
    ReadInitOk(io::Error),
    /// The node answered `init` with this line instead of an `init_ok`.
    NoInitOk(String),
    /// The requests could not be written.
    WriteRequests(io::Error),
    /// The replies could not be read.
    ReadReplies(io::Error),
    /// The node closed its stdout before every request had a reply.
    StdoutClosed {
        /// Replies read.
        replies: u64,
        /// Requests sent.
        count: u64,
    },
    /// The thread writing the requests panicked.
    WriterPanicked,
    /// Waiting for the node to exit failed.
    Wait(io::Error),
    /// A reply line is not JSON.
    NotJson {
        /// The line.
        line: String,
        /// The parser's explanation.
        cause: serde_json::Error,
    },
    /// A reply has no `in_reply_to`.
    NoInReplyTo(Value),
    /// A reply answers a `msg_id` that was never sent.
    UnknownMsg(u64),
    /// A reply is not the `echo_ok` its request asks for.
    WrongReply {
        /// The request's `msg_id`.
        msg: u64,
        /// The reply.
        reply: Value,
    },
    /// A request was answered twice (its `msg_id`).
    Twice(u64),
    /// A request had no reply (its `msg_id`).
    NoReply(u64),
}

impl fmt::Display for FloodError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FloodError::Start { bin, cause } => write!(f, "cannot start {}: {cause}", bin.display()),
            FloodError::NoPipes => f.write_str("no pipes to the node"),
            FloodError::WriteInit(e) => write!(f, "writing init: {e}"),
            FloodError::ReadInitOk(e) => write!(f, "reading init_ok: {e}"),
            FloodError::NoInitOk(line) => write!(f, "expected init_ok, got {line:?}"),
            FloodError::WriteRequests(e) => write!(f, "writing requests: {e}"),
            FloodError::ReadReplies(e) => write!(f, "reading replies: {e}"),
            FloodError::StdoutClosed { replies, count } => {
                write!(f, "node closed stdout after {replies} of {count} replies")
            }
            FloodError::WriterPanicked => f.write_str("writer thread panicked"),
            FloodError::Wait(e) => write!(f, "waiting for the node: {e}"),
            FloodError::NotJson { line, cause } => write!(f, "reply is not JSON ({cause}): {line}"),
            FloodError::NoInReplyTo(v) => write!(f, "reply without in_reply_to: {v}"),
            FloodError::UnknownMsg(msg) => write!(f, "reply to unknown msg {msg}"),
            FloodError::WrongReply { msg, reply } => write!(f, "wrong reply to msg {msg}: {reply}"),
            FloodError::Twice(msg) => write!(f, "msg {msg} answered twice"),
            FloodError::NoReply(msg) => write!(f, "no reply to msg {msg}"),
        }
    }
}

impl std::error::Error for FloodError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FloodError::Start { cause, .. } => Some(cause),
            FloodError::WriteInit(e)
            | FloodError::ReadInitOk(e)
            | FloodError::WriteRequests(e)
            | FloodError::ReadReplies(e)
            | FloodError::Wait(e) => Some(e),
            FloodError::NotJson { cause, .. } => Some(cause),
            FloodError::NoPipes
            | FloodError::NoInitOk(_)
            | FloodError::StdoutClosed { .. }
            | FloodError::WriterPanicked
            | FloodError::NoInReplyTo(_)
            | FloodError::UnknownMsg(_)
            | FloodError::WrongReply { .. }
            | FloodError::Twice(_)
            | FloodError::NoReply(_) => None,
        }
    }
}
