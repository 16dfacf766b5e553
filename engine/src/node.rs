//! What a workload implements (`Node`) and how its code speaks: `Out` for handlers, `Effects`
//! (the same, minus the blocking caller) for continuations and ticks.
//!
//! Node code never does I/O: it pushes effects (replies, sends, RPCs with a continuation) into
//! an `Out` or `Effects` that its caller owns. The threaded engine drains them into the writer;
//! the testkit and simulators inspect them. Time comes in through `Effects::now`, so node code
//! stays deterministic.

use crate::codec::Reply;
use crate::error::{ErrorCode, RpcError};
use crate::message::{Init, Members, Message, MsgId, NodeId, Peers, ReplyTo};
use crate::rpc::Caller;
use glomers_harness::time::{Ticks, ZeroTickPeriod};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

/// A Maelstrom node as a state machine. The engine owns every thread, pipe and clock.
///
/// Handlers take `&self` because the worker pool shares one node; keep state in `dashmap` or
/// `parking_lot` fields and hold a lock only for the mutation itself.
///
/// A panic in node code does not stop the node, in the threaded engine and the simulator's line
/// driver alike: the panic's message and location go to stderr, what the panicking code pushed
/// is dropped, a request whose handler panicked is answered with error 13 (crash: indefinite),
/// and the node keeps serving and ticking (a panicking continuation is simply dropped). State
/// the code changed before it panicked stays changed, so keep invariants under one lock. A
/// build with `panic = "abort"` dies at the panic instead, and the workbench reports a crashed
/// node. The testkit lets a panic through, so a unit test fails on it.
///
/// ```
/// use glomers_engine::{Init, Message, Node, Out, RpcError};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// #[serde(tag = "type", rename_all = "snake_case")]
/// enum Body { Ping, Pong }
///
/// struct Pinger;
/// impl Node for Pinger {
///     type Body = Body;
///     fn init(_: &Init) -> Result<Self, RpcError> { Ok(Pinger) }
///     fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
///         match msg.body {
///             Body::Ping => out.reply(&msg, Body::Pong),
///             Body::Pong => {}
///         }
///         Ok(())
///     }
/// }
/// ```
pub trait Node: Sized + Send + Sync + 'static {
    /// The bodies this node receives (requests, gossip), tagged on the wire by `type`:
    /// `#[serde(tag = "type", rename_all = "snake_case")]`. Every driver refuses to start a node
    /// whose body type lacks the tag, with a message saying so. Replies and sends take any
    /// serializable body, so this type need not list what the node only sends.
    type Body: Serialize + DeserializeOwned + Send + 'static;

    /// Builds the node from `init` (§2.3). An error is sent back instead of `init_ok`.
    fn init(init: &Init) -> Result<Self, RpcError>;

    /// Runs once, right after `init` built the node and before its `init_ok` goes out: the
    /// place to arm timers ([`Effects::every`], [`Effects::after`]) or start calls.
    fn on_start(&self, _out: &mut Effects<Self>) {}

    /// Handles one message. An `Err` is sent to the sender as an `error` body when the message
    /// carries a `msg_id`, so a handler may use `?` on anything that makes the request invalid.
    fn on_message(&self, msg: Message<Self::Body>, out: &mut Out<Self>) -> Result<(), RpcError>;

    /// How often `on_tick` runs; `None` (the default) means never.
    fn tick_every(&self) -> Option<Duration> {
        None
    }

    /// Periodic work: gossip, batching, retries. Runs on the timer thread, so it gets
    /// [`Effects`], which has no blocking call. For more than one period, or a one-shot
    /// delay, see [`Effects::every`] and [`Effects::after`].
    fn on_tick(&self, _out: &mut Effects<Self>) {}
}

/// Runs `Node::on_start` on a node `init` just built, as every driver does: the effects it
/// pushed, or none if it panicked.
pub(crate) fn started<N: Node>(node: &N, members: &Arc<Members>, now: Duration) -> Effects<N> {
    let mut out = Effects::new(now, members.clone());
    if guard("on_start", || node.on_start(&mut out)).is_none() {
        out.clear();
    }
    out
}

