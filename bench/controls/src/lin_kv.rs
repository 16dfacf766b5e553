//! The lin-kv controls (docs/protocol.md §7.7). No node of `nodes/` implements lin-kv yet, so
//! the message types are declared here.
//!
//! - Correct: every request is passed on to the `lin-kv` service (§4.2) and its answer back,
//!   so the store is linearizable whatever the network does between nodes.
//! - [`StaleRead`]: writes and cas go to the service, and a node that made one tells its peers
//!   the new value; reads are answered from what the node has heard, without asking anyone. A
//!   partition, or a read that overtakes the news, gives a stale read.
//! - [`LostWrite`]: every [`LOSE_EVERY`]th write a node receives is acknowledged and dropped.
//! - [`DoubleCas`]: every successful cas is applied to the service a second time
//!   [`AGAIN_AFTER`] later, as a retry that was not deduplicated would; when the register has
//!   come back to the cas's `from` value by then, it moves again behind every client's back.

use crate::Flawed;
use glomers_engine::{Effects, Init, Kv, Message, Node, NodeId, Out, RpcError};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::time::Duration;

flaws! {
    /// Reads are answered from local state, without a quorum.
    StaleRead,
    /// Some acknowledged writes are never performed.
    LostWrite,
    /// A successful cas is applied twice.
    DoubleCas,
}

/// [`LostWrite`] drops every this-many-th write.
pub const LOSE_EVERY: u64 = 5;

/// [`DoubleCas`] applies a cas again this long after it succeeded.
pub const AGAIN_AFTER: Duration = Duration::from_millis(200);

/// The lin-kv messages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// Read a key.
    Read {
        /// The key.
        key: Value,
    },
    /// Its value.
    ReadOk {
        /// The value.
        value: Value,
    },
    /// Write a key.
    Write {
        /// The key.
        key: Value,
        /// The value.
        value: Value,
    },
    /// The write is done.
    WriteOk,
    /// Set `key` to `to` if it holds `from`.
    Cas {
        /// The key.
        key: Value,
        /// The expected value.
        from: Value,
        /// The new value.
        to: Value,
    },
    /// The cas is done.
    CasOk,
    /// [`StaleRead`] between nodes: `key` now holds `value`.
    Learn {
        /// The key.
        key: Value,
        /// Its new value.
        value: Value,
    },
}

/// What a node keeps.
#[derive(Default)]
struct State {
    /// [`StaleRead`]: the values heard of, by key text.
    heard: HashMap<String, Value>,
    /// [`LostWrite`]: writes received.
    writes: u64,
    /// [`DoubleCas`]: cas to apply again, with when.
    again: Vec<(Duration, Value, Value, Value)>,
}

/// A lin-kv node with flaw `F` (or none).
pub struct LinKv<F> {
    peers: Vec<NodeId>,
    state: Mutex<State>,
    flaw: PhantomData<F>,
}

impl<F: Flawed<Flaw>> LinKv<F> {
    /// [`StaleRead`]: remembers that `key` holds `value` and tells every peer.
    fn learned(&self, key: &Value, value: &Value, out: &mut Effects<Self>) {
        if F::FLAW != Some(Flaw::StaleRead) {
            return;
        }
        self.state.lock().heard.insert(key.to_string(), value.clone());
        for p in &self.peers {
            out.send(p.clone(), Body::Learn { key: key.clone(), value: value.clone() });
        }
    }
}

impl<F: Flawed<Flaw>> Node for LinKv<F> {
    type Body = Body;

    fn init(init: &Init) -> Result<Self, RpcError> {
        Ok(LinKv { peers: crate::peers(init), state: Mutex::new(State::default()), flaw: PhantomData })
    }

    fn tick_every(&self) -> Option<Duration> {
        (F::FLAW == Some(Flaw::DoubleCas)).then_some(Duration::from_millis(50))
    }

