//! One table of input lines, fed through the threaded engine (`run_with_factory`) and through
//! the single-threaded `LineDriver` (`with_factory`, the same factory and setting): both must
//! write the same bytes, the bytes the table expects, and log the same lines, because both
//! carry out the one decision for a line.
//!
//! The threaded engine answers a bad line on the reader thread while a worker answers the
//! line before it, so two independent lines may be answered in either order. The feed therefore
//! hands the engine each line only once the answers the table expects for the lines before it
//! are out, as a Maelstrom client waits for its reply and a peer answers only a request it has
//! seen. Lines that call for no answer go in at once, and each table runs twice: with no pause
//! between lines, and with 20 ms between them (the gap that used to decide whether an answer
//! before `init` was sent at all).

use glomers_engine::driver::{Clock, Driver, LineDriver};
use glomers_engine::{log, run_with_factory, Config, ErrorCode, Init, Message, Node, NodeId, Out, RpcError};
use parking_lot::{Condvar, Mutex};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Body {
    Echo {
        echo: String,
    },
    EchoOk {
        echo: String,
    },
    /// Asks n2 for a `pong` with a call, then tells the asker how it went.
    Ask,
    Told {
        answer: String,
    },
    Ping,
    Pong,
}

/// Echoes with its `mark` appended, calls n2 on `ask`, and refuses an `init` that does not
/// list its own id.
struct Probe {
    /// A setting, handed over by the factory both drivers build the node with.
    mark: &'static str,
}

impl Probe {
    fn new(init: &Init, mark: &'static str) -> Result<Self, RpcError> {
        if init.node_ids.contains(&init.node_id) {
            Ok(Probe { mark })
        } else {
            Err(RpcError::new(ErrorCode::Crash, format!("{} is not in node_ids", init.node_id)))
        }
    }
}

impl Node for Probe {
    type Body = Body;
    fn init(init: &Init) -> Result<Self, RpcError> {
        Probe::new(init, "")
    }
    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        match msg.body {
            Body::Echo { echo } => out.reply((msg.src, msg.msg_id), Body::EchoOk { echo: echo + self.mark }),
            Body::Ping => out.reply(&msg, Body::Pong),
            Body::Ask => {
                let (src, id) = (msg.src, msg.msg_id);
                out.rpc(NodeId::new("n2"), Body::Ping, Duration::from_secs(30), move |_, reply, out| {
                    let answer = match reply {
                        Ok(_) => "pong".to_owned(),
                        Err(e) => e.to_string(),
                    };
                    out.reply((src, id), Body::Told { answer });
                });
            }
            Body::EchoOk { .. } | Body::Told { .. } | Body::Pong => {
                return Err(RpcError::not_supported("a reply type, not a request"))
            }
        }
        Ok(())
    }
}

