//! The one decision for an input line (docs/protocol.md §2): what a node does with each line
//! before any handler runs, sans-IO. An [`Inbox`] parses the line, logs what is wrong with it,
//! and returns a [`Decision`]; the threaded reader and the simulator's line driver only carry
//! decisions out, so a node answers, and logs, the same under either.
//!
//! Who answers before `init` (docs/protocol.md §2.1, §2.3): the node has no id yet, so an answer
//! (error 11 to an early request, error 12 to a bad line, the answer to a failed `init`) goes out
//! from the id the line was addressed to, its `dest`, salvaged from broken JSON where possible;
//! when that cannot be read, nothing is sent. Once `init` named the node, every answer goes out
//! from its id. Each [`Answer`] carries its sender, so the writer never has to guess it.

use crate::codec::{decode_body, salvage, BadFrame, Header, Reply};
use crate::error::{ErrorCode, RpcError};
use crate::message::{Init, Message, MsgId, NodeId};
use crate::node::{Outgoing, Payload};
use crate::{log, log_debug, log_error, log_info};
use serde::de::DeserializeOwned;
use simd_json::Tape;

/// What to do with one input line.
pub(crate) enum Decision<'i, B, W> {
    /// Hand this message to the node's handler.
    Deliver(Message<B>),
    /// Finish a call of this node with its reply: `waiter` is what the caller's call table gave
    /// for the reply's `in_reply_to` and sender.
    Reply {
        /// The call's continuation (or blocked caller).
        waiter: W,
        /// The reply as it arrived.
        reply: Reply<'i>,
    },
    /// Build the node from this `init`, then report the outcome with [`Inbox::initialised`].
    Init(InitCall),
    /// Send this answer; nothing else happens.
    Answer(Answer<B>),
    /// The line `buf[..len]` is not JSON: hand it to [`Inbox::unparsable`] for the decision. A
    /// second step, because here the parser still borrows the line.
    Unparsable {
        /// What the parser found.
        error: simd_json::Error,
        /// The line's length, without a trailing `\r`.
        len: usize,
    },
    /// Nothing to do (an empty line, or a bad line no one can be answered for).
    Ignore,
}

/// A message the protocol itself answers with, and the id it goes out from.
pub(crate) struct Answer<B> {
    /// The sender: the node's id, or before `init` the id the line was addressed to.
    pub(crate) from: NodeId,
    /// The answer.
    pub(crate) msg: Outgoing<B>,
}

/// An `init` to build the node from.
pub(crate) struct InitCall {
    /// What the node is built from.
    pub(crate) init: Init,
    /// Who sent the `init`, and its number: where the answer goes.
    src: NodeId,
    msg_id: Option<MsgId>,
    /// The id the `init` was addressed to, the sender of a refusal.
    dest: NodeId,
}

/// The decision state of one node: its id once `init` named it, and the parser's buffers
/// (kept between lines for their allocations).
pub(crate) struct Inbox {
    me: Option<NodeId>,
    buffers: simd_json::Buffers,
    /// The tape, kept between lines for its allocation (a routed reply takes it).
    tape: Tape<'static>,
}

impl Inbox {
    /// A node that has not been initialised.
    pub(crate) fn new() -> Self {
        Inbox { me: None, buffers: simd_json::Buffers::default(), tape: Tape::null().reset() }
    }

    /// The node's id, once `init` named it.
    pub(crate) fn me(&self) -> Option<&NodeId> {
        self.me.as_ref()
    }