/// Runs `node`'s handler on `msg`, as every driver does: a handler's `Err` becomes an `error`
/// reply when the message expects one (a reply never gets one, so two nodes cannot loop).
pub(crate) fn handle<N: Node>(node: &N, msg: Message<N::Body>, out: &mut Out<N>) {
    let (src, msg_id, is_reply) = (msg.src.clone(), msg.msg_id, msg.in_reply_to.is_some());
    if let Err(e) = node.on_message(msg, out) {
        crate::log_debug!("answering {src} with {e}");
        if !is_reply {
            out.reply_error((src, msg_id), e);
        }
    }
}

/// Runs `node`'s handler on `msg` as [`handle`] does, but survives a panic in it: the effects
/// the handler pushed are dropped, the request is answered with error 13 (crash: indefinite),
/// and the node carries on. The threaded engine and the line driver handle messages this way;
/// the testkit lets a panic through, so a unit test fails on it.
pub(crate) fn handle_guarded<N: Node>(node: &N, msg: Message<N::Body>, out: &mut Out<N>) {
    let (src, msg_id, is_reply) = (msg.src.clone(), msg.msg_id, msg.in_reply_to.is_some());
    let mark = out.effects.effects.len();
    if guard("a handler", || handle(node, msg, out)).is_none() {
        out.effects.effects.truncate(mark);
        if !is_reply {
            out.reply_error((src, msg_id), RpcError::new(ErrorCode::Crash, "the handler panicked"));
        }
    }
}

/// Runs `f` (node code), catching a panic in it: the panic hook has already written its message
/// and location to stderr; this logs that the node carries on. `None` when `f` panicked. A build
/// with `panic = "abort"` dies at the panic instead.
pub(crate) fn guard<R>(what: &str, f: impl FnOnce() -> R) -> Option<R> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => Some(r),
        Err(payload) => {
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            crate::log_error!("{what} panicked ({text}); its effects are dropped and the node carries on");
            None
        }
    }
}

impl<N: Node> Effects<N> {
    /// Drops what node code pushed before it panicked; a periodic timer's next round, armed by
    /// the engine before the node's code ran, stays, so the timer goes on.
    pub(crate) fn clear(&mut self) {
        self.effects.retain(|e| matches!(e, Effect::Timer { rearm: true, .. }));
    }
}

/// What runs when an RPC's reply (or its timeout) arrives. It runs on the reader thread
/// (replies) or the timer thread (timeouts), so it gets [`Effects`], which has no blocking call.
pub type Continuation<N> = Box<dyn for<'i> FnOnce(&N, Result<Reply<'i>, RpcError>, &mut Effects<N>) + Send>;

/// What goes on the wire in a message's body.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload<B> {
    /// A body of the workload's own type.
    Body(B),
    /// An `error` body (§2.4).
    Error(RpcError),
    /// `init_ok`.
    InitOk,
    /// A body of another protocol (a service's, say), already serialized as a JSON object.
    Json(String),
}

/// One message this node sends.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing<B> {
    /// Where it goes.
    pub dest: NodeId,
    /// Set for RPC requests, so that the reply can be matched.
    pub msg_id: Option<MsgId>,
    /// Set for replies.
    pub in_reply_to: Option<MsgId>,
    /// The body.
    pub payload: Payload<B>,
}

impl<B: Serialize> Payload<B> {
    /// The body as JSON text, without `msg_id` / `in_reply_to`.
    ///
    /// # Errors
    /// When a `Body` does not serialize.
    pub fn to_json(&self) -> Result<String, String> {
        match self {
            Payload::Body(b) => serde_json::to_string(b).map_err(|e| e.to_string()),
            Payload::Json(json) => Ok(json.clone()),
            Payload::InitOk => Ok(r#"{"type":"init_ok"}"#.to_owned()),
            Payload::Error(e) => {
                Ok(serde_json::json!({"type": "error", "code": e.code.code(), "text": e.text}).to_string())
            }
        }
    }
}

impl<B: Serialize> Outgoing<B> {
    /// The body as a JSON value (without `msg_id` / `in_reply_to`), whatever type the node sent
    /// it as: how a test reads a reply, e.g. `sent[0].json()["value"]`. `Null` if it does not
    /// serialize.
    pub fn json(&self) -> serde_json::Value {
        self.payload.to_json().ok().and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default()
    }

