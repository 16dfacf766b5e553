//! A client for Maelstrom's key-value services, `seq-kv`, `lin-kv` and `lww-kv` (§4.1).
//!
//! Every operation is an RPC with a continuation; errors arrive typed by `ErrorCode`
//! (20 key-does-not-exist, 22 precondition-failed, 0 timeout, ...). Remember §4.3: `seq-kv`
//! serves stale reads and stale cas failures on purpose; §4.4: `lww-kv` never converges.

use crate::error::RpcError;
use crate::message::NodeId;
use crate::node::{Effects, Node};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Requests the services understand.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum KvRequest<K, V> {
    /// Read a key.
    Read {
        /// The key.
        key: K,
    },
    /// Write a key, creating it if missing.
    Write {
        /// The key.
        key: K,
        /// The new value.
        value: V,
    },
    /// Compare and set.
    Cas {
        /// The key.
        key: K,
        /// The value the key must hold.
        from: V,
        /// The value to store.
        to: V,
        /// Create a missing key with `to` (ignored by `lww-kv`).
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        create_if_not_exists: bool,
    },
}

#[derive(Deserialize)]
struct ReadOk<V> {
    value: V,
}

#[derive(Deserialize)]
struct Ack {}

/// One of the key-value services.
#[derive(Clone, Debug)]
pub struct Kv {
    service: NodeId,
    timeout: Duration,
}

impl Kv {
    /// How long a call waits for its reply by default.
    pub const TIMEOUT: Duration = Duration::from_secs(1);

    /// The sequentially consistent store (stale reads, §4.3).
    pub fn seq() -> Self {
        Self::named("seq-kv")
    }

    /// The linearizable store (§4.2).
    pub fn lin() -> Self {
        Self::named("lin-kv")
    }

    /// The last-write-wins store (never converges, §4.4).
    pub fn lww() -> Self {
        Self::named("lww-kv")
    }

    /// A service by name.
    pub fn named(service: &str) -> Self {
        Kv { service: NodeId::new(service), timeout: Self::TIMEOUT }
    }

    /// The same service with another call timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The service's id.
    pub fn service(&self) -> &NodeId {
        &self.service
    }

    /// Reads `key`; `then` gets the value, or error 20 if the key does not exist.
    pub fn read<N, K, V, F>(&self, out: &mut Effects<N>, key: K, then: F)
    where
        N: Node,
        K: Serialize,
        V: DeserializeOwned,
        F: FnOnce(&N, Result<V, RpcError>, &mut Effects<N>) + Send + 'static,
    {
        let req: KvRequest<K, ()> = KvRequest::Read { key };
        out.rpc_as(self.service.clone(), &req, self.timeout, move |n, r: Result<ReadOk<V>, RpcError>, o| {
            then(n, r.map(|ok| ok.value), o)
        });
    }

    /// Writes `value` to `key`.
    pub fn write<N, K, V, F>(&self, out: &mut Effects<N>, key: K, value: V, then: F)
    where
        N: Node,
        K: Serialize,
        V: Serialize,
        F: FnOnce(&N, Result<(), RpcError>, &mut Effects<N>) + Send + 'static,
    {
        let req = KvRequest::Write { key, value };
        out.rpc_as(self.service.clone(), &req, self.timeout, move |n, r: Result<Ack, RpcError>, o| {
            then(n, r.map(|_| ()), o)
        });
    }

    /// Sets `key` to `to` if it holds `from` (error 22 otherwise, 20 if missing unless
    /// `create_if_not_exists`).
    pub fn cas<N, K, V, F>(
        &self,
        out: &mut Effects<N>,
        key: K,
        from: V,
        to: V,
        create_if_not_exists: bool,
        then: F,
    ) where
        N: Node,
        K: Serialize,
        V: Serialize,
        F: FnOnce(&N, Result<(), RpcError>, &mut Effects<N>) + Send + 'static,
    {
        let req = KvRequest::Cas { key, from, to, create_if_not_exists };
        out.rpc_as(self.service.clone(), &req, self.timeout, move |n, r: Result<Ack, RpcError>, o| {
            then(n, r.map(|_| ()), o)
        });
    }
}

#[cfg(all(test, feature = "testkit"))]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::testkit::TestNode;
    use crate::{Init, Message, Out};
    use parking_lot::Mutex;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Body {
        Go,
    }

    /// Records what each KV call returned.
    #[derive(Default)]
    struct Probe {
        seen: Mutex<Vec<Result<Option<i64>, ErrorCode>>>,
    }

    impl Node for Probe {
        type Body = Body;
        fn init(_: &Init) -> Result<Self, RpcError> {
            Ok(Probe::default())
        }
        fn on_message(&self, _: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
            let kv = Kv::seq();
            kv.read(out, "k", |p: &Probe, r: Result<i64, RpcError>, _| {
                p.seen.lock().push(r.map(Some).map_err(|e| e.code))
            });
            kv.write(out, "k", 5, |p: &Probe, r, _| p.seen.lock().push(r.map(|()| None).map_err(|e| e.code)));
            kv.cas(out, "k", 1, 2, true, |p: &Probe, r, _| {
                p.seen.lock().push(r.map(|()| None).map_err(|e| e.code))
            });
            Ok(())
        }
    }

    #[test]
    fn requests_match_the_service_api_and_replies_come_back_typed() {
        let mut t = TestNode::<Probe>::new("n1", &["n1"]);
        let sent = t.request("c1", Body::Go);
        let bodies: Vec<String> = sent.iter().map(|m| t.body_json(m)).collect();
        assert_eq!(
            bodies,
            [
                r#"{"type":"read","key":"k","msg_id":1}"#,
                r#"{"type":"write","key":"k","value":5,"msg_id":2}"#,
                r#"{"type":"cas","key":"k","from":1,"to":2,"create_if_not_exists":true,"msg_id":3}"#,
            ]
        );
        t.reply_json(1, "seq-kv", r#"{"type":"read_ok","value":7}"#);
        t.reply_json(2, "seq-kv", r#"{"type":"write_ok"}"#);
        t.reply_json(3, "seq-kv", r#"{"type":"error","code":22,"text":"current value 5 is not 1"}"#);
        assert_eq!(*t.node().seen.lock(), [Ok(Some(7)), Ok(None), Err(ErrorCode::PreconditionFailed)]);
    }

    #[test]
    fn a_missing_key_and_a_silent_service_are_typed_errors() {
        let mut t = TestNode::<Probe>::new("n1", &["n1"]);
        t.request("c1", Body::Go);
        t.reply_json(1, "seq-kv", r#"{"type":"error","code":20,"text":"key does not exist"}"#);
        t.advance(Kv::TIMEOUT * 2);
        assert_eq!(
            *t.node().seen.lock(),
            [Err(ErrorCode::KeyDoesNotExist), Err(ErrorCode::Timeout), Err(ErrorCode::Timeout)]
        );
    }
}
