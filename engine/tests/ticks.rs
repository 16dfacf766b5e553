//! A node's tick period under every driver: one policy (the harness's `Ticks`), and a period
//! of zero refused at `init` with error 13, the same from the threaded engine and from the line
//! driver, instead of a node that ticks forever at one instant.

use glomers_engine::driver::{Driver, LineDriver};
use glomers_engine::testkit::TestNode;
use glomers_engine::{run_with, Config, Effects, Init, Message, Node, Out, RpcError};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Body {
    Ping,
}

/// Ticks every `PERIOD_MS` milliseconds (0: a bug) and counts its ticks.
struct Ticker<const PERIOD_MS: u64>(AtomicU32);

impl<const PERIOD_MS: u64> Node for Ticker<PERIOD_MS> {
    type Body = Body;
    fn init(_: &Init) -> Result<Self, RpcError> {
        Ok(Ticker(AtomicU32::new(0)))
    }
    fn on_message(&self, _: Message<Body>, _: &mut Out<Self>) -> Result<(), RpcError> {
        Ok(())
    }
    fn tick_every(&self) -> Option<Duration> {
        Some(Duration::from_millis(PERIOD_MS))
    }
    fn on_tick(&self, _: &mut Effects<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

const INIT: &str =
    r#"{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}"#;
const REFUSED: &str = r#"{"src":"n1","dest":"c0","body":{"type":"error","code":13,"text":"tick_every() returned zero: a tick period must be positive","in_reply_to":1}}"#;

#[test]
fn a_zero_tick_period_is_refused_at_init_by_the_engine_and_the_driver() {
    let mut out = Vec::new();
    run_with::<Ticker<0>>(Config::default(), format!("{INIT}\n").as_bytes(), &mut out);
    assert_eq!(String::from_utf8_lossy(&out), format!("{REFUSED}\n"));

    let mut d = LineDriver::<Ticker<0>>::new();
    let mut lines = Vec::new();
    d.on_line(Duration::ZERO, INIT.as_bytes(), &mut lines);
    assert_eq!(lines, [REFUSED.as_bytes()]);
    assert!(d.node().is_none() && d.next_deadline().is_none(), "nothing runs, nothing is scheduled");
}

#[test]
#[should_panic(expected = "tick_every() returned zero")]
fn the_testkit_refuses_a_zero_tick_period_too() {
    let _ = TestNode::<Ticker<0>>::new("n1", &["n1"]);
}

#[test]
fn the_driver_and_the_testkit_tick_on_the_same_schedule() {
    let mut d = LineDriver::<Ticker<100>>::new();
    let mut lines = Vec::new();
    d.on_line(Duration::ZERO, INIT.as_bytes(), &mut lines);
    let mut t = TestNode::<Ticker<100>>::new("n1", &["n1"]);
    let mut due = Vec::new();
    while let Some(at) = d.next_deadline().filter(|at| *at <= Duration::from_secs(1)) {
        due.push(at);
        d.advance(at, &mut lines);
    }
    assert_eq!(due, (1..=10).map(|k| Duration::from_millis(100 * k)).collect::<Vec<_>>());
    t.advance(Duration::from_secs(1));
    let count = |n: &Ticker<100>| n.0.load(Ordering::Relaxed);
    assert_eq!((d.node().map(count), count(t.node())), (Some(10), 10));
}