    /// The body decoded as `T`, if it is one.
    pub fn body_as<T: DeserializeOwned>(&self) -> Option<T> {
        self.payload.to_json().ok().and_then(|j| serde_json::from_str(&j).ok())
    }
}

/// An effect a handler produced.
pub(crate) enum Effect<N: Node> {
    /// Send a message; no reply expected.
    Send(Outgoing<N::Body>),
    /// Send a request and run `then` with its reply, or with error 0 after `timeout`.
    Rpc { msg: Outgoing<N::Body>, timeout: Duration, then: Continuation<N> },
    /// Run `then` after `after`; `rearm` marks a periodic timer's next round.
    Timer { after: Duration, then: Continuation<N>, rearm: bool },
}

/// Where code that must not block puts its effects (replies, sends, calls with a
/// continuation), and where it learns the time: what continuations and `Node::on_tick` get.
///
/// It offers no blocking call: a continuation runs on the reader thread (replies) or the timer
/// thread (timeouts), and a tick on the timer thread, and a blocking call from either would wait
/// for a reply only the blocked thread can deliver. A handler's [`Out`] is an `Effects` plus the
/// blocking caller, so any helper taking `&mut Effects<N>` serves handlers, continuations and
/// ticks alike.
///
/// ```compile_fail
/// // A tick or a continuation cannot reach the blocking caller:
/// fn on_tick<N: glomers_engine::Node>(out: &mut glomers_engine::Effects<N>) {
///     let _ = out.caller();
/// }
/// ```
pub struct Effects<N: Node> {
    now: Duration,
    members: Arc<Members>,
    effects: Vec<Effect<N>>,
}

/// Where a handler (`Node::on_message`) puts its effects: the [`Effects`] every piece of node
/// code has (through `Deref`), plus, in the threaded engine, the blocking [`Caller`].
pub struct Out<N: Node> {
    effects: Effects<N>,
    caller: Option<Caller<N>>,
}

impl<N: Node> Out<N> {
    /// An empty `Out` at time `now` (time since the node started) for the node `members`
    /// describes, with no blocking caller (the single-threaded drivers).
    pub(crate) fn new(now: Duration, members: Arc<Members>) -> Self {
        Out { effects: Effects::new(now, members), caller: None }
    }

    pub(crate) fn with_caller(now: Duration, members: Arc<Members>, caller: Caller<N>) -> Self {
        Out { effects: Effects::new(now, members), caller: Some(caller) }
    }

    /// The engine's blocking caller, for quick experiments; `None` outside the threaded engine.
    /// Only a handler has one: the worker it runs on may wait, because the reader routes the
    /// reply. Nodes in `nodes/` never block and use `Effects::rpc` instead.
    pub fn caller(&self) -> Option<&Caller<N>> {
        self.caller.as_ref()
    }
}

impl<N: Node> std::ops::Deref for Out<N> {
    type Target = Effects<N>;
    fn deref(&self) -> &Effects<N> {
        &self.effects
    }
}

impl<N: Node> std::ops::DerefMut for Out<N> {
    fn deref_mut(&mut self) -> &mut Effects<N> {
        &mut self.effects
    }
}

impl<N: Node> Effects<N> {
    /// No effects yet, at time `now` (time since the node started), for the node `members`
    /// describes.
    pub(crate) fn new(now: Duration, members: Arc<Members>) -> Self {
        Effects { now, members, effects: Vec::new() }
    }

    /// Time since the node started.
    pub fn now(&self) -> Duration {
        self.now
    }

    /// This node's id.
    pub fn me(&self) -> &NodeId {
        self.members.me()
    }

