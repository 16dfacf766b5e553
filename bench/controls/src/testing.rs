//! Test helper: one control behind its simulator driver, fed JSON lines under a virtual clock,
//! with what it writes read back as JSON values.

use crate::registry::Factory;
use glomers_engine::driver::{Clock, Driver};
use serde_json::{json, Value};
use std::time::Duration;

/// A control under test.
pub struct Probe {
    driver: Box<dyn Driver>,
    now: Duration,
}

impl Probe {
    /// Control `make` as node `me` of `all`, initialised (asserts the `init_ok`).
    pub fn new(make: Factory, me: &str, all: &[&str]) -> Probe {
        let mut p = Probe { driver: make(Clock::default()), now: Duration::ZERO };
        let init = json!({"src": "c0", "dest": me, "body": {"type": "init", "msg_id": 1, "node_id": me, "node_ids": all}});
        let out = p.line(&init);
        assert_eq!(out, [json!({"src": me, "dest": "c0", "body": {"type": "init_ok", "in_reply_to": 1}})]);
        p
    }

    /// Hands the control one message 1 ms after the last; what it writes.
    pub fn line(&mut self, msg: &Value) -> Vec<Value> {
        self.now += Duration::from_millis(1);
        let mut out = Vec::new();
        self.driver.on_line(self.now, msg.to_string().as_bytes(), &mut out);
        out.iter()
            .map(|l| serde_json::from_slice(l).unwrap_or_else(|_| json!(String::from_utf8_lossy(l))))
            .collect()
    }

    /// A request `body` from `src` numbered `msg_id`; what the control writes.
    pub fn request(&mut self, src: &str, msg_id: u64, mut body: Value) -> Vec<Value> {
        body["msg_id"] = json!(msg_id);
        self.line(&json!({"src": src, "dest": "n0", "body": body}))
    }

    /// Moves the clock on by `by`, running ticks and deadlines; what the control writes.
    pub fn advance(&mut self, by: Duration) -> Vec<Value> {
        self.now += by;
        let mut out = Vec::new();
        self.driver.advance(self.now, &mut out);
        out.iter().filter_map(|l| serde_json::from_slice(l).ok()).collect()
    }
}

/// The bodies of `out`, without `in_reply_to`.
pub fn bodies(out: &[Value]) -> Vec<Value> {
    out.iter()
        .map(|m| {
            let mut b = m["body"].clone();
            if let Some(o) = b.as_object_mut() {
                o.remove("in_reply_to");
            }
            b
        })
        .collect()
}
