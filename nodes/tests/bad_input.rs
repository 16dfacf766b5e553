//! The real `echo`, `unique-ids`, `txn-list-append` and `lin-kv` binaries fed bad input: each
//! case checks the reply (or that there is none) and that the node keeps serving; stdout must
//! hold protocol lines only.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

struct Node {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
}

impl Node {
    fn start(bin: &str) -> Node {
        let mut child = Command::new(bin)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Node { child, stdin, lines }
    }

    fn init(bin: &str) -> Node {
        let mut n = Node::start(bin);
        n.send_raw(&init_line("n0"));
        assert_eq!(n.reply()["body"], json!({"type": "init_ok", "in_reply_to": 1}));
        n
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("node reads");
        stdin.flush().expect("node reads");
    }

    /// The next line on stdout, which must be a JSON message with exactly src, dest, body.
    fn reply(&self) -> Value {
        let line = self.lines.recv_timeout(Duration::from_secs(5)).expect("a reply within 5 s");
        let v: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
        let keys: Vec<&str> = v.as_object().expect("object").keys().map(String::as_str).collect();
        assert_eq!(keys, ["body", "dest", "src"], "envelope keys of {line}");
        v
    }

    fn no_reply(&self) {
        if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
            panic!("expected no reply, got {line}");
        }
    }

    /// Proves the node still serves: an echo round trip.
    fn still_serves(&mut self, id: u64) {
        self.send_raw(format!("{}\n", echo(id, "alive")).as_bytes());
        assert_eq!(self.reply()["body"], json!({"type": "echo_ok", "echo": "alive", "in_reply_to": id}));
    }

    /// Closes stdin; the node must exit 0 after answering what it read.
    fn close(mut self) -> Vec<String> {
        self.stdin = None;
        let status = self.child.wait().expect("node exits");
        assert!(status.success(), "exit status {status}");
        // Every line, up to stdout's end: the thread reading it may still be on the last ones.
        self.lines.iter().collect()
    }
}

fn init_line(id: &str) -> Vec<u8> {
    format!("{}\n", json!({"src": "c0", "dest": id, "body": {"type": "init", "msg_id": 1, "node_id": id, "node_ids": [id]}})).into_bytes()
}

fn echo(id: u64, text: &str) -> Value {
    json!({"src": "c1", "dest": "n0", "body": {"type": "echo", "msg_id": id, "echo": text}})
}

const ECHO: &str = env!("CARGO_BIN_EXE_echo");

fn error_code(v: &Value) -> (Option<&str>, Option<u64>, Option<u64>) {
    (v["body"]["type"].as_str(), v["body"]["code"].as_u64(), v["body"]["in_reply_to"].as_u64())
}

/// The error code and `in_reply_to` a bad line must be answered with.
type Expected = (u64, u64);