/// Each input line (without its newline) and the lines the node answers it with.
const TABLE: &[(&str, &[&str])] = &[
    ("", &[]),
    // Before init: answered from the id addressed, if it can be read.
    (
        r#"{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":1,"echo":"early"}}"#,
        &[
            r#"{"src":"n1","dest":"c1","body":{"type":"error","code":11,"text":"not initialised yet: send init first","in_reply_to":1}}"#,
        ],
    ),
    (
        r#"{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":2,"#,
        &[
            r#"{"src":"n1","dest":"c1","body":{"type":"error","code":12,"text":"invalid JSON: Syntax at character 56 (',')","in_reply_to":2}}"#,
        ],
    ),
    (r#"{"src":"c1","body":{"type":"echo","msg_id":3,"#, &[]),
    (r#"{"src":"n2","dest":"n1","body":{"type":"pong","in_reply_to":1}}"#, &[]),
    // An init the node refuses, a malformed one, then the one that builds it.
    (
        r#"{"src":"c0","dest":"n1","body":{"type":"init","msg_id":4,"node_id":"n1","node_ids":["n2"]}}"#,
        &[
            r#"{"src":"n1","dest":"c0","body":{"type":"error","code":13,"text":"n1 is not in node_ids","in_reply_to":4}}"#,
        ],
    ),
    (
        r#"{"src":"c0","dest":"n1","body":{"type":"init","msg_id":5,"node_id":5}}"#,
        &[
            r#"{"src":"n1","dest":"c0","body":{"type":"error","code":12,"text":"bad `init` body: ExpectedString","in_reply_to":5}}"#,
        ],
    ),
    (
        r#"{"src":"c0","dest":"n1","body":{"type":"init","msg_id":6,"node_id":"n1","node_ids":["n1","n2"]}}"#,
        &[r#"{"src":"n1","dest":"c0","body":{"type":"init_ok","in_reply_to":6}}"#],
    ),
    (
        r#"{"src":"c0","dest":"n1","body":{"type":"init","msg_id":7,"node_id":"n1","node_ids":["n1","n2"]}}"#,
        &[r#"{"src":"n1","dest":"c0","body":{"type":"init_ok","in_reply_to":7}}"#],
    ),
    (
        r#"{"src":"c0","dest":"n1","body":{"type":"init","msg_id":8,"node_id":"n7","node_ids":["n7"]}}"#,
        &[
            r#"{"src":"n1","dest":"c0","body":{"type":"error","code":22,"text":"already initialised as n1; cannot become n7","in_reply_to":8}}"#,
        ],
    ),
    // Once initialised: every answer from the node's id.
    (
        r#"{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":9,"echo":"hi"}}"#,
        &[r#"{"src":"n1","dest":"c1","body":{"type":"echo_ok","echo":"hi!","in_reply_to":9}}"#],
    ),
    ("{not json", &[]),
    (
        r#"{"src":"c1","dest":"n5","body":{"type":"echo","msg_id":10,"echo":"x""#,
        &[
            r#"{"src":"n1","dest":"c1","body":{"type":"error","code":12,"text":"invalid JSON: Syntax at character 65 ('\"')","in_reply_to":10}}"#,
        ],
    ),
    (
        r#"{"src":"c1","dest":"n1","body":{"type":"dance","msg_id":11}}"#,
        &[
            r#"{"src":"n1","dest":"c1","body":{"type":"error","code":10,"text":"unsupported message type `dance`","in_reply_to":11}}"#,
        ],
    ),
    (
        r#"{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":12}}"#,
        &[
            r#"{"src":"n1","dest":"c1","body":{"type":"error","code":12,"text":"bad `echo` body: missing field `echo`","in_reply_to":12}}"#,
        ],
    ),
    (
        r#"{"src":"c1","body":{"type":"echo","msg_id":13,"echo":"y"}}"#,
        &[
            r#"{"src":"n1","dest":"c1","body":{"type":"error","code":12,"text":"missing or non-string `dest`","in_reply_to":13}}"#,
        ],
    ),
    (r#"{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":"x","echo":"y"}}"#, &[]),
    (r#"{"src":"c1","dest":"n1","body":{"type":"echo","echo":"no msg_id"}}"#, &[]),
    (
        "{\"src\":\"c1\",\"dest\":\"n9\",\"body\":{\"type\":\"echo\",\"msg_id\":14,\"echo\":\"crlf\"}}\r",
        &[r#"{"src":"n1","dest":"c1","body":{"type":"echo_ok","echo":"crlf!","in_reply_to":14}}"#],
    ),
    (
        r#"{"src":"n2","dest":"n1","body":{"type":"ping","msg_id":15}}"#,
        &[r#"{"src":"n1","dest":"n2","body":{"type":"pong","in_reply_to":15}}"#],
    ),
    // A call: only its peer's reply finishes it; any other reply goes to the handler, which
    // refuses it without an answer (replies are never answered).
    (
        r#"{"src":"c2","dest":"n1","body":{"type":"ask","msg_id":16}}"#,
        &[r#"{"src":"n1","dest":"n2","body":{"type":"ping","msg_id":1}}"#],
    ),
    (r#"{"src":"n3","dest":"n1","body":{"type":"pong","in_reply_to":1}}"#, &[]),
    (r#"{"src":"n2","dest":"n1","body":{"type":"pong","in_reply_to":99}}"#, &[]),
    (r#"{"src":"n2","dest":"n1","body":{"type":"pong","in_reply_to":"1"}}"#, &[]),
    (
        r#"{"src":"n2","dest":"n1","body":{"type":"pong","in_reply_to":1}}"#,
        &[r#"{"src":"n1","dest":"c2","body":{"type":"told","answer":"pong","in_reply_to":16}}"#],
    ),
    (r#"{"src":"n2","dest":"n1","body":{"type":"pong","in_reply_to":1}}"#, &[]),
    // The last line ends without a newline: it is still handled.
    (
        r#"{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":17,"#,
        &[
            r#"{"src":"n1","dest":"c1","body":{"type":"error","code":12,"text":"invalid JSON: Syntax at character 57 (',')","in_reply_to":17}}"#,
        ],
    ),
];

/// What the engine wrote so far, and a signal for each write.
#[derive(Clone, Default)]
struct Sink(Arc<(Mutex<Vec<u8>>, Condvar)>);

impl Sink {
    fn lines(&self) -> usize {
        self.0 .0.lock().iter().filter(|&&b| b == b'\n').count()
    }

    /// Waits until `count` lines are out, or 2 s passed (then the comparison shows the gap).
    fn wait_for(&self, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut out = self.0 .0.lock();
        while out.iter().filter(|&&b| b == b'\n').count() < count {
            if self.0 .1.wait_until(&mut out, deadline).timed_out() {
                return;
            }
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0 .0.lock()).into_owned()
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 .0.lock().extend_from_slice(buf);
        self.0 .1.notify_all();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// stdin for the engine: one line per `read`, each once the answers before it are out and
/// after `pause`.
struct Feed {
    /// Each line with the number of output lines to wait for before it.
    lines: VecDeque<(Vec<u8>, usize)>,
    pending: Vec<u8>,
    pause: Duration,
    sink: Sink,
}

impl Read for Feed {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pending.is_empty() {
            let Some((line, after)) = self.lines.pop_front() else { return Ok(0) };
            self.sink.wait_for(after);
            std::thread::sleep(self.pause);
            self.pending = line;
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

/// The table's input lines as the engine reads them: newline-terminated but the last.
fn input_lines() -> Vec<Vec<u8>> {
    let last = TABLE.len() - 1;
    TABLE
        .iter()
        .enumerate()
        .map(|(i, (line, _))| {
            let mut bytes = line.as_bytes().to_vec();
            if i < last {
                bytes.push(b'\n');
            }
            bytes
        })
        .collect()
}

/// The logged lines, without the ones only a process writes about its stdin.
fn messages(log: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(log)
        .lines()
        .filter(|l| !l.contains(" info: stdin closed") && !l.contains(" error: end of input"))
        .map(str::to_owned)
        .collect()
}

fn expected_output() -> String {
    TABLE.iter().flat_map(|(_, out)| out.iter()).map(|l| format!("{l}\n")).collect()
}

/// The driver's output and log for the table, checking each line's answers on the way.
fn through_driver() -> (String, Vec<String>) {
    let mut d = LineDriver::with_factory(Clock::default(), |init| Probe::new(init, "!"));
    let mut all = String::new();
    for (line, want) in TABLE {
        let mut out = Vec::new();
        d.on_line(Duration::ZERO, line.as_bytes(), &mut out);
        let got: Vec<String> = out.iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect();
        assert_eq!(got, *want, "driver, line {line}");
        all.extend(got.iter().map(|l| format!("{l}\n")));
    }
    (all, messages(&d.take_log()))
}

/// The threaded engine's output and log (the reader's, which runs on this thread and makes
/// every decision) for the table.
fn through_engine(pause: Duration) -> (String, Vec<String>) {
    let sink = Sink::default();
    let mut before = 0;
    let lines = input_lines()
        .into_iter()
        .zip(TABLE)
        .map(|(line, (_, out))| {
            let after = before;
            before += out.len();
            (line, after)
        })
        .collect();
    let feed = Feed { lines, pending: Vec::new(), pause, sink: sink.clone() };
    let config = Config { workers: 1, queue_limit: 16, max_line: 1 << 20 };
    let mut log = Vec::new();
    let build = |init: &Init| Probe::new(init, "!");
    // Named `-` until init names the node, as a process's stderr is.
    log::capture("-", &mut log, || run_with_factory(config, feed, sink.clone(), build));
    assert_eq!(sink.lines(), before, "{}", sink.text());
    (sink.text(), messages(&log))
}

fn differential(pause: Duration) {
    let (driver_out, driver_log) = through_driver();
    assert_eq!(driver_out, expected_output());
    let (engine_out, engine_log) = through_engine(pause);
    assert_eq!(engine_out, driver_out, "engine vs driver, pause {pause:?}");
    assert_eq!(engine_log, driver_log, "logs, pause {pause:?}");
    assert!(driver_log.iter().any(|l| l.starts_with("- error: init failed")), "{driver_log:?}");
    assert!(driver_log.iter().any(|l| l.starts_with("n1 info: initialised")), "{driver_log:?}");
}

#[test]
fn engine_and_driver_write_and_log_the_same_for_every_line() {
    differential(Duration::ZERO);
}

#[test]
fn engine_and_driver_agree_with_a_pause_between_lines() {
    differential(Duration::from_millis(20));
}
