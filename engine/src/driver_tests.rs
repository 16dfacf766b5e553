//! Tests of the line driver: protocol handling, calls and their timeouts, ticks, clocks.

use super::*;
use crate::message::Message;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Body {
    Ping,
    Pong,
    Ask,
    Told { answer: String },
}

/// Answers `ping`; on `ask`, calls n2 with `ping` (1 s timeout) and reports the outcome to the
/// asker; counts ticks every 100 ms.
struct Asker {
    ticks: parking_lot::Mutex<u64>,
}

impl Node for Asker {
    type Body = Body;
    fn init(_: &Init) -> Result<Self, RpcError> {
        Ok(Asker { ticks: parking_lot::Mutex::new(0) })
    }
    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        match msg.body {
            Body::Ping => out.reply(&msg, Body::Pong),
            Body::Ask => {
                let (src, id) = (msg.src, msg.msg_id);
                out.rpc(NodeId::new("n2"), Body::Ping, Duration::from_secs(1), move |_, r, out| {
                    let answer = match r {
                        Ok(_) => "pong".to_owned(),
                        Err(e) => format!("{} at {:?}", e.code.code(), out.now()),
                    };
                    out.reply((src, id), Body::Told { answer });
                });
            }
            Body::Pong | Body::Told { .. } => return Err(RpcError::not_supported("reply")),
        }
        Ok(())
    }
    fn tick_every(&self) -> Option<Duration> {
        Some(Duration::from_millis(100))
    }
    fn on_tick(&self, _: &mut Effects<Self>) {
        *self.ticks.lock() += 1;
    }
}

const INIT: &[u8] =
    br#"{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1","n2"]}}"#;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn text(lines: &[Vec<u8>]) -> Vec<String> {
    lines.iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect()
}

fn started() -> LineDriver<Asker> {
    let mut d = LineDriver::<Asker>::new();
    let mut out = Vec::new();
    d.on_line(Duration::ZERO, INIT, &mut out);
    assert_eq!(text(&out), [r#"{"src":"n1","dest":"c0","body":{"type":"init_ok","in_reply_to":1}}"#]);
    d
}

#[test]
fn a_reply_goes_to_its_call_and_a_silent_peer_times_out_at_the_deadline() {
    let mut d = started();
    let mut out = Vec::new();
    d.on_line(ms(10), br#"{"src":"c1","dest":"n1","body":{"type":"ask","msg_id":5}}"#, &mut out);
    assert_eq!(text(&out), [r#"{"src":"n1","dest":"n2","body":{"type":"ping","msg_id":1}}"#]);
    out.clear();
    // A reply from another peer is not the call's reply: it goes to the handler (error 10).
    d.on_line(ms(20), br#"{"src":"n3","dest":"n1","body":{"type":"pong","in_reply_to":1}}"#, &mut out);
    assert!(out.is_empty(), "{:?}", text(&out));
    d.on_line(ms(30), br#"{"src":"n2","dest":"n1","body":{"type":"pong","in_reply_to":1}}"#, &mut out);
    assert_eq!(
        text(&out),
        [r#"{"src":"n1","dest":"c1","body":{"type":"told","answer":"pong","in_reply_to":5}}"#]
    );
    out.clear();
    d.on_line(ms(40), br#"{"src":"c1","dest":"n1","body":{"type":"ask","msg_id":6}}"#, &mut out);
    assert_eq!(d.pending_calls(), 1);
    assert_eq!(d.next_deadline(), Some(ms(100)), "the tick comes first");
    d.advance(ms(1039), &mut out);
    assert_eq!(d.next_deadline(), Some(ms(1040)));
    out.clear();
    d.advance(ms(1040), &mut out);
    assert_eq!(
        text(&out),
        [r#"{"src":"n1","dest":"c1","body":{"type":"told","answer":"0 at 1.04s","in_reply_to":6}}"#]
    );
    assert_eq!(d.pending_calls(), 0);
}

#[test]
fn ticks_follow_the_period_from_init() {
    let mut d = started();
    let mut out = Vec::new();
    d.advance(ms(99), &mut out);
    assert_eq!(d.node().map(|n| *n.ticks.lock()), Some(0));
    d.advance(ms(1000), &mut out);
    // One late tick at 1000 (none made up for), and the next at least half a period later.
    assert_eq!(d.node().map(|n| *n.ticks.lock()), Some(1));
    assert_eq!(d.next_deadline(), Some(ms(1050)));
    d.advance(ms(1050), &mut out);
    assert_eq!(d.next_deadline(), Some(ms(1150)));
}

#[test]
fn a_skewed_clock_moves_the_nodes_timers() {
    let fast = Clock { ppm: 100_000, ..Clock::default() };
    assert_eq!(fast.local(ms(1000)), ms(1100));
    assert_eq!(fast.global(ms(1100)), ms(1000));
    let late = Clock { offset: ms(50), ppm: -500_000, ..Clock::default() };
    assert_eq!(late.local(ms(100)), ms(100));
    assert!(late.local(late.global(ms(333))) >= ms(333));
    let crawl = Clock { ppm: -999_999, ..Clock::default() };
    for t in [1, 7, 999, 123_457] {
        let g = crawl.global(Duration::from_nanos(t));
        let local = crawl.local(g).as_nanos();
        assert!(local == u128::from(t) || local == u128::from(t) + 1, "{t}: {local}");
    }
    let mut d = LineDriver::<Asker>::with_clock(fast);
    let mut out = Vec::new();
    d.on_line(Duration::ZERO, INIT, &mut out);
    // The first tick is 100 ms of the node's time away: about 91 ms of simulated time.
    assert_eq!(d.next_deadline().map(|t| t.as_micros()), Some(90_909));
}

#[test]
fn the_timer_starts_when_the_clock_says() {
    let mut d = LineDriver::<Asker>::with_clock(Clock { timer_start: ms(37), ..Clock::default() });
    let mut out = Vec::new();
    d.on_line(ms(1000), INIT, &mut out);
    assert_eq!(d.next_deadline(), Some(ms(1137)));
    assert_eq!(TIMER_START_MAX, ms(100));
}

#[test]
fn a_repeated_init_is_answered_and_a_conflicting_or_malformed_one_refused() {
    let mut d = LineDriver::<Asker>::new();
    let mut out = Vec::new();
    d.on_line(ms(0), br#"{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":5}}"#, &mut out);
    d.on_line(ms(0), INIT, &mut out);
    d.on_line(ms(0), INIT, &mut out);
    let other =
        br#"{"src":"c0","dest":"n1","body":{"type":"init","msg_id":9,"node_id":"n7","node_ids":["n7"]}}"#;
    d.on_line(ms(0), other, &mut out);
    let got = text(&out);
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got[0].contains(r#""code":12"#), "malformed init: {got:?}");
    assert!(got[1].contains("init_ok") && got[2].contains("init_ok"), "{got:?}");
    assert!(got[3].contains(r#""code":22"#) && got[3].contains(r#""in_reply_to":9"#), "{got:?}");
    assert!(d.node().is_some());
}
