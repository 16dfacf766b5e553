//! The services that are always running (MAELSTROM.md §4): `lin-kv`, `seq-kv`, `lww-kv` and
//! `lin-tso`. Each is a plain value that answers one request at a time; the run sends the reply
//! back through the network with latency.

pub mod kv;
mod seq_kv;

pub use seq_kv::SeqKv;

use crate::core::rng::Rng;
use crate::core::wire::Body;
use kv::KvState;
use serde_json::{json, Value};

/// The names of the services, in the order they are registered on the network.
pub const NAMES: [&str; 4] = ["lin-kv", "seq-kv", "lww-kv", "lin-tso"];

/// One service.
pub enum Service {
    /// Linearizable key-value store: one state (§4.2).
    LinKv(KvState),
    /// Sequential key-value store with stale reads (§4.3).
    SeqKv(SeqKv),
    /// Two replicas that never merge (§4.4).
    LwwKv {
        /// The replicas.
        replicas: [KvState; 2],
        /// Picks the replica for each request.
        rng: Rng,
    },
    /// Timestamp oracle counting from 0 (§4.5).
    LinTso(u64),
}

impl Service {
    /// The service called `name`, if there is one.
    pub fn named(name: &str, rng: Rng) -> Option<Service> {
        Some(match name {
            "lin-kv" => Service::LinKv(KvState::default()),
            "seq-kv" => Service::SeqKv(SeqKv::new(rng)),
            "lww-kv" => Service::LwwKv { replicas: [KvState::default(), KvState::default()], rng },
            "lin-tso" => Service::LinTso(0),
            _ => return None,
        })
    }

    /// Handles a request from `src`; the reply body carries `in_reply_to` (the request's
    /// `msg_id`, or null) and no `msg_id`. Unknown request types get no reply.
    pub fn handle(&mut self, src: &str, req: &Body) -> Option<Body> {
        let mut reply = match self {
            Service::LinKv(state) => state.apply(req, true)?.reply,
            Service::SeqKv(s) => s.handle(src, req)?,
            Service::LwwKv { replicas, rng } => {
                let i = rng.index(replicas.len());
                replicas.get_mut(i)?.apply(req, false)?.reply
            }
            Service::LinTso(next) => {
                if req.get("type").and_then(Value::as_str) != Some("ts") {
                    return None;
                }
                let mut b = Body::new();
                b.insert("type".into(), json!("ts_ok"));
                b.insert("ts".into(), json!(*next));
                *next += 1;
                b
            }
        };
        reply.insert("in_reply_to".into(), req.get("msg_id").cloned().unwrap_or(Value::Null));
        Some(reply)
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
