//! `glomers-control`: small control nodes for testing the workbench, correct and broken on
//! purpose. Built on serde_json alone (no engine), one main thread plus a stdin reader so that
//! retries can run on a timer. The first argument picks the behaviour:
//!
//! correct: `echo`, `unique-ids`, `broadcast` (flooding with retries), `g-counter` (seq-kv),
//! `kafka` (the smallest node id keeps the logs; see [`kafka`]);
//! broken: `echo-wrong` (wrong text), `echo-extra` (extra reply key), `unique-ids-collide`,
//! `broadcast-lossy` (no retries), `g-counter-miss` (forgets an add), `junk` (junk on stdout),
//! `kafka-offset-reuse` (offsets per node), `kafka-lost-send` (drops its 5th send),
//! `kafka-poll-skip` (every 10th poll skips a message),
//! `echo-late` (answers its first echo after 5.5 s, when the client has gone away),
//! `exit-early` (exits after its first echo), `silent` (never answers init);
//! load: `pingpong` (answers echo; keeps 64 pings in flight to every peer, to measure routing);
//! txn-rw-register (`txn.rs`): `txn` (correct), `txn-dirty` (G1a), `txn-intermediate` (G1b),
//! `txn-g0` (G0).

mod txn;

mod kafka;

use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, Write};
use std::sync::mpsc;
use std::time::Duration;

/// How often unacknowledged gossip is resent.
const RETRY_EVERY: Duration = Duration::from_millis(200);

/// How long `echo-late` holds its first echo: past the client's 5 s timeout.
const HOLD_FOR: Duration = Duration::from_millis(5500);

/// Pings each `pingpong` node keeps in flight to every peer.
const PINGS_IN_FLIGHT: usize = 64;

/// What a pending seq-kv call is for.
enum Pending {
    /// The write of our own total for an add; reply `add_ok` to this request.
    Add(Value),
    /// The scratch write before a read (it moves our seq-kv floor to the latest state).
    Fresh(Value),
    /// One key read of a read in progress.
    Key(u64),
}

/// A read collecting every node's total.
struct Sum {
    request: Value,
    left: usize,
    total: i64,
}

struct Node {
    mode: String,
    id: String,
    peers: Vec<String>,
    next_msg_id: u64,
    ids: u64,
    messages: BTreeSet<i64>,
    acked: HashMap<String, BTreeSet<i64>>,
    counter: i64,
    skipped: bool,
    /// `echo-late`: the first echo request, answered after [`HOLD_FOR`].
    held: Option<(Value, std::time::Instant)>,
    /// `echo-late`: the held echo has been answered; later ones are answered at once.
    held_done: bool,
    pending: HashMap<u64, Pending>,
    sums: HashMap<u64, Sum>,
    /// The kafka modes' logs.
    kafka: kafka::Log,
    out: std::io::BufWriter<std::io::Stdout>,
}

impl Node {
    fn send(&mut self, dest: &str, body: Value) {
        let line = json!({"src": self.id, "dest": dest, "body": body});
        let _ = writeln!(self.out, "{line}");
    }

    fn reply(&mut self, req: &Value, mut body: Value) {
        body["in_reply_to"] = req["body"]["msg_id"].clone();
        let dest = req["src"].as_str().unwrap_or_default().to_owned();
        self.send(&dest, body);
    }

    fn call(&mut self, dest: &str, mut body: Value, why: Pending) {
        self.next_msg_id += 1;
        body["msg_id"] = json!(self.next_msg_id);
        self.pending.insert(self.next_msg_id, why);
        self.send(dest, body);
    }

