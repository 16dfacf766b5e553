//! The short node API, driven through every driver: a reply taking the request and any
//! serializable body (a request enum that lists no replies), the node's id and peers wherever
//! its code runs, `on_start`, one-shot and several periodic timers, and a body type without its
//! `type` tag refused at start-up.

use glomers_engine::driver::{Driver, LineDriver};
use glomers_engine::testkit::{Cluster, TestNode};
use glomers_engine::{run_with, Config, Effects, Init, Message, Node, Out, RpcError};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

/// What the set node receives; its replies are another type, or plain JSON.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Request {
    Add { element: u64 },
    Read,
    Whoami,
    Merge { value: BTreeSet<u64> },
}

/// The set node's replies: never received, so never in `Request`.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Reply {
    ReadOk { value: BTreeSet<u64> },
}

/// A grow-only set that gossips every 50 ms, announces itself once at start, and records
/// each 30 ms heartbeat and its one-shot timer.
#[derive(Default)]
struct Set {
    value: Mutex<BTreeSet<u64>>,
    heartbeats: Mutex<u32>,
    fired_once: Mutex<Vec<Duration>>,
}

impl Node for Set {
    type Body = Request;
    fn init(_: &Init) -> Result<Self, RpcError> {
        Ok(Set::default())
    }
    fn on_start(&self, out: &mut Effects<Self>) {
        let hello = json!({"type": "hello", "me": out.me().as_str(), "peers": out.peers().len()});
        out.send("c0", hello);
        out.every(Duration::from_millis(50), |node: &Set, out| {
            let value = node.value.lock().clone();
            for peer in out.peers() {
                out.send(peer, Request::Merge { value: value.clone() });
            }
        });
        out.every(Duration::from_millis(30), |node: &Set, _| *node.heartbeats.lock() += 1);
        out.after(Duration::from_millis(75), |node: &Set, out| node.fired_once.lock().push(out.now()));
    }
    fn on_message(&self, msg: Message<Request>, out: &mut Out<Self>) -> Result<(), RpcError> {
        match msg.body {
            Request::Add { element } => {
                self.value.lock().insert(element);
                out.reply(&msg, json!({"type": "add_ok"}));
            }
            Request::Read => out.reply(&msg, Reply::ReadOk { value: self.value.lock().clone() }),
            Request::Whoami => {
                let me = out.me().to_string();
                out.reply(&msg, json!({"type": "whoami_ok", "me": me}));
            }
            Request::Merge { value } => self.value.lock().extend(value),
        }
        Ok(())
    }
}

fn init_line(me: &str, ids: &[&str]) -> String {
    format!(
        r#"{{"src":"c0","dest":"{me}","body":{{"type":"init","msg_id":1,"node_id":"{me}","node_ids":{}}}}}"#,
        json!(ids)
    )
}

fn parse(lines: &[Vec<u8>]) -> Vec<Value> {
    lines.iter().map(|l| serde_json::from_slice(l).expect("the node writes JSON")).collect()
}