    /// Every other node of the cluster; iterating yields owned ids:
    /// `for peer in out.peers() { out.send(peer, ..) }`.
    pub fn peers(&self) -> Peers {
        self.members.peers()
    }

    /// Every node of the cluster, this one included, in Maelstrom's order.
    pub fn node_ids(&self) -> &[NodeId] {
        self.members.all()
    }

    /// Replies to a request: `to` is the request (`&msg`) or a [`ReplyTo`] kept from it. The
    /// body is any serializable value with a `type` field: one of the node's own `Body`
    /// variants, a reply enum of its own, or `json!({"type": "read_ok", "value": 3})`. A
    /// request without a `msg_id` expects no reply, so nothing is sent.
    pub fn reply(&mut self, to: impl Into<ReplyTo>, body: impl Serialize + 'static) {
        let to = to.into();
        let payload = payload(body).unwrap_or_else(|e| {
            crate::log_error!("cannot encode the reply to {}: {e}; answering with error 13", to.src);
            Payload::Error(RpcError::new(
                ErrorCode::Crash,
                format!("the node could not encode its reply: {e}"),
            ))
        });
        self.reply_payload(to, payload);
    }

    /// Replies with an `error` body.
    pub fn reply_error(&mut self, to: impl Into<ReplyTo>, error: RpcError) {
        self.reply_payload(to.into(), Payload::Error(error));
    }

    fn reply_payload(&mut self, to: ReplyTo, payload: Payload<N::Body>) {
        if let Some(id) = to.msg_id {
            self.effects.push(Effect::Send(Outgoing {
                dest: to.src,
                msg_id: None,
                in_reply_to: Some(id),
                payload,
            }));
        }
    }

    /// Sends a message that expects no reply; the body is any serializable value with a
    /// `type` field, as for [`reply`](Self::reply).
    pub fn send(&mut self, to: impl Into<NodeId>, body: impl Serialize + 'static) {
        let to = to.into();
        match payload(body) {
            Ok(payload) => self.effects.push(Effect::Send(Outgoing {
                dest: to,
                msg_id: None,
                in_reply_to: None,
                payload,
            })),
            Err(e) => crate::log_error!("cannot encode a message to {to}: {e}; not sent"),
        }
    }

    /// Sends `body` to every other node of the cluster (gossip), no reply expected; the body
    /// is serialized once.
    pub fn send_to_peers(&mut self, body: impl Serialize) {
        match json_body(&body) {
            Ok(json) => {
                for peer in self.peers() {
                    let payload = Payload::Json(json.clone());
                    self.effects.push(Effect::Send(Outgoing {
                        dest: peer,
                        msg_id: None,
                        in_reply_to: None,
                        payload,
                    }));
                }
            }
            Err(e) => crate::log_error!("cannot encode a message to the peers: {e}; not sent"),
        }
    }

    /// Sends a request and runs `then` with the reply decoded as this node's `Body`, or with
    /// error 0 (timeout) if none came within `timeout`. An `error` reply arrives as `Err`. To
    /// decode the reply as another type, use [`rpc_as`](Self::rpc_as).
    pub fn rpc<F>(
        &mut self,
        to: impl Into<NodeId>,
        body: impl Serialize + 'static,
        timeout: Duration,
        then: F,
    ) where
        F: FnOnce(&N, Result<N::Body, RpcError>, &mut Effects<N>) + Send + 'static,
    {
        match payload(body) {
            Ok(payload) => self.push_rpc(to.into(), payload, timeout, then),
            Err(e) => self.fail_rpc(to.into(), e, then),
        }
    }

    /// Runs `then` once, `delay` from now, on the timer (a continuation: it gets `Effects`).
    pub fn after<F>(&mut self, delay: Duration, then: F)
    where
        F: FnOnce(&N, &mut Effects<N>) + Send + 'static,
    {
        self.effects.push(Effect::Timer {
            after: delay,
            then: Box::new(move |n, _, out| then(n, out)),
            rearm: false,
        });
    }

