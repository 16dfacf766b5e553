//! The answers the protocol requires before any handler runs (MAELSTROM.md §2.3, §2.4): to
//! `init` (a first, a repeated and a conflicting one), to a request that arrives before `init`,
//! and to a line that could not be read. The threaded reader and the simulator's line driver
//! both decide through these functions, so a node behaves the same under either.

use crate::codec::{BadFrame, Header};
use crate::error::{ErrorCode, RpcError};
use crate::message::{Init, MsgId, NodeId};
use crate::node::{Outgoing, Payload};

/// What to do with an `init`, given the decoded body and the id this node already has.
pub(crate) enum InitStep<B> {
    /// Build the node from it, then answer `init_ok` (or the error `Node::init` returns).
    Build(Init),
    /// Answer this without building anything: a malformed init (12), a repeat of the same id
    /// (`init_ok`) or a different id (22).
    Answer(Payload<B>),
}

/// Decides what an `init` calls for.
pub(crate) fn init_step<B>(init: Result<Init, RpcError>, me: Option<&NodeId>) -> InitStep<B> {
    match (init, me) {
        (Err(mut error), _) => {
            error.code = ErrorCode::MalformedRequest;
            InitStep::Answer(Payload::Error(error))
        }
        (Ok(init), Some(me)) if *me == init.node_id => InitStep::Answer(Payload::InitOk),
        (Ok(init), Some(me)) => InitStep::Answer(Payload::Error(RpcError::new(
            ErrorCode::PreconditionFailed,
            format!("already initialised as {me}; cannot become {}", init.node_id),
        ))),
        (Ok(init), None) => InitStep::Build(init),
    }
}

/// A reply to `msg_id` from `to`, if the request carried one (requests without a `msg_id`
/// expect no answer).
pub(crate) fn answer<B>(to: NodeId, msg_id: Option<MsgId>, payload: Payload<B>) -> Option<Outgoing<B>> {
    msg_id.map(|id| Outgoing { dest: to, msg_id: None, in_reply_to: Some(id), payload })
}

/// The error 11 due to a request that arrives before `init` (replies get nothing). The node
/// has no id yet, so it answers as the id the sender addressed.
pub(crate) fn before_init<B>(header: &Header<'_>) -> Option<Outgoing<B>> {
    if header.in_reply_to.is_some() {
        return None;
    }
    let error = RpcError::new(ErrorCode::TemporarilyUnavailable, "not initialised yet: send init first");
    answer(header.src.clone(), header.msg_id, Payload::Error(error))
}

/// The error due to a line that could not be handled: never to a reply, and only when the
/// sender and its `msg_id` could be read.
pub(crate) fn rejection<B>(bad: BadFrame) -> Option<Outgoing<B>> {
    if bad.is_reply {
        return None;
    }
    answer(bad.src?, bad.msg_id, Payload::Error(bad.error))
}