    /// Decides what the line `buf[..len]` calls for. The bytes of `buf` after `len` are the
    /// parser's padding (at least `simd_json::INPUT_PADDING` of them); parsing may rewrite the
    /// line in place. `take_call` takes out the call a reply answers, given its `in_reply_to`
    /// and sender, if that call waits for a reply from that sender.
    pub(crate) fn on_line<'i, B: DeserializeOwned, W>(
        &mut self,
        buf: &'i mut [u8],
        mut len: usize,
        take_call: impl FnOnce(MsgId, &NodeId) -> Option<W>,
    ) -> Decision<'i, B, W> {
        if len > 0 && buf[len - 1] == b'\r' {
            len -= 1;
        }
        if buf[..len].iter().all(u8::is_ascii_whitespace) {
            log_debug!("ignoring an empty line");
            return Decision::Ignore;
        }
        if log::enabled(log::Level::Debug) {
            log_debug!("recv {}", String::from_utf8_lossy(&buf[..len]));
        }
        let mut tape = std::mem::replace(&mut self.tape, Tape::null().reset()).reset();
        if let Err(error) = simd_json::fill_tape_padded(buf, len, &mut self.buffers, &mut tape) {
            self.tape = tape.reset();
            return Decision::Unparsable { error, len };
        }
        let (decision, tape) = self.on_tape(tape, take_call);
        if let Some(tape) = tape {
            self.tape = tape.reset();
        }
        decision
    }

    /// Decides what the line that [`Decision::Unparsable`] named calls for: error 12 if its
    /// sender and `msg_id` can be salvaged (see [`Inbox::on_line`] for who answers).
    pub(crate) fn unparsable<B, W>(&self, line: &[u8], error: simd_json::Error) -> Decision<'static, B, W> {
        // simd-json may have unescaped some strings in place; salvage is best effort.
        log_error!("unparsable line ({error}): {}", preview(line));
        self.reject(salvage(line, RpcError::malformed(format!("invalid JSON: {error}"))))
    }

    /// Decides what a parsed line calls for; hands the tape back unless a reply took it.
    fn on_tape<'i, B: DeserializeOwned, W>(
        &mut self,
        tape: Tape<'i>,
        take_call: impl FnOnce(MsgId, &NodeId) -> Option<W>,
    ) -> (Decision<'i, B, W>, Option<Tape<'i>>) {
        let header = match Header::read(tape.as_value()) {
            Ok(h) => h,
            Err(bad) => {
                log_error!("bad message: {}", bad.error.text);
                return (self.reject(bad), Some(tape));
            }
        };
        // Only an initialised node makes calls, so only its replies can be routed.
        if let (Some(id), Some(_)) = (header.in_reply_to, &self.me) {
            if let Some(waiter) = take_call(id, &header.src) {
                return (Decision::Reply { waiter, reply: Reply::from_tape(tape) }, None);
            }
        }
        if header.kind == "init" {
            let (init, tape) = decode_body::<Init>(tape, header.kind);
            return (self.on_init(init, header), Some(tape));
        }
        if self.me.is_none() {
            log_error!("`{}` from {} before init", header.kind, header.src);
            return (self.before_init(&header), Some(tape));
        }
        let (body, tape) = decode_body::<B>(tape, header.kind);
        let decision = match body {
            Ok(body) => Decision::Deliver(Message {
                src: header.src,
                dest: header.dest,
                msg_id: header.msg_id,
                in_reply_to: header.in_reply_to,
                body,
            }),
            Err(error) => {
                log_error!("{} from {}", error.text, header.src);
                let is_reply = header.in_reply_to.is_some();
                let bad =
                    BadFrame { src: Some(header.src), dest: None, msg_id: header.msg_id, is_reply, error };
                self.reject(bad)
            }
        };
        (decision, Some(tape))
    }

    /// Decides what an `init` calls for: building the node, or an answer without building
    /// anything (a malformed init (12), a repeat of the same id (`init_ok`), another id (22)).
    fn on_init<B, W>(&self, init: Result<Init, RpcError>, header: Header<'_>) -> Decision<'static, B, W> {
        let payload = match (init, &self.me) {
            (Err(mut error), _) => {
                error.code = ErrorCode::MalformedRequest;
                log_error!("init not applied: {error}");
                Payload::Error(error)
            }
            (Ok(init), Some(me)) if *me == init.node_id => {
                log_error!("second init with the same id: answered init_ok");
                Payload::InitOk
            }
            (Ok(init), Some(me)) => {
                let error = RpcError::new(
                    ErrorCode::PreconditionFailed,
                    format!("already initialised as {me}; cannot become {}", init.node_id),
                );
                log_error!("init not applied: {error}");
                Payload::Error(error)
            }
            (Ok(init), None) => {
                let (src, msg_id, dest) = (header.src, header.msg_id, header.dest);
                return Decision::Init(InitCall { init, src, msg_id, dest });
            }
        };
        decide(self.answer(Some(header.dest), header.src, header.msg_id, payload))
    }

    /// Takes in how building the node from `call` went, and returns the answer to the `init`:
    /// `init_ok` from the new id, or the error `Node::init` returned, from the id addressed.
    pub(crate) fn initialised<B>(
        &mut self,
        call: InitCall,
        built: Result<(), RpcError>,
    ) -> Option<Answer<B>> {
        let payload = match built {
            Ok(()) => {
                self.me = Some(call.init.node_id.clone());
                log::set_node(&call.init.node_id);
                log_info!("initialised; cluster {:?}", call.init.node_ids);
                Payload::InitOk
            }
            Err(error) => {
                log_error!("init failed: {error}");
                Payload::Error(error)
            }
        };
        self.answer(Some(call.dest), call.src, call.msg_id, payload)
    }

    /// The error 12 answer to a line that could not be handled: never to a reply, and only
    /// when its sender and `msg_id` (and before `init`, its addressee) could be read.
    fn reject<B, W>(&self, bad: BadFrame) -> Decision<'static, B, W> {
        match bad.src {
            Some(src) if !bad.is_reply => {
                decide(self.answer(bad.dest, src, bad.msg_id, Payload::Error(bad.error)))
            }
            _ => Decision::Ignore,
        }
    }

    /// The error 11 due to a request that arrives before `init`; replies get nothing.
    fn before_init<B, W>(&self, header: &Header<'_>) -> Decision<'static, B, W> {
        if header.in_reply_to.is_some() {
            return Decision::Ignore;
        }
        let error = RpcError::new(ErrorCode::TemporarilyUnavailable, "not initialised yet: send init first");
        decide(self.answer(
            Some(header.dest.clone()),
            header.src.clone(),
            header.msg_id,
            Payload::Error(error),
        ))
    }

    /// An answer to request `msg_id` of `to` (none without a `msg_id`: the request expects no
    /// answer), from this node's id, or before `init` from `addressed`.
    fn answer<B>(
        &self,
        addressed: Option<NodeId>,
        to: NodeId,
        msg_id: Option<MsgId>,
        payload: Payload<B>,
    ) -> Option<Answer<B>> {
        let from = self.me.clone().or(addressed)?;
        let msg = Outgoing { dest: to, msg_id: None, in_reply_to: Some(msg_id?), payload };
        Some(Answer { from, msg })
    }
}

/// Sends `answer` if there is one.
fn decide<B, W>(answer: Option<Answer<B>>) -> Decision<'static, B, W> {
    answer.map_or(Decision::Ignore, Decision::Answer)
}

/// The start of a line, for logs.
fn preview(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(&line[..line.len().min(200)]);
    if line.len() > 200 {
        format!("{text}… ({} bytes)", line.len())
    } else {
        text.into_owned()
    }
}
