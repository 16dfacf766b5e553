//! The echo controls (docs/protocol.md §7.1): the correct echo, and three broken on purpose,
//! one wrong answer, one malformed answer and one answer too late for its client.

use crate::Flawed;
use glomers_engine::{Effects, Init, Message, MsgId, Node, NodeId, Out, RpcError};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::marker::PhantomData;
use std::time::Duration;

flaws! {
    /// Answers every echo with the text "something else".
    WrongText,
    /// Adds a `note` key, which `echo_ok` does not have, to every answer.
    ExtraKey,
    /// Holds its first echo for [`HOLD_FOR`], past the client's 5 s timeout.
    Late,
}

/// How long [`Late`] holds its first echo: past the client's 5 s timeout (docs/protocol.md §2.5).
pub const HOLD_FOR: Duration = Duration::from_millis(5500);

/// How often [`Late`] checks whether its held echo is due.
const CHECK_EVERY: Duration = Duration::from_millis(100);

/// Bodies of the echo workload.
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
        /// The value from the request (or not, in [`WrongText`]).
        echo: Value,
        /// Set only by [`ExtraKey`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
}

/// [`Late`]'s first echo.
enum Held {
    /// No echo yet.
    Waiting,
    /// The first echo, from `to` numbered `msg_id`, that arrived at `since`.
    Holding { to: NodeId, msg_id: Option<MsgId>, echo: Value, since: Duration },
    /// Answered; later echoes are answered at once.
    Done,
}

/// An echo node with flaw `F` (or none: [`crate::Correct`]).
pub struct Echo<F> {
    held: Mutex<Held>,
    flaw: PhantomData<F>,
}

impl<F: Flawed<Flaw>> Echo<F> {
    /// The answer to an echo of `echo`.
    fn answer(echo: Value) -> Body {
        match F::FLAW {
            Some(Flaw::WrongText) => Body::EchoOk { echo: Value::from("something else"), note: None },
            Some(Flaw::ExtraKey) => Body::EchoOk { echo, note: Some("hi".to_owned()) },
            Some(Flaw::Late) | None => Body::EchoOk { echo, note: None },
        }
    }
}

impl<F: Flawed<Flaw>> Node for Echo<F> {
    type Body = Body;

    fn init(_: &Init) -> Result<Self, RpcError> {
        Ok(Echo { held: Mutex::new(Held::Waiting), flaw: PhantomData })
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        let Body::Echo { echo } = msg.body else {
            return Err(RpcError::not_supported("echo_ok is a reply, not a request"));
        };
        if F::FLAW == Some(Flaw::Late) {
            let mut held = self.held.lock();
            if let Held::Waiting = *held {
                *held = Held::Holding { to: msg.src, msg_id: msg.msg_id, echo, since: out.now() };
                return Ok(());
            }
        }
        out.reply((msg.src, msg.msg_id), Self::answer(echo));
        Ok(())
    }

    fn tick_every(&self) -> Option<Duration> {
        (F::FLAW == Some(Flaw::Late)).then_some(CHECK_EVERY)
    }

    fn on_tick(&self, out: &mut Effects<Self>) {
        let mut held = self.held.lock();
        let due = matches!(*held, Held::Holding { since, .. } if out.now().saturating_sub(since) >= HOLD_FOR);
        if !due {
            return;
        }
        if let Held::Holding { to, msg_id, echo, .. } = std::mem::replace(&mut *held, Held::Done) {
            out.reply((to, msg_id), Self::answer(echo));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{bodies, Probe};
    use crate::Control;
    use serde_json::json;
    use std::time::Duration;

    fn echo(control: Control) -> Vec<serde_json::Value> {
        let mut p = Probe::new(control.factory(), "n0", &["n0"]);
        bodies(&p.request("c1", 2, json!({"type": "echo", "echo": "hi"})))
    }

    #[test]
    fn each_echo_answers_as_its_flaw_says() {
        assert_eq!(echo(Control::Echo), [json!({"type": "echo_ok", "echo": "hi"})]);
        assert_eq!(echo(Control::EchoWrong), [json!({"type": "echo_ok", "echo": "something else"})]);
        assert_eq!(echo(Control::EchoExtra), [json!({"type": "echo_ok", "echo": "hi", "note": "hi"})]);
    }

    #[test]
    fn late_holds_only_its_first_echo_past_the_client_timeout() {
        let mut p = Probe::new(Control::EchoLate.factory(), "n0", &["n0"]);
        assert!(p.request("c1", 2, json!({"type": "echo", "echo": "first"})).is_empty());
        assert_eq!(bodies(&p.request("c2", 3, json!({"type": "echo", "echo": "second"}))).len(), 1);
        assert!(p.advance(Duration::from_secs(5)).is_empty());
        let late = p.advance(Duration::from_secs(1));
        assert_eq!(
            late,
            [
                json!({"src": "n0", "dest": "c1", "body": {"type": "echo_ok", "echo": "first", "in_reply_to": 2}})
            ]
        );
        assert_eq!(bodies(&p.request("c3", 4, json!({"type": "echo", "echo": "third"}))).len(), 1);
    }
}