#[test]
fn replies_of_any_type_reach_the_client_through_the_line_driver() {
    let mut d = LineDriver::<Set>::new();
    let mut out = Vec::new();
    d.on_line(Duration::ZERO, init_line("n1", &["n1", "n2", "n3"]).as_bytes(), &mut out);
    for (i, body) in
        [r#"{"type":"add","element":4}"#, r#"{"type":"read"}"#, r#"{"type":"whoami"}"#].iter().enumerate()
    {
        let with_id = body.replace('{', &format!(r#"{{"msg_id":{},"#, i + 2));
        d.on_line(
            Duration::ZERO,
            format!(r#"{{"src":"c1","dest":"n1","body":{with_id}}}"#).as_bytes(),
            &mut out,
        );
    }
    let got = parse(&out);
    // on_start's message leaves before init_ok.
    assert_eq!(got[0]["body"], json!({"type": "hello", "me": "n1", "peers": 2}));
    assert_eq!(got[1]["body"], json!({"type": "init_ok", "in_reply_to": 1}));
    assert_eq!(got[2]["body"], json!({"type": "add_ok", "in_reply_to": 2}));
    assert_eq!(got[3]["body"], json!({"type": "read_ok", "value": [4], "in_reply_to": 3}));
    assert_eq!(got[4]["body"], json!({"type": "whoami_ok", "me": "n1", "in_reply_to": 4}));
    assert_eq!(got.len(), 5);
}

#[test]
fn timers_fire_on_schedule_and_a_one_shot_fires_once() {
    let mut d = LineDriver::<Set>::new();
    let mut out = Vec::new();
    d.on_line(Duration::ZERO, init_line("n1", &["n1", "n2", "n3"]).as_bytes(), &mut out);
    out.clear();
    let mut now = Duration::ZERO;
    while let Some(next) = d.next_deadline().filter(|t| *t <= Duration::from_millis(300)) {
        now = next;
        d.advance(now, &mut out);
    }
    let node = d.node().expect("initialised");
    // Heartbeats at 30, 60, ..., 300 ms; gossip at 50, ..., 300 ms to both peers.
    assert_eq!(*node.heartbeats.lock(), 10);
    let merges = parse(&out).into_iter().filter(|m| m["body"]["type"] == "merge").count();
    assert_eq!(merges, 6 * 2);
    assert_eq!(*node.fired_once.lock(), [Duration::from_millis(75)]);
    assert!(now <= Duration::from_millis(300));
}

#[test]
fn a_cluster_converges_through_on_start_timers_and_owned_peer_ids() {
    let mut c = Cluster::<Set>::new(3, Duration::from_millis(5)).with_jitter(7);
    for (i, node) in ["n0", "n1", "n2"].iter().enumerate() {
        c.request("c1", node, Request::Add { element: i as u64 });
    }
    c.partition(&["n0"], &["n1", "n2"]);
    c.request("c1", "n1", Request::Add { element: 9 });
    c.run_for(Duration::from_millis(200));
    assert!(!c.node("n0").value.lock().contains(&9), "n0 is cut off");
    c.heal();
    c.run_for(Duration::from_millis(200));
    for node in ["n0", "n1", "n2"] {
        assert_eq!(*c.node(node).value.lock(), BTreeSet::from([0, 1, 2, 9]), "{node}");
    }
    let outside = c.take_outside();
    let hellos = outside.iter().filter(|d| d.msg.json()["type"] == "hello").count();
    assert_eq!(hellos, 3, "each node's on_start message reached c0");
}

#[test]
fn the_testkit_reads_replies_of_any_type() {
    let mut t = TestNode::<Set>::new("n1", &["n1", "n2"]);
    assert_eq!(t.take_startup()[0].json()["me"], "n1");
    t.request("c1", Request::Add { element: 3 });
    let sent = t.request("c1", Request::Read);
    assert_eq!(sent[0].json(), json!({"type": "read_ok", "value": [3]}));
    let read: Option<BTreeSet<u64>> =
        sent[0].body_as::<Value>().and_then(|v| serde_json::from_value(v["value"].clone()).ok());
    assert_eq!(read, Some(BTreeSet::from([3])));
}

/// A periodic timer whose code panics every other round keeps its schedule.
struct Flaky {
    rounds: Mutex<u32>,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Nothing {}

impl Node for Flaky {
    type Body = Nothing;
    fn init(_: &Init) -> Result<Self, RpcError> {
        Ok(Flaky { rounds: Mutex::new(0) })
    }
    fn on_start(&self, out: &mut Effects<Self>) {
        out.every(Duration::from_millis(10), |node: &Flaky, _| {
            let mut rounds = node.rounds.lock();
            *rounds += 1;
            let odd = *rounds % 2 == 1;
            drop(rounds);
            assert!(!odd, "an odd round panics on purpose");
        });
    }
    fn on_message(&self, _: Message<Nothing>, _: &mut Out<Self>) -> Result<(), RpcError> {
        Ok(())
    }
}

#[test]
fn a_periodic_timer_survives_a_panicking_round() {
    let mut d = LineDriver::<Flaky>::new();
    let mut out = Vec::new();
    d.on_line(Duration::ZERO, init_line("n1", &["n1"]).as_bytes(), &mut out);
    while let Some(next) = d.next_deadline().filter(|t| *t <= Duration::from_millis(100)) {
        d.advance(next, &mut out);
    }
    assert_eq!(*d.node().expect("initialised").rounds.lock(), 10);
}

/// The mistake the compiler cannot catch: a body enum without `#[serde(tag = "type")]`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Untagged {
    Echo { echo: u64 },
}

struct Forgetful;

impl Node for Forgetful {
    type Body = Untagged;
    fn init(_: &Init) -> Result<Self, RpcError> {
        Ok(Forgetful)
    }
    fn on_message(&self, _: Message<Untagged>, _: &mut Out<Self>) -> Result<(), RpcError> {
        Ok(())
    }
}

#[test]
fn an_untagged_body_type_is_refused_at_start_up_by_every_driver() {
    // The line driver answers init with error 13, naming the fix.
    let mut d = LineDriver::<Forgetful>::new();
    let mut out = Vec::new();
    d.on_line(Duration::ZERO, init_line("n1", &["n1"]).as_bytes(), &mut out);
    let got = parse(&out);
    assert_eq!(got[0]["body"]["code"], 13);
    let text = got[0]["body"]["text"].as_str().unwrap_or_default();
    assert!(text.contains("not tagged by `type`") && text.contains("serde(tag"), "{text}");
    assert!(d.node().is_none());
    // The threaded engine reads nothing and writes nothing.
    let mut written = Vec::new();
    run_with::<Forgetful>(Config::default(), init_line("n1", &["n1"]).as_bytes(), &mut written);
    assert!(written.is_empty(), "{}", String::from_utf8_lossy(&written));
    // The testkit stops the test with the same message.
    let refused = std::panic::catch_unwind(|| TestNode::<Forgetful>::new("n1", &["n1"]));
    let message = refused.err().and_then(|p| p.downcast_ref::<String>().cloned()).unwrap_or_default();
    assert!(message.contains("not tagged by `type`"), "{message}");
}

#[test]
fn a_reply_that_is_not_a_tagged_object_becomes_error_13() {
    struct Sloppy;
    impl Node for Sloppy {
        type Body = Request;
        fn init(_: &Init) -> Result<Self, RpcError> {
            Ok(Sloppy)
        }
        fn on_message(&self, msg: Message<Request>, out: &mut Out<Self>) -> Result<(), RpcError> {
            out.reply(&msg, Untagged::Echo { echo: 1 });
            Ok(())
        }
    }
    let mut t = TestNode::<Sloppy>::new("n1", &["n1"]);
    let sent = t.request("c1", Request::Read);
    assert_eq!(sent[0].json()["code"], 13, "{}", sent[0].json());
}

#[test]
fn the_threaded_engine_runs_on_start_and_replies_of_any_type() {
    let input = [
        init_line("n1", &["n1", "n2"]),
        r#"{"src":"c1","dest":"n1","body":{"type":"add","msg_id":2,"element":5}}"#.to_owned(),
        r#"{"src":"c1","dest":"n1","body":{"type":"read","msg_id":3}}"#.to_owned(),
    ]
    .join("\n");
    let mut written = Vec::new();
    run_with::<Set>(Config { workers: 1, ..Config::default() }, input.as_bytes(), &mut written);
    let lines: Vec<Value> = written
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("JSON"))
        .collect();
    let bodies: Vec<&Value> = lines.iter().map(|l| &l["body"]).collect();
    assert!(bodies.contains(&&json!({"type": "hello", "me": "n1", "peers": 1})), "{bodies:?}");
    assert!(bodies.contains(&&json!({"type": "add_ok", "in_reply_to": 2})), "{bodies:?}");
    assert!(bodies.contains(&&json!({"type": "read_ok", "value": [5], "in_reply_to": 3})), "{bodies:?}");
}