    fn on_message(&mut self, msg: &Value) -> bool {
        let body = &msg["body"];
        let t = body["type"].as_str().unwrap_or_default();
        match (t, self.mode.as_str()) {
            ("init", "silent") => {}
            ("init", _) => {
                self.id = body["node_id"].as_str().unwrap_or_default().to_owned();
                let all: Vec<String> = body["node_ids"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect();
                self.peers = all.into_iter().filter(|p| *p != self.id).collect();
                self.reply(msg, json!({"type": "init_ok"}));
                if self.mode == "pingpong" {
                    for p in self.peers.clone() {
                        for _ in 0..PINGS_IN_FLIGHT {
                            self.send(&p, json!({"type": "ping"}));
                        }
                    }
                }
            }
            (_, m) if m.starts_with("kafka") => {
                for (dest, out) in self.kafka.on_message(&self.id, &self.peers, msg) {
                    self.send(&dest, out);
                }
            }
            ("ping", _) => {
                let src = msg["src"].as_str().unwrap_or_default().to_owned();
                self.send(&src, json!({"type": "ping"}));
            }
            ("echo", "exit-early") => return false,
            ("echo", "junk") => {
                let _ = writeln!(self.out, "debug: got an echo request");
                self.reply(msg, json!({"type": "echo_ok", "echo": body["echo"]}));
            }
            ("echo", "echo-late") if !self.held_done && self.held.is_none() => {
                self.held = Some((msg.clone(), std::time::Instant::now()));
            }
            ("echo", "echo-wrong") => self.reply(msg, json!({"type": "echo_ok", "echo": "something else"})),
            ("echo", "echo-extra") => {
                self.reply(msg, json!({"type": "echo_ok", "echo": body["echo"], "note": "hi"}))
            }
            ("echo", _) => self.reply(msg, json!({"type": "echo_ok", "echo": body["echo"]})),
            ("generate", mode) => {
                self.ids += 1;
                let id = if mode == "unique-ids-collide" {
                    json!(self.ids)
                } else {
                    json!(format!("{}-{}", self.id, self.ids))
                };
                self.reply(msg, json!({"type": "generate_ok", "id": id}));
            }
            ("topology", _) => self.reply(msg, json!({"type": "topology_ok"})),
            ("broadcast", _) => {
                let m = body["message"].as_i64().unwrap_or_default();
                self.messages.insert(m);
                self.reply(msg, json!({"type": "broadcast_ok"}));
                for p in self.peers.clone() {
                    self.send(&p, json!({"type": "gossip", "messages": [m]}));
                }
            }
            ("gossip", mode) => {
                let got: Vec<i64> =
                    body["messages"].as_array().into_iter().flatten().filter_map(Value::as_i64).collect();
                self.messages.extend(got.iter().copied());
                if mode != "broadcast-lossy" {
                    let src = msg["src"].as_str().unwrap_or_default().to_owned();
                    self.send(&src, json!({"type": "gossip_ok", "messages": got}));
                }
            }
            ("gossip_ok", _) => {
                let src = msg["src"].as_str().unwrap_or_default().to_owned();
                let got = body["messages"].as_array().into_iter().flatten().filter_map(Value::as_i64);
                self.acked.entry(src).or_default().extend(got);
            }
            ("read", m) if m.starts_with("g-counter") => {
                let key = format!("scratch-{}", self.id);
                self.ids += 1;
                let v = self.ids;
                self.call(
                    "seq-kv",
                    json!({"type": "write", "key": key, "value": v}),
                    Pending::Fresh(msg.clone()),
                );
            }
            ("read", _) => {
                let messages: Vec<i64> = self.messages.iter().copied().collect();
                self.reply(msg, json!({"type": "read_ok", "messages": messages}));
            }
            ("add", mode) => {
                let delta = body["delta"].as_i64().unwrap_or_default();
                if mode == "g-counter-miss" && delta > 0 && !self.skipped {
                    self.skipped = true;
                } else {
                    self.counter += delta;
                }
                let (key, value) = (self.id.clone(), self.counter);
                self.call(
                    "seq-kv",
                    json!({"type": "write", "key": key, "value": value}),
                    Pending::Add(msg.clone()),
                );
            }
            (_, _) if body.get("in_reply_to").is_some() => self.on_kv_reply(body),
            _ => {
                self.reply(msg, json!({"type": "error", "code": 10, "text": format!("unsupported type {t}")}))
            }
        }
        true
    }

    fn on_kv_reply(&mut self, body: &Value) {
        let Some(id) = body["in_reply_to"].as_u64() else { return };
        match self.pending.remove(&id) {
            Some(Pending::Add(req)) => self.reply(&req, json!({"type": "add_ok"})),
            Some(Pending::Fresh(req)) => {
                let mut keys = vec![self.id.clone()];
                keys.extend(self.peers.iter().cloned());
                self.sums.insert(id, Sum { request: req, left: keys.len(), total: 0 });
                for k in keys {
                    self.call("seq-kv", json!({"type": "read", "key": k}), Pending::Key(id));
                }
            }
            Some(Pending::Key(sum_id)) => {
                let Some(sum) = self.sums.get_mut(&sum_id) else { return };
                sum.total += body["value"].as_i64().unwrap_or(0);
                sum.left -= 1;
                if sum.left == 0 {
                    if let Some(sum) = self.sums.remove(&sum_id) {
                        self.reply(&sum.request, json!({"type": "read_ok", "value": sum.total}));
                    }
                }
            }
            None => {}
        }
    }

    fn on_tick(&mut self) {
        if let Some((req, at)) = self.held.take() {
            if at.elapsed() < HOLD_FOR {
                self.held = Some((req, at));
            } else {
                self.reply(&req, json!({"type": "echo_ok", "echo": req["body"]["echo"]}));
                self.held_done = true;
            }
        }
        if self.mode != "broadcast" {
            return;
        }
        for p in self.peers.clone() {
            let acked = self.acked.get(&p).cloned().unwrap_or_default();
            let missing: Vec<i64> = self.messages.difference(&acked).copied().collect();
            if !missing.is_empty() {
                self.send(&p, json!({"type": "gossip", "messages": missing}));
            }
        }
    }
}

/// Lines of stdin, read on a thread of their own so the main loop can wait with a timeout.
fn stdin_lines() -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "echo".to_owned());
    if mode.starts_with("txn") {
        return txn::run(mode);
    }
    let rx = stdin_lines();
    let mut node = Node {
        kafka: kafka::Log::new(&mode),
        mode,
        id: String::new(),
        peers: Vec::new(),
        next_msg_id: 0,
        ids: 0,
        messages: BTreeSet::new(),
        acked: HashMap::new(),
        counter: 0,
        skipped: false,
        held: None,
        held_done: false,
        pending: HashMap::new(),
        sums: HashMap::new(),
        out: std::io::BufWriter::new(std::io::stdout()),
    };
    eprintln!("glomers-control: {}", node.mode);
    let mut last_tick = std::time::Instant::now();
    loop {
        if last_tick.elapsed() >= RETRY_EVERY {
            node.on_tick();
            last_tick = std::time::Instant::now();
        }
        match rx.recv_timeout(RETRY_EVERY) {
            Ok(line) => {
                let Ok(msg) = serde_json::from_str::<Value>(&line) else {
                    eprintln!("glomers-control: bad line {line}");
                    continue;
                };
                if !node.on_message(&msg) {
                    eprintln!("glomers-control: exiting early on purpose");
                    let _ = node.out.flush();
                    std::process::exit(3);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        let _ = node.out.flush();
    }
}