    /// Runs `f` every `period` from now on, for as long as the node runs; any number of these
    /// run side by side with [`Node::on_tick`]. A panic in `f` skips that round only. A zero
    /// period is refused (with an error in the log): it would run forever at one instant.
    pub fn every<F>(&mut self, period: Duration, f: F)
    where
        F: Fn(&N, &mut Effects<N>) + Send + Sync + 'static,
    {
        if period.is_zero() {
            crate::log_error!("{}; the timer is not armed", ZeroTickPeriod);
            return;
        }
        self.arm(period, Arc::new(f), false);
    }

    /// Arms the next round of a periodic timer: the round re-arms itself before running `f`.
    fn arm<F>(&mut self, period: Duration, f: Arc<F>, rearm: bool)
    where
        F: Fn(&N, &mut Effects<N>) + Send + Sync + 'static,
    {
        let then: Continuation<N> = Box::new(move |node, _, out| {
            out.arm(period, f.clone(), true);
            f(node, out);
        });
        self.effects.push(Effect::Timer { after: period, then, rearm });
    }

    /// Sends a request of another protocol (a service's) and runs `then` with the reply decoded
    /// as `Resp`.
    pub fn rpc_as<Req, Resp, F>(&mut self, to: impl Into<NodeId>, req: &Req, timeout: Duration, then: F)
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        F: FnOnce(&N, Result<Resp, RpcError>, &mut Effects<N>) + Send + 'static,
    {
        match serde_json::to_string(req) {
            Ok(json) => self.push_rpc(to.into(), Payload::Json(json), timeout, then),
            Err(e) => self.fail_rpc(to.into(), e.to_string(), then),
        }
    }

    /// A request that cannot serialize is a bug in the node, not bad input: the call fails at
    /// once, so the node's own error path runs, and nothing is sent.
    fn fail_rpc<Resp, F>(&mut self, to: NodeId, error: String, then: F)
    where
        F: FnOnce(&N, Result<Resp, RpcError>, &mut Effects<N>) + Send + 'static,
    {
        let node_bug = RpcError::new(ErrorCode::Crash, format!("cannot encode request: {error}"));
        self.effects.push(Effect::Rpc {
            msg: Outgoing {
                dest: to,
                msg_id: None,
                in_reply_to: None,
                payload: Payload::Error(node_bug.clone()),
            },
            timeout: Duration::ZERO,
            then: Box::new(move |node, _, out| then(node, Err(node_bug), out)),
        });
    }

    fn push_rpc<Resp, F>(&mut self, to: NodeId, payload: Payload<N::Body>, timeout: Duration, then: F)
    where
        Resp: DeserializeOwned,
        F: FnOnce(&N, Result<Resp, RpcError>, &mut Effects<N>) + Send + 'static,
    {
        let then: Continuation<N> =
            Box::new(move |node, reply, out| then(node, reply.and_then(Reply::decode::<Resp>), out));
        self.effects.push(Effect::Rpc {
            msg: Outgoing { dest: to, msg_id: None, in_reply_to: None, payload },
            timeout,
            then,
        });
    }

    /// Whether the handler produced nothing.
    pub fn is_empty(&self) -> bool {
        self.effects.is_empty()
    }

