//! Calls in flight: each RPC's continuation or blocked caller, keyed by the request's `msg_id`.
//!
//! Replies are routed here by the reader thread and timeouts by the timer thread, so a worker
//! blocked in `Caller::call` is woken without needing a free worker: the pool cannot deadlock.
//!
//! The single-threaded drivers keep their calls in the harness's `CallTable`; this table is the
//! threaded engine's own on purpose (a concurrent map, reached from three threads, with blocked
//! callers as well as continuations). Both follow the same rule: a reply counts only from the
//! peer that was called.

use crate::codec::Reply;
use crate::error::{ErrorCode, RpcError};
use crate::message::{MsgId, NodeId};
use crate::node::{guard, Continuation, Node, Outgoing, Payload};
use crate::runtime::{Running, Shared};
use crossbeam_channel::{bounded, Sender};
use dashmap::DashMap;
use parking_lot::Mutex;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Who is waiting for a reply.
pub(crate) enum Waiter<N: Node> {
    /// A handler's continuation, run where the reply is routed. The mutex only makes the
    /// table `Sync`; a continuation is taken out whole, never shared.
    Then(Mutex<Continuation<N>>),
    /// A thread blocked in `Caller::call`.
    Blocked(Sender<Result<String, RpcError>>),
}

/// One call in flight.
pub(crate) struct Pending<N: Node> {
    /// Only a reply from the peer we asked counts.
    peer: NodeId,
    waiter: Waiter<N>,
}

/// The table of calls in flight and the counter that numbers this node's messages.
pub(crate) struct Calls<N: Node> {
    pending: DashMap<u64, Pending<N>>,
    next: AtomicU64,
}

impl<N: Node> Calls<N> {
    pub(crate) fn new() -> Self {
        Calls { pending: DashMap::new(), next: AtomicU64::new(1) }
    }

    /// A fresh `msg_id`.
    pub(crate) fn next_id(&self) -> MsgId {
        MsgId(self.next.fetch_add(1, Ordering::Relaxed))
    }

    pub(crate) fn insert(&self, id: MsgId, peer: NodeId, waiter: Waiter<N>) {
        self.pending.insert(id.0, Pending { peer, waiter });
    }

    /// Takes the waiter of call `id` if `from` is the peer it was sent to.
    pub(crate) fn take_reply(&self, id: MsgId, from: &NodeId) -> Option<Waiter<N>> {
        self.pending.remove_if(&id.0, |_, p| p.peer == *from).map(|(_, p)| p.waiter)
    }

    /// Takes the waiter of call `id` whatever the peer (its deadline passed).
    pub(crate) fn take(&self, id: MsgId) -> Option<Waiter<N>> {
        self.pending.remove(&id.0).map(|(_, p)| p.waiter)
    }

    /// How many calls are in flight.
    pub(crate) fn len(&self) -> usize {
        self.pending.len()
    }
}

/// Finishes a call with its reply (or error): runs the continuation with fresh `Effects` and
/// dispatches what it produced, or hands the reply to the blocked caller.
pub(crate) fn finish<N: Node>(
    shared: &Shared<N>,
    running: &Running<N>,
    waiter: Waiter<N>,
    reply: Result<Reply<'_>, RpcError>,
) {
    match waiter {
        Waiter::Then(then) => {
            let then = then.into_inner();
            let mut out = shared.effects(running);
            if guard("a continuation", || then(&running.node, reply, &mut out)).is_none() {
                out.clear();
            }
            shared.dispatch(running.members.me(), &mut out);
        }
        Waiter::Blocked(tx) => {
            // The caller may have given up already; then nobody needs the reply.
            let reply = reply.and_then(|r| match r.error() {
                Some(e) => Err(e),
                None => Ok(r.body_json()),
            });
            let _ = tx.send(reply);
        }
    }
}

/// Makes blocking calls from a handler, for quick experiments: the calling worker waits, and
/// the reader thread delivers the reply to it directly. Nodes in `nodes/` use `Effects::rpc`.
pub struct Caller<N: Node> {
    shared: Arc<Shared<N>>,
    /// The node the calls are sent from.
    me: NodeId,
}

impl<N: Node> Clone for Caller<N> {
    fn clone(&self) -> Self {
        Caller { shared: self.shared.clone(), me: self.me.clone() }
    }
}

impl<N: Node> Caller<N> {
    pub(crate) fn new(shared: Arc<Shared<N>>, me: NodeId) -> Self {
        Caller { shared, me }
    }

    /// Sends `body` to `to` and waits up to `timeout` for the reply.
    ///
    /// # Errors
    /// The peer's `error` reply, error 0 after `timeout`, or error 13 for an undecodable reply.
    pub fn call(&self, to: NodeId, body: N::Body, timeout: Duration) -> Result<N::Body, RpcError> {
        self.call_payload(to, Payload::Body(body), timeout)
    }

    /// Like `call`, for a request of another protocol (a service's).
    ///
    /// # Errors
    /// As `call`, and error 13 when `req` cannot be encoded.
    pub fn call_as<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        to: NodeId,
        req: &Req,
        timeout: Duration,
    ) -> Result<Resp, RpcError> {
        let json = serde_json::to_string(req)
            .map_err(|e| RpcError::new(ErrorCode::Crash, format!("cannot encode request: {e}")))?;
        self.call_payload(to, Payload::Json(json), timeout)
    }

    fn call_payload<Resp: DeserializeOwned>(
        &self,
        to: NodeId,
        payload: Payload<N::Body>,
        timeout: Duration,
    ) -> Result<Resp, RpcError> {
        let (tx, rx) = bounded(1);
        let id = self.shared.calls.next_id();
        self.shared.calls.insert(id, to.clone(), Waiter::Blocked(tx));
        // While any caller waits, the reader keeps reading even if the workers' queue is full,
        // so the reply this caller needs can always be read.
        let _blocked = self.shared.admission.caller_blocked();
        self.shared.send(&self.me, vec![Outgoing { dest: to, msg_id: Some(id), in_reply_to: None, payload }]);
        let reply = rx.recv_timeout(timeout);
        let reply = match reply {
            Ok(reply) => reply,
            Err(_) => {
                self.shared.calls.take(id);
                return Err(RpcError::timeout(format!("no reply to msg {id} within {timeout:?}")));
            }
        };
        let mut body = reply?.into_bytes();
        simd_json::serde::from_slice(&mut body)
            .map_err(|e| RpcError::new(ErrorCode::Crash, format!("undecodable reply: {e}")))
    }
}
