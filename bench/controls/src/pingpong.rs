//! The `pingpong` load control: a correct echo whose nodes keep [`PINGS_IN_FLIGHT`] pings in
//! flight to every peer, each bounced straight back, to measure how fast the workbench routes
//! messages between nodes.

use glomers_engine::{Effects, Init, Message, Node, NodeId, Out, RpcError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Pings each node keeps in flight to every peer.
pub const PINGS_IN_FLIGHT: usize = 64;

/// When the pings start: on the first tick, once every peer has had time to handle `init`
/// (the engine drops a message that reaches a node before its `init`, which would end that
/// ping's chain).
const START_AFTER: Duration = Duration::from_millis(100);

/// Bodies: echo's, plus the ping between nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// A request to echo `echo`.
    Echo {
        /// Any JSON value.
        echo: Value,
    },
    /// The answer.
    EchoOk {
        /// The value from the request.
        echo: Value,
    },
    /// One ping; the receiver sends one back.
    Ping,
}

/// A pingpong node.
pub struct PingPong {
    peers: Vec<NodeId>,
    started: AtomicBool,
}

impl Node for PingPong {
    type Body = Body;

    fn init(init: &Init) -> Result<Self, RpcError> {
        Ok(PingPong { peers: crate::peers(init), started: AtomicBool::new(false) })
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        match msg.body {
            Body::Echo { echo } => out.reply((msg.src, msg.msg_id), Body::EchoOk { echo }),
            Body::Ping => out.send(msg.src, Body::Ping),
            Body::EchoOk { .. } => return Err(RpcError::not_supported("echo_ok is a reply, not a request")),
        }
        Ok(())
    }

    fn tick_every(&self) -> Option<Duration> {
        Some(START_AFTER)
    }

    fn on_tick(&self, out: &mut Effects<Self>) {
        if self.started.swap(true, Ordering::Relaxed) {
            return;
        }
        for p in &self.peers {
            for _ in 0..PINGS_IN_FLIGHT {
                out.send(p.clone(), Body::Ping);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::Probe;
    use crate::Control;
    use serde_json::json;
    use std::time::Duration;

    #[test]
    fn pings_start_on_the_first_tick_and_bounce() {
        let mut p = Probe::new(Control::PingPong.factory(), "n0", &["n0", "n1"]);
        let burst = p.advance(Duration::from_millis(250));
        assert_eq!(burst.len(), super::PINGS_IN_FLIGHT);
        assert!(burst.iter().all(|m| *m == json!({"src": "n0", "dest": "n1", "body": {"type": "ping"}})));
        assert!(p.advance(Duration::from_millis(500)).is_empty(), "one burst only");
        let back = p.line(&json!({"src": "n1", "dest": "n0", "body": {"type": "ping"}}));
        assert_eq!(back, [json!({"src": "n0", "dest": "n1", "body": {"type": "ping"}})]);
    }
}