    /// Takes the effects out: messages to send, with RPC requests numbered by `next_id` and
    /// their continuations handed to `register` (with their deadlines) before the message is
    /// returned, so a reply can never overtake its registration.
    pub(crate) fn drain(
        &mut self,
        mut next_id: impl FnMut() -> MsgId,
        mut register: impl FnMut(MsgId, NodeId, Duration, Continuation<N>),
        sent: &mut Vec<Outgoing<N::Body>>,
    ) {
        for effect in self.effects.drain(..) {
            match effect {
                Effect::Send(msg) => sent.push(msg),
                Effect::Rpc { mut msg, timeout, then } => {
                    let id = next_id();
                    if let Payload::Error(_) = msg.payload {
                        // A request that could not be encoded: fail it at once, send nothing.
                        register(id, msg.dest, Duration::ZERO, then);
                        continue;
                    }
                    msg.msg_id = Some(id);
                    register(id, msg.dest.clone(), self.now + timeout, then);
                    sent.push(msg);
                }
                // A timer is a call to nobody that only its deadline ends.
                Effect::Timer { after, then, .. } => {
                    register(next_id(), self.members.me().clone(), self.now + after, then)
                }
            }
        }
    }
}

/// Refuses a node whose tick period is zero (it would tick forever at one instant): every
/// driver answers its `init` with error 13 instead of running it.
pub(crate) fn checked_ticks<N: Node>(node: N) -> Result<N, RpcError> {
    match node.tick_every() {
        Some(every) if every.is_zero() => Err(RpcError::new(ErrorCode::Crash, ZeroTickPeriod.to_string())),
        _ => Ok(node),
    }
}

/// The tick schedule of `node` from `start`, if it ticks.
pub(crate) fn ticks<N: Node>(node: &N, start: Duration) -> Option<Ticks> {
    node.tick_every().and_then(|every| Ticks::start(start, every).ok())
}

/// Schedules `node`'s next tick on `ticks` once the tick due ran at `now` (whether or not it
/// panicked, so a tick that always panics does not run in a loop); a node whose period became
/// zero stops ticking, with an error in its log. The caller runs `Node::on_tick` itself, so the
/// drivers that survive a panic catch it there and the testkit lets it through.
pub(crate) fn next_tick<N: Node>(node: &N, ticks: &mut Option<Ticks>, now: Duration) {
    let Some(t) = ticks.as_mut() else { return };
    let next = node.tick_every().map(|every| t.ran(now, every));
    if !matches!(next, Some(Ok(()))) {
        if let Some(Err(e)) = next {
            crate::log_error!("{e}; no more ticks");
        }
        *ticks = None;
    }
}

/// A body as it goes on the wire: the node's own `Body` as it is (serialized by the writer),
/// anything else serialized here.
fn payload<B: 'static>(body: impl Serialize + 'static) -> Result<Payload<B>, String> {
    let mut slot = Some(body);
    if let Some(own) = (&mut slot as &mut dyn Any).downcast_mut::<Option<B>>().and_then(Option::take) {
        return Ok(Payload::Body(own));
    }
    json_body(&slot).map(Payload::Json)
}

/// A body serialized, checked to be an object with a `type` field.
fn json_body(body: &impl Serialize) -> Result<String, String> {
    let json = serde_json::to_string(body).map_err(|e| e.to_string())?;
    if !json.starts_with('{') || !json.contains("\"type\":") {
        return Err(format!(
            "a body must be a JSON object with a `type` field (is the enum `#[serde(tag = \"type\")]`?), not {json}"
        ));
    }
    Ok(json)
}

/// What every driver checks before it runs a node: that `N::Body` reads Maelstrom's bodies,
/// which carry their kind in a `type` field. An enum without `#[serde(tag = "type")]` would
/// compile and then fail every request with error 12; this catches it at start-up. Variant
/// names that are not snake_case (Maelstrom's are) only get a warning in the log.
///
/// # Errors
/// The message to stop with, naming the fix.
pub(crate) fn check_body<N: Node>() -> Result<(), String> {
    const PROBE: &str = "glomers-start-up-probe";
    let Err(e) = serde_json::from_str::<N::Body>(&format!(r#"{{"type":"{PROBE}"}}"#)) else { return Ok(()) };
    let text = e.to_string();
    if text.contains("unknown variant `type`") || text.contains("expected enum") {
        return Err(format!(
            "the body type {} is not tagged by `type`: add `#[serde(tag = \"type\", rename_all = \"snake_case\")]` \
             to it ({text})",
            std::any::type_name::<N::Body>()
        ));
    }
    if let Some(expected) = text.split_once(&format!("unknown variant `{PROBE}`")).map(|(_, rest)| rest) {
        if expected.chars().any(|c| c.is_ascii_uppercase()) {
            crate::log_error!(
                "the body type {} has variants that are not snake_case{expected}; Maelstrom's types are \
                 (add `rename_all = \"snake_case\"`)",
                std::any::type_name::<N::Body>()
            );
        }
    }
    Ok(())
}
