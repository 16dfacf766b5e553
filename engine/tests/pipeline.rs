//! The whole engine, threads and all, over in-memory pipes: blocking calls cannot deadlock
//! the pool, ticks run on the timer thread, and end of input answers everything read.

use crossbeam_channel::{unbounded, Receiver, Sender};
use glomers_engine::{run_with, Config, Effects, Init, Message, Node, Out, RpcError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::time::Duration;

/// stdin for the engine: bytes arrive when the test sends them.
struct PipeIn {
    rx: Receiver<Vec<u8>>,
    pending: Vec<u8>,
}

impl Read for PipeIn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pending.is_empty() {
            match self.rx.recv() {
                Ok(bytes) => self.pending = bytes,
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

/// stdout for the engine: every line goes to the test.
struct PipeOut {
    tx: Sender<Value>,
    partial: Vec<u8>,
}

impl Write for PipeOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.partial.extend_from_slice(buf);
        while let Some(i) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=i).collect();
            let value = serde_json::from_slice(&line).expect("the engine writes JSON lines only");
            let _ = self.tx.send(value);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Harness {
    input: Option<Sender<Vec<u8>>>,
    output: Receiver<Value>,
    engine: std::thread::JoinHandle<()>,
}

impl Harness {
    fn start<N: Node>(config: Config) -> Self {
        let (in_tx, in_rx) = unbounded();
        let (out_tx, out_rx) = unbounded();
        let engine = std::thread::spawn(move || {
            run_with::<N>(
                config,
                PipeIn { rx: in_rx, pending: Vec::new() },
                PipeOut { tx: out_tx, partial: Vec::new() },
            )
        });
        let mut h = Harness { input: Some(in_tx), output: out_rx, engine };
        h.send(json!({"src": "c0", "dest": "n1", "body": {"type": "init", "msg_id": 1, "node_id": "n1", "node_ids": ["n1", "n2"]}}));
        assert_eq!(h.next()["body"]["type"], "init_ok");
        h
    }

    fn send(&mut self, msg: Value) {
        self.send_raw(format!("{msg}\n").as_bytes());
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        self.input.as_ref().expect("input open").send(bytes.to_vec()).expect("engine reading");
    }

    fn next(&self) -> Value {
        self.output.recv_timeout(Duration::from_secs(5)).expect("the engine answered within 5 s")
    }

    /// Closes stdin and waits for the engine to finish; returns what it wrote meanwhile.
    fn finish(mut self) -> Vec<Value> {
        self.input = None;
        self.engine.join().expect("engine thread");
        self.output.try_iter().collect()
    }
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Body {
    /// Asks n2 for a number with a blocking call, then answers with it.
    Fetch,
    FetchOk {
        value: u64,
    },
    Get,
    GetOk {
        value: u64,
    },
    Echo {
        echo: Value,
    },
    EchoOk {
        echo: Value,
    },
}

struct Blocker;

impl Node for Blocker {
    type Body = Body;
    fn init(_: &Init) -> Result<Self, RpcError> {
        Ok(Blocker)
    }
    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        match msg.body {
            Body::Fetch => {
                let caller = out.caller().expect("the engine offers blocking calls").clone();
                let value = match caller.call("n2".into(), Body::Get, Duration::from_secs(10))? {
                    Body::GetOk { value } => value,
                    other => return Err(RpcError::malformed(format!("unexpected {other:?}"))),
                };
                out.reply(&msg, Body::FetchOk { value });
            }
            Body::Echo { echo } => out.reply((msg.src, msg.msg_id), Body::EchoOk { echo }),
            _ => return Err(RpcError::not_supported("not a request")),
        }
        Ok(())
    }
}

#[test]
fn every_worker_blocked_on_a_call_still_gets_its_reply() {
    // One worker, and room for one queued message: the worker blocks in its first call, the
    // queue fills, and only the reader's routing of replies can unblock anything.
    let mut h = Harness::start::<Blocker>(Config { workers: 1, queue_limit: 1, max_line: 1 << 20 });
    for i in 0..4 {
        h.send(json!({"src": "c1", "dest": "n1", "body": {"type": "fetch", "msg_id": 10 + i}}));
    }
    // Answer each call only after it was made, as a real peer would.
    for i in 0..4u64 {
        let call = h.next();
        assert_eq!(
            (call["dest"].as_str(), call["body"]["type"].as_str()),
            (Some("n2"), Some("get")),
            "{call}"
        );
        let id = call["body"]["msg_id"].as_u64().expect("calls carry a msg_id");
        h.send(json!({"src": "n2", "dest": "n1", "body": {"type": "get_ok", "in_reply_to": id, "value": 100 + i}}));
        let reply = h.next();
        assert_eq!(reply["body"], json!({"type": "fetch_ok", "value": 100 + i, "in_reply_to": 10 + i}));
    }
    assert!(h.finish().is_empty());
}

#[test]
fn a_call_nobody_answers_times_out_as_error_0_and_the_node_keeps_serving() {
    struct Impatient;
    impl Node for Impatient {
        type Body = Body;
        fn init(_: &Init) -> Result<Self, RpcError> {
            Ok(Impatient)
        }
        fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
            if let Body::Echo { echo } = msg.body {
                out.reply((msg.src, msg.msg_id), Body::EchoOk { echo });
                return Ok(());
            }
            let caller = out.caller().expect("engine").clone();
            caller.call("n2".into(), Body::Get, Duration::from_millis(50))?;
            Ok(())
        }
    }
    let mut h = Harness::start::<Impatient>(Config { workers: 1, queue_limit: 16, max_line: 1 << 20 });
    h.send(json!({"src": "c1", "dest": "n1", "body": {"type": "fetch", "msg_id": 5}}));
    assert_eq!(h.next()["body"]["type"], "get");
    let reply = h.next();
    assert_eq!(
        (reply["body"]["type"].as_str(), reply["body"]["code"].as_u64()),
        (Some("error"), Some(0)),
        "{reply}"
    );
    h.send(json!({"src": "c1", "dest": "n1", "body": {"type": "echo", "msg_id": 6, "echo": "still here"}}));
    assert_eq!(h.next()["body"]["echo"], "still here");
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Gossip {
    Ping,
    Pong,
}

/// Sends n2 a ping every tick and counts the pongs.
struct Ticker {
    pongs: std::sync::atomic::AtomicU64,
}

impl Node for Ticker {
    type Body = Gossip;
    fn init(_: &Init) -> Result<Self, RpcError> {
        Ok(Ticker { pongs: 0.into() })
    }
    fn on_message(&self, _: Message<Gossip>, _: &mut Out<Self>) -> Result<(), RpcError> {
        Ok(())
    }
    fn tick_every(&self) -> Option<Duration> {
        Some(Duration::from_millis(20))
    }
    fn on_tick(&self, out: &mut Effects<Self>) {
        out.rpc("n2", Gossip::Ping, Duration::from_secs(1), |node: &Ticker, reply, _| {
            if let Ok(Gossip::Pong) = reply {
                node.pongs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        });
    }
}

#[test]
fn ticks_send_calls_whose_replies_reach_their_continuations() {
    let mut h = Harness::start::<Ticker>(Config { workers: 2, queue_limit: 16, max_line: 1 << 20 });
    let mut ids = Vec::new();
    for _ in 0..3 {
        let ping = h.next();
        assert_eq!(ping["body"]["type"], "ping");
        ids.push(ping["body"]["msg_id"].as_u64().expect("a call has a msg_id"));
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids rise: {ids:?}");
    for id in &ids {
        h.send(json!({"src": "n2", "dest": "n1", "body": {"type": "pong", "in_reply_to": id}}));
    }
    // A pong nobody asked for is not a call's reply; it must not be answered either.
    h.send(json!({"src": "n2", "dest": "n1", "body": {"type": "pong", "in_reply_to": 9999}}));
    let rest = h.finish();
    assert!(rest.iter().all(|m| m["body"]["type"] == "ping"), "only pings after that: {rest:?}");
}

#[test]
fn end_of_input_answers_everything_read_including_a_last_line_without_newline() {
    let mut h = Harness::start::<Blocker>(Config { workers: 2, queue_limit: 4, max_line: 1 << 20 });
    let mut text = String::new();
    for i in 0..1000 {
        text.push_str(&format!(
            "{}\n",
            json!({"src": "c1", "dest": "n1", "body": {"type": "echo", "msg_id": i + 2, "echo": i}})
        ));
    }
    text.push_str(
        &json!({"src": "c1", "dest": "n1", "body": {"type": "echo", "msg_id": 5000, "echo": "last"}})
            .to_string(),
    );
    h.send_raw(text.as_bytes());
    let out = h.finish();
    assert_eq!(out.len(), 1001);
    let mut seen: Vec<u64> =
        out.iter().map(|m| m["body"]["in_reply_to"].as_u64().expect("replies")).collect();
    seen.sort_unstable();
    let want: Vec<u64> = (2..1002).chain([5000]).collect();
    assert_eq!(seen, want);
}
