//! Maelstrom's services by name, as the network addresses them (docs/protocol.md §4): each
//! answers a request body with a reply body carrying `in_reply_to` (the request's `msg_id`, or
//! `null`) and no `msg_id`.

use crate::kv::{Body, LinKv, LinTso, LwwKv, SeqKv};
use crate::Rng;
use serde_json::Value;

/// The names of the services, in the order a network registers them.
pub const NAMES: [&str; 4] = ["lin-kv", "seq-kv", "lww-kv", "lin-tso"];

/// One service.
#[derive(Debug)]
pub enum Service {
    /// Linearizable key-value store (§4.2).
    LinKv(LinKv),
    /// Sequential key-value store with stale reads (§4.3).
    SeqKv(SeqKv),
    /// Two replicas that never merge (§4.4).
    LwwKv(LwwKv),
    /// Timestamp oracle (§4.5).
    LinTso(LinTso),
}

impl Service {
    /// The service called `name`, drawing its random choices from `rng`; `None` if there is no
    /// such service.
    pub fn named(name: &str, rng: Rng) -> Option<Service> {
        Some(match name {
            "lin-kv" => Service::LinKv(LinKv::default()),
            "seq-kv" => Service::SeqKv(SeqKv::new(rng)),
            "lww-kv" => Service::LwwKv(LwwKv::new(rng)),
            "lin-tso" => Service::LinTso(LinTso::default()),
            _ => return None,
        })
    }

    /// Handles a request from `caller`: the reply with `in_reply_to`, or `None` for a request
    /// type the service does not know (it stays silent).
    pub fn handle(&mut self, caller: &str, req: &Body) -> Option<Body> {
        let mut reply = match self {
            Service::LinKv(s) => s.handle(req),
            Service::SeqKv(s) => s.handle(caller, req),
            Service::LwwKv(s) => s.handle(req),
            Service::LinTso(s) => s.handle(req),
        }?;
        reply.insert("in_reply_to".into(), req.get("msg_id").cloned().unwrap_or(Value::Null));
        Some(reply)
    }
}

/// Every service, addressed by name: what a simulated network answers service calls with.
#[derive(Debug)]
pub struct Services {
    /// In the order of [`NAMES`].
    all: Vec<Service>,
}

impl Services {
    /// Fresh, empty services; each draws from its own generator forked from `rng`, in the
    /// order of [`NAMES`].
    pub fn new(rng: &mut Rng) -> Self {
        let all = NAMES.iter().filter_map(|name| Service::named(name, rng.fork())).collect();
        Services { all }
    }

    /// Whether `name` is one of the services.
    pub fn is_service(name: &str) -> bool {
        NAMES.contains(&name)
    }

    /// The service called `name`.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Service> {
        let i = NAMES.iter().position(|n| *n == name)?;
        self.all.get_mut(i)
    }

    /// `seq-kv`, to inspect what it holds.
    pub fn seq_kv(&self) -> Option<&SeqKv> {
        self.all.iter().find_map(|s| match s {
            Service::SeqKv(kv) => Some(kv),
            _ => None,
        })
    }

    /// Answers the request `req` that `caller` sent to the service called `name` (see
    /// [`Service::handle`]); `None` when there is no such service or it stays silent.
    pub fn handle(&mut self, name: &str, caller: &str, req: &Body) -> Option<Body> {
        self.get_mut(name)?.handle(caller, req)
    }
}

#[cfg(test)]
mod tests;
