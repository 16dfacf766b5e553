//! Challenge 1, `echo` (docs/protocol.md §7.1): answer every `echo` with the same value.

use glomers_engine::{Init, Message, Node, Out, RpcError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Bodies of the echo workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    /// A request to echo `echo`.
    Echo {
        /// Any JSON value; Maelstrom sends a string.
        echo: Value,
    },
    /// The answer, carrying the value exactly as received.
    EchoOk {
        /// The value from the request.
        echo: Value,
    },
}

/// The echo node: stateless.
pub struct Echo;

impl Node for Echo {
    type Body = Body;

    fn init(_: &Init) -> Result<Self, RpcError> {
        Ok(Echo)
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        match msg.body {
            Body::Echo { echo } => {
                out.reply((msg.src, msg.msg_id), Body::EchoOk { echo });
                Ok(())
            }
            Body::EchoOk { .. } => Err(RpcError::not_supported("echo_ok is a reply, not a request")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glomers_engine::testkit::TestNode;

    #[test]
    fn echoes_the_exact_value_with_nothing_else_in_the_body() {
        let mut t = TestNode::<Echo>::new("n0", &["n0"]);
        for echo in [r#""Please echo 35""#, "1.0", "1", r#"{"a":[1,null]}"#] {
            let echo: Value = serde_json::from_str(echo).unwrap();
            let sent = t.request("c1", Body::Echo { echo: echo.clone() });
            assert_eq!(sent.len(), 1);
            assert_eq!(sent[0].dest, "c1");
            let body: Value = serde_json::from_str(&t.body_json(&sent[0])).unwrap();
            let want = serde_json::json!({"type": "echo_ok", "echo": echo, "in_reply_to": sent[0].in_reply_to.unwrap().0});
            assert_eq!(body, want);
        }
        let sent = t.request("c1", Body::Echo { echo: serde_json::json!(1.0) });
        assert!(t.body_json(&sent[0]).contains(r#""echo":1.0"#), "1.0 must stay a float");
    }

    #[test]
    fn an_echo_ok_sent_as_a_request_is_not_supported() {
        let mut t = TestNode::<Echo>::new("n0", &["n0"]);
        let sent = t.request("c1", Body::EchoOk { echo: Value::Null });
        assert_eq!(
            t.body_json(&sent[0]),
            r#"{"type":"error","code":10,"text":"echo_ok is a reply, not a request","in_reply_to":1}"#
        );
    }
}