    fn on_tick(&self, out: &mut Effects<Self>) {
        let now = out.now();
        let due: Vec<(Duration, Value, Value, Value)> = {
            let mut s = self.state.lock();
            let (due, later) = std::mem::take(&mut s.again).into_iter().partition(|a| a.0 <= now);
            s.again = later;
            due
        };
        for (_, key, from, to) in due {
            Kv::lin().cas(out, key, from, to, false, |_: &Self, _, _| {});
        }
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        let (to, msg_id) = (msg.src, msg.msg_id);
        match msg.body {
            Body::Read { key } => {
                if F::FLAW == Some(Flaw::StaleRead) {
                    if let Some(v) = self.state.lock().heard.get(&key.to_string()).cloned() {
                        out.reply((to, msg_id), Body::ReadOk { value: v });
                        return Ok(());
                    }
                }
                Kv::lin().read(out, key, move |_: &Self, r: Result<Value, RpcError>, out| match r {
                    Ok(value) => out.reply((to, msg_id), Body::ReadOk { value }),
                    Err(e) => out.reply_error((to, msg_id), e),
                });
            }
            Body::Write { key, value } => {
                let lost = F::FLAW == Some(Flaw::LostWrite) && {
                    let mut s = self.state.lock();
                    s.writes += 1;
                    s.writes.is_multiple_of(LOSE_EVERY)
                };
                if lost {
                    out.reply((to, msg_id), Body::WriteOk);
                    return Ok(());
                }
                let (k, v) = (key.clone(), value.clone());
                Kv::lin().write(out, key, value, move |node: &Self, r, out| match r {
                    Ok(()) => {
                        node.learned(&k, &v, out);
                        out.reply((to, msg_id), Body::WriteOk);
                    }
                    Err(e) => out.reply_error((to, msg_id), e),
                });
            }
            Body::Cas { key, from, to: new } => {
                let (k, f, v) = (key.clone(), from.clone(), new.clone());
                Kv::lin().cas(out, key, from, new, false, move |node: &Self, r, out| match r {
                    Ok(()) => {
                        node.learned(&k, &v, out);
                        if F::FLAW == Some(Flaw::DoubleCas) {
                            let at = out.now() + AGAIN_AFTER;
                            node.state.lock().again.push((at, k, f, v));
                        }
                        out.reply((to, msg_id), Body::CasOk);
                    }
                    Err(e) => out.reply_error((to, msg_id), e),
                });
            }
            Body::Learn { key, value } => {
                self.state.lock().heard.insert(key.to_string(), value);
            }
            Body::ReadOk { .. } | Body::WriteOk | Body::CasOk => {
                return Err(RpcError::not_supported("a reply type, not a request"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{bodies, Probe};
    use crate::Control;
    use serde_json::json;

    /// What the control sent to the lin-kv service, as bodies without msg_id.
    fn to_service(out: &[serde_json::Value]) -> Vec<serde_json::Value> {
        out.iter()
            .filter(|m| m["dest"] == "lin-kv")
            .map(|m| {
                let mut b = m["body"].clone();
                if let Some(o) = b.as_object_mut() {
                    o.remove("msg_id");
                }
                b
            })
            .collect()
    }

    #[test]
    fn the_correct_control_passes_each_request_to_lin_kv_and_its_answer_back() {
        let mut p = Probe::new(Control::LinKv.factory(), "n0", &["n0", "n1"]);
        let out = p.request("c1", 1, json!({"type": "cas", "key": 2, "from": 1, "to": 3}));
        assert_eq!(to_service(&out), [json!({"type": "cas", "key": 2, "from": 1, "to": 3})]);
        let id = out[0]["body"]["msg_id"].clone();
        let back = p.line(&json!({"src": "lin-kv", "dest": "n0", "body": {"type": "error", "code": 22, "text": "no", "in_reply_to": id}}));
        assert_eq!(bodies(&back), [json!({"type": "error", "code": 22, "text": "no"})]);
    }

    #[test]
    fn the_stale_control_reads_what_it_heard_and_the_lossy_one_drops_a_write() {
        let mut p = Probe::new(Control::LinKvStale.factory(), "n0", &["n0", "n1"]);
        p.request("n1", 1, json!({"type": "learn", "key": 4, "value": 2}));
        let out = p.request("c1", 2, json!({"type": "read", "key": 4}));
        assert_eq!(bodies(&out), [json!({"type": "read_ok", "value": 2})], "answered without asking");
        let mut p = Probe::new(Control::LinKvLostWrite.factory(), "n0", &["n0"]);
        let sent: usize = (1..=5)
            .map(|i| to_service(&p.request("c1", i, json!({"type": "write", "key": 1, "value": i}))).len())
            .sum();
        assert_eq!(sent, 4, "the 5th write never reached the service");
    }

    #[test]
    fn the_double_cas_control_applies_a_successful_cas_again_later() {
        let mut p = Probe::new(Control::LinKvDoubleCas.factory(), "n0", &["n0"]);
        let out = p.request("c1", 1, json!({"type": "cas", "key": 2, "from": 1, "to": 3}));
        let id = out[0]["body"]["msg_id"].clone();
        let back =
            p.line(&json!({"src": "lin-kv", "dest": "n0", "body": {"type": "cas_ok", "in_reply_to": id}}));
        assert_eq!(bodies(&back), [json!({"type": "cas_ok"})]);
        let again = p.advance(super::AGAIN_AFTER + std::time::Duration::from_millis(60));
        assert_eq!(to_service(&again), [json!({"type": "cas", "key": 2, "from": 1, "to": 3})]);
    }
}
