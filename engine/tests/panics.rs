//! A panic in node code never silently kills a node: in the threaded engine and in the line
//! driver alike, a handler that panics has its request answered with error 13 (crash:
//! indefinite) and its effects dropped, a tick that panics is followed by the next tick, a
//! continuation that panics is dropped, and the node keeps serving.

use glomers_engine::driver::{Driver, LineDriver};
use glomers_engine::{run_with, Config, Effects, Init, Message, Node, NodeId, Out, RpcError};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Body {
    Echo { echo: u32 },
    EchoOk { echo: u32 },
    Boom,
    Ask,
    AskOk,
    Leak,
}

/// Panics on `boom` (after queueing a message that must not leave), in the continuation of
/// `ask`, and in its first tick; echoes otherwise. Counts the ticks that ran to the end.
struct Fragile {
    ticks: &'static AtomicU32,
    first_tick_done: AtomicU32,
}

static ENGINE_TICKS: AtomicU32 = AtomicU32::new(0);
static DRIVER_TICKS: AtomicU32 = AtomicU32::new(0);

impl Node for Fragile {
    type Body = Body;
    fn init(init: &Init) -> Result<Self, RpcError> {
        let ticks = if init.node_id == "n1" { &ENGINE_TICKS } else { &DRIVER_TICKS };
        Ok(Fragile { ticks, first_tick_done: AtomicU32::new(0) })
    }
    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        match msg.body {
            Body::Echo { echo } => out.reply(&msg, Body::EchoOk { echo }),
            Body::Boom => {
                out.send(NodeId::new("c9"), Body::Leak);
                panic!("boom on purpose");
            }
            Body::Ask => out.rpc(NodeId::new("n2"), Body::Ask, Duration::from_secs(5), |_, _, out| {
                out.send(NodeId::new("c9"), Body::Leak);
                panic!("continuation on purpose");
            }),
            _ => {}
        }
        Ok(())
    }
    fn tick_every(&self) -> Option<Duration> {
        Some(Duration::from_millis(20))
    }
    fn on_tick(&self, out: &mut Effects<Self>) {
        if self.first_tick_done.fetch_add(1, Ordering::Relaxed) == 0 {
            out.send(NodeId::new("c9"), Body::Leak);
            panic!("first tick on purpose");
        }
        self.ticks.fetch_add(1, Ordering::Relaxed);
    }
}

/// The lines for node `me`: init, boom, echo, ask, n2's reply to the ask (msg 1), echo.
fn lines(me: &str) -> Vec<String> {
    vec![
        format!(
            r#"{{"src":"c0","dest":"{me}","body":{{"type":"init","msg_id":1,"node_id":"{me}","node_ids":["{me}","n2"]}}}}"#
        ),
        format!(r#"{{"src":"c1","dest":"{me}","body":{{"type":"boom","msg_id":2}}}}"#),
        format!(r#"{{"src":"c1","dest":"{me}","body":{{"type":"echo","msg_id":3,"echo":7}}}}"#),
        format!(r#"{{"src":"c1","dest":"{me}","body":{{"type":"ask","msg_id":4}}}}"#),
        format!(r#"{{"src":"n2","dest":"{me}","body":{{"type":"ask_ok","in_reply_to":1}}}}"#),
        format!(r#"{{"src":"c1","dest":"{me}","body":{{"type":"echo","msg_id":5,"echo":8}}}}"#),
    ]
}

/// Hands out one line per read, 60 ms apart, so handlers, the reply and ticks interleave as
/// they would on a pipe; at the end, holds stdin open until two ticks ran to the end (or 10 s
/// passed), since a panic's backtrace (`RUST_BACKTRACE=1`) can hold the timer up for a while.
struct Paced(Vec<String>);

impl Read for Paced {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0.is_empty() {
            let give_up = std::time::Instant::now() + Duration::from_secs(10);
            while ENGINE_TICKS.load(Ordering::Relaxed) < 2 && std::time::Instant::now() < give_up {
                std::thread::sleep(Duration::from_millis(10));
            }
            return Ok(0);
        }
        std::thread::sleep(Duration::from_millis(60));
        let line = format!("{}\n", self.0.remove(0));
        let n = line.len().min(buf.len());
        buf[..n].copy_from_slice(&line.as_bytes()[..n]);
        Ok(n)
    }
}

fn check(me: &str, out: &[String], ticks: u32) {
    let has = |want: &str| out.iter().any(|l| l.contains(want));
    assert!(
        has(r#""type":"error","code":13,"text":"the handler panicked","in_reply_to":2"#),
        "{me}: {out:?}"
    );
    assert!(has(r#""echo":7,"in_reply_to":3"#) && has(r#""echo":8,"in_reply_to":5"#), "{me}: {out:?}");
    assert!(has(r#""dest":"n2","body":{"type":"ask","msg_id":1}"#), "{me}: {out:?}");
    assert!(!has("leak"), "{me}: effects of a panicked call left the node: {out:?}");
    assert!(ticks >= 2, "{me}: ticks stopped after the first one panicked ({ticks} ran)");
}

#[test]
fn the_threaded_engine_survives_panics_in_a_handler_a_tick_and_a_continuation() {
    let mut out = Vec::new();
    let config = Config { workers: 1, ..Config::default() };
    run_with::<Fragile>(config, Paced(lines("n1")), &mut out);
    let out: Vec<String> = String::from_utf8_lossy(&out).lines().map(str::to_owned).collect();
    check("engine", &out, ENGINE_TICKS.load(Ordering::Relaxed));
}

#[test]
fn the_line_driver_survives_them_the_same_way() {
    let mut d = LineDriver::<Fragile>::new();
    let mut out = Vec::new();
    let mut now = Duration::ZERO;
    for line in lines("n3") {
        now += Duration::from_millis(60);
        d.advance(now, &mut out);
        d.on_line(now, line.as_bytes(), &mut out);
    }
    d.advance(now + Duration::from_millis(200), &mut out);
    let out: Vec<String> = out.iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect();
    check("driver", &out, DRIVER_TICKS.load(Ordering::Relaxed));
}