#[test]
fn each_bad_line_gets_the_right_answer_and_the_node_keeps_serving() {
    // (input line, expected (code, in_reply_to) or None for no reply)
    let cases: Vec<(Vec<u8>, Option<Expected>)> = vec![
        (br#"{"src":"c1","dest":"n0","body":{"type":"echo","msg_id":21,"echo":"x""#.to_vec(), Some((12, 21))),
        (b"this is not json at all".to_vec(), None),
        (b"[1,2,3]".to_vec(), None),
        (br#"{"src":"c1","dest":"n0"}"#.to_vec(), None),
        (br#"{"src":"c1","dest":"n0","body":{"msg_id":22}}"#.to_vec(), Some((12, 22))),
        (br#"{"src":"c1","dest":"n0","body":{"type":"frobnicate","msg_id":23}}"#.to_vec(), Some((10, 23))),
        (br#"{"src":"c1","dest":"n0","body":{"type":"echo","msg_id":24}}"#.to_vec(), Some((12, 24))),
        (br#"{"src":"c1","dest":"n0","body":{"type":"echo","msg_id":"25","echo":"x"}}"#.to_vec(), None),
        (br#"{"src":5,"dest":"n0","body":{"type":"echo","msg_id":26,"echo":"x"}}"#.to_vec(), None),
        (b"".to_vec(), None),
        (b"   \r".to_vec(), None),
        (b"{\"src\":\"c1\",\"dest\":\"n0\",\"body\":{\"type\":\"echo\",\"msg_id\":27,\"echo\":\"\xff\xfe\"}}".to_vec(), Some((12, 27))),
        (br#"{"src":"c1","dest":"n0","body":{"type":"echo_ok","in_reply_to":3,"echo":"x"}}"#.to_vec(), None),
        (br#"{"src":"c1","dest":"n0","body":{"type":"init","msg_id":28,"node_id":"n9","node_ids":["n9"]}}"#.to_vec(), Some((22, 28))),
    ];
    let mut n = Node::init(ECHO);
    for (i, (line, want)) in cases.into_iter().enumerate() {
        let mut bytes = line.clone();
        bytes.push(b'\n');
        n.send_raw(&bytes);
        match want {
            Some((code, irt)) => {
                let r = n.reply();
                assert_eq!(
                    error_code(&r),
                    (Some("error"), Some(code), Some(irt)),
                    "case {i}: {}",
                    String::from_utf8_lossy(&line)
                );
                assert_eq!(r["dest"], "c1");
            }
            None => n.no_reply(),
        }
        n.still_serves(100 + i as u64);
    }
    assert!(n.close().is_empty());
}

#[test]
fn a_ten_megabyte_line_is_skipped_without_a_crash() {
    let mut n = Node::init(ECHO);
    let mut big = br#"{"src":"c1","dest":"n0","body":{"type":"echo","msg_id":2,"echo":""#.to_vec();
    big.extend(std::iter::repeat_n(b'a', 10 << 20));
    big.extend_from_slice(b"\"}}\n");
    n.send_raw(&big);
    n.no_reply();
    n.still_serves(3);
    n.close();
}

#[test]
fn before_init_requests_get_error_11_and_a_second_identical_init_is_acknowledged() {
    let mut n = Node::start(ECHO);
    n.send_raw(format!("{}\n", echo(7, "early")).as_bytes());
    let r = n.reply();
    assert_eq!(error_code(&r), (Some("error"), Some(11), Some(7)));
    assert_eq!((r["src"].as_str(), r["dest"].as_str()), (Some("n0"), Some("c1")));
    n.send_raw(&init_line("n0"));
    assert_eq!(n.reply()["body"]["type"], "init_ok");
    n.send_raw(&init_line("n0"));
    assert_eq!(n.reply()["body"]["type"], "init_ok");
    n.still_serves(8);
    n.close();
}

#[test]
fn end_of_input_mid_line_answers_what_arrived_and_exits_cleanly() {
    let mut n = Node::init(ECHO);
    let mut bytes = format!("{}\n", echo(2, "complete")).into_bytes();
    bytes.extend_from_slice(br#"{"src":"c1","dest":"n0","body":{"type":"echo","msg_id":3,"ec"#);
    n.send_raw(&bytes);
    let rest = n.close();
    let mut replies: Vec<Value> = rest.iter().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    assert_eq!(replies.len(), 2, "{rest:?}");
    // The reader answers the broken line itself, so it may overtake the echo a worker answers.
    replies.sort_by_key(|r| r["body"]["in_reply_to"].as_u64());
    assert_eq!(replies[0]["body"], json!({"type": "echo_ok", "echo": "complete", "in_reply_to": 2}));
    assert_eq!(error_code(&replies[1]), (Some("error"), Some(12), Some(3)));
}

#[test]
fn unique_ids_binary_answers_generate_and_rejects_junk() {
    let mut n = Node::init(env!("CARGO_BIN_EXE_unique-ids"));
    let mut ids = std::collections::HashSet::new();
    for i in 0..100u64 {
        n.send_raw(
            format!(
                "{}\n",
                json!({"src": "c1", "dest": "n0", "body": {"type": "generate", "msg_id": i + 2}})
            )
            .as_bytes(),
        );
        let r = n.reply();
        let body = r["body"].as_object().expect("object");
        assert_eq!(body.len(), 3, "exactly type, id, in_reply_to: {r}");
        assert!(ids.insert(r["body"]["id"].as_str().expect("string id").to_owned()));
    }
    n.send_raw(b"{\"src\":\"c1\",\"dest\":\"n0\",\"body\":{\"type\":\"echo\",\"msg_id\":500}}\n");
    assert_eq!(error_code(&n.reply()), (Some("error"), Some(10), Some(500)));
    n.close();
}

#[test]
fn txn_list_append_binary_commits_through_lin_kv_and_rejects_junk() {
    let mut n = Node::init(env!("CARGO_BIN_EXE_txn-list-append"));
    n.no_reply();
    let serve = |n: &mut Node, expect: Value, answer: Value| {
        let call = n.reply();
        assert_eq!(call["dest"], json!("lin-kv"));
        let mut body = call["body"].clone();
        let id = body.as_object_mut().and_then(|b| b.remove("msg_id")).expect("a call has a msg_id");
        assert_eq!(body, expect);
        let mut answer = answer;
        answer["in_reply_to"] = id;
        n.send_raw(format!("{}\n", json!({"src": "lin-kv", "dest": "n0", "body": answer})).as_bytes());
    };
    let missing = json!({"type": "error", "code": 20, "text": "key does not exist"});
    let txn = |id: u64, txn: Value| {
        format!("{}\n", json!({"src": "c1", "dest": "n0", "body": {"type": "txn", "msg_id": id, "txn": txn}}))
    };
    // The first transaction has the node draw its incarnation and look for a snapshot.
    n.send_raw(txn(2, json!([["append", 1, 5], ["r", 1, null]])).as_bytes());
    serve(&mut n, json!({"type": "read", "key": "incarnation/n0"}), missing.clone());
    let bump =
        json!({"type": "cas", "key": "incarnation/n0", "from": 0, "to": 1, "create_if_not_exists": true});
    serve(&mut n, bump, json!({"type": "cas_ok"}));
    serve(&mut n, json!({"type": "read", "key": "snapshot"}), missing);
    let claim = json!({"type": "cas", "key": "slot/0", "from": null,
                       "to": {"by": ["n0", 1, 0], "appends": [[1, 5]]}, "create_if_not_exists": true});
    serve(&mut n, claim, json!({"type": "cas_ok"}));
    assert_eq!(
        n.reply()["body"],
        json!({"type": "txn_ok", "txn": [["append", 1, 5], ["r", 1, [5]]], "in_reply_to": 2})
    );
    n.send_raw(txn(3, json!([["w", 1, 5]])).as_bytes());
    assert_eq!(error_code(&n.reply()), (Some("error"), Some(12), Some(3)));
    n.send_raw(txn(4, json!("not a list")).as_bytes());
    assert_eq!(error_code(&n.reply()), (Some("error"), Some(12), Some(4)));
    n.send_raw(b"{\"src\":\"c1\",\"dest\":\"n0\",\"body\":{\"type\":\"txn\",\"msg_id\":5}}\n");
    assert_eq!(error_code(&n.reply()), (Some("error"), Some(12), Some(5)));
    n.close();
}

#[test]
fn lin_kv_binary_answers_malformed_requests_12_and_still_commits() {
    let mut n = Node::init(env!("CARGO_BIN_EXE_lin-kv"));
    let req = |id: u64, body: Value| {
        let mut body = body;
        body["msg_id"] = json!(id);
        format!("{}\n", json!({"src": "c1", "dest": "n0", "body": body}))
    };
    // A read without its key, a cas without `to`, a write without its value: malformed.
    for (id, body) in [
        (2, json!({"type": "read"})),
        (3, json!({"type": "cas", "key": 1, "from": 1})),
        (4, json!({"type": "write", "key": 1})),
    ] {
        n.send_raw(req(id, body).as_bytes());
        assert_eq!(error_code(&n.reply()), (Some("error"), Some(12), Some(id)));
    }
    // A line that is not JSON gets no answer; the node keeps going.
    n.send_raw(b"{not json\n");
    n.no_reply();
    // One node is its own majority: once elected (within its 1 s timeout) it commits a write
    // and reads it back. Until then it answers 11 (temporarily unavailable).
    let mut id = 10;
    loop {
        n.send_raw(req(id, json!({"type": "write", "key": 1, "value": 7})).as_bytes());
        let r = n.reply();
        if r["body"]["type"] == "write_ok" {
            break;
        }
        assert_eq!(error_code(&r), (Some("error"), Some(11), Some(id)), "{r}");
        assert!(id < 40, "no leader after {} tries", id - 10);
        std::thread::sleep(Duration::from_millis(100));
        id += 1;
    }
    n.send_raw(req(100, json!({"type": "read", "key": 1})).as_bytes());
    assert_eq!(n.reply()["body"], json!({"type": "read_ok", "value": 7, "in_reply_to": 100}));
    n.close();
}
