//! The kafka workload on its own: the generator's keys and skew, the final phase, and the client's
//! replies (malformed ones included), without a run.

use super::client::KafkaClient;
use super::*;
use crate::core::topology::Topology;
use crate::core::workloads::{ClientReply, Step, WorkloadOpts};

fn cfg(rate: f64, concurrency: usize) -> WorkloadConfig {
    WorkloadConfig {
        nodes: vec!["n0".into(), "n1".into()],
        topology: Topology::Grid,
        concurrency,
        rate,
        latency_ms: 0,
        opts: WorkloadOpts::default(),
    }
}

fn reply(v: Value) -> ClientReply {
    match v {
        Value::Object(m) => ClientReply::Body(m),
        _ => ClientReply::Timeout,
    }
}

fn sent(step: Step) -> Value {
    match step {
        Step::Send(b) => Value::Object(b),
        Step::Done(c) => panic!("expected a request, got {c:?}"),
    }
}

fn finished(step: Step) -> Completion {
    match step {
        Step::Done(c) => c,
        Step::Send(b) => panic!("expected the end of the operation, got request {b:?}"),
    }
}

#[test]
fn mix_is_half_sends_with_skewed_keys_retired_after_sixteen_messages() {
    let mut g = generator::Generator::new(&cfg(1000.0, 4));
    let mut rng = Rng::new(7);
    let (mut sends, mut polls, mut assigns, mut crashes) = (0, 0, 0, 0);
    let mut per_key: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for _ in 0..20_000 {
        let op = g.next_op(&mut rng);
        match op.f {
            "send" => {
                sends += 1;
                let k = op.value[0][1].as_i64().expect("int key");
                per_key.entry(k).or_default().push(op.value[0][2].as_i64().expect("int msg"));
            }
            "poll" => polls += 1,
            "assign" => assigns += 1,
            _ => crashes += 1,
        }
    }
    assert!((9000..11000).contains(&sends), "sends {sends}");
    assert!((9000..11000).contains(&polls), "polls {polls}");
    // One in 64, deferring the drawn op (so 20,000 draws give ~310 assigns).
    assert!((200..420).contains(&assigns), "assigns {assigns}");
    // 4 workers / 30 s at 1000 ops/s: about 0.13 per 1000 ops.
    assert!(crashes <= 15, "crashes {crashes}");
    for (k, msgs) in &per_key {
        let expected: Vec<i64> = (1..=msgs.len() as i64).collect();
        assert_eq!(msgs, &expected, "key {k} gets 1, 2, 3, … in order");
        assert!(msgs.len() <= 16);
    }
    // Many keys were retired and replaced; the hottest key changes often.
    assert!(per_key.len() > 300, "{} keys", per_key.len());
}

#[test]
fn assigns_name_keys_with_unpolled_sends() {
    let mut g = generator::Generator::new(&cfg(100.0, 2));
    g.sent(&BTreeMap::from([(3, 5), (4, 1)]));
    g.polled(&BTreeMap::from([(4, 1)]));
    assert_eq!(g.unseen(), vec![3]);
    let mut rng = Rng::new(1);
    let mut with_unseen = 0;
    let mut total = 0;
    for _ in 0..50_000 {
        let op = g.next_op(&mut rng);
        if op.f == "assign" {
            total += 1;
            let keys = op.value.as_array().expect("keys").clone();
            if keys.len() == 2 && keys.contains(&json!(3)) {
                with_unseen += 1;
            }
            let next = g.next_op(&mut rng);
            assert_ne!(next.f, "assign", "the deferred op follows its assign");
        }
    }
    let share = f64::from(with_unseen) / f64::from(total);
    assert!((0.2..0.5).contains(&share), "{with_unseen} of {total}");
}

#[test]
fn client_polls_from_committed_offsets_then_commits_what_it_saw() {
    let mut c = KafkaClient::default();
    let assign = Op { f: "assign", value: json!([3, 5]), final_op: false };
    let req = sent(c.invoke(&assign));
    assert_eq!(req, json!({"type": "list_committed_offsets", "keys": ["3", "5"]}));
    let done = finished(c.on_reply(
        &assign,
        reply(json!({"type": "list_committed_offsets_ok", "in_reply_to": 1, "offsets": {"3": 7}})),
    ));
    assert_eq!(done.kind, Kind::Ok);
    let poll = Op { f: "poll", value: json!([["poll"]]), final_op: false };
    assert_eq!(sent(c.invoke(&poll)), json!({"type": "poll", "offsets": {"3": 7, "5": 0}}));
    let req = sent(c.on_reply(
        &poll,
        reply(json!({"type": "poll_ok", "in_reply_to": 2, "msgs": {"3": [[7, 1], [9, 2]], "5": []}})),
    ));
    assert_eq!(req, json!({"type": "commit_offsets", "offsets": {"3": 9}}));
    let done = finished(c.on_reply(&poll, reply(json!({"type": "commit_offsets_ok", "in_reply_to": 3}))));
    assert_eq!((done.kind, done.value), (Kind::Ok, json!([["poll", {"3": [[7, 1], [9, 2]], "5": []}]])));
    assert_eq!(sent(c.invoke(&poll)), json!({"type": "poll", "offsets": {"3": 10, "5": 0}}));
    // Re-assigning keeps local offsets for keys still assigned.
    let again = Op { f: "assign", value: json!([3]), final_op: false };
    let _ = sent(c.invoke(&again));
    let _ = finished(c.on_reply(
        &again,
        reply(json!({"type": "list_committed_offsets_ok", "in_reply_to": 4, "offsets": {"3": 2}})),
    ));
    assert_eq!(sent(c.invoke(&poll)), json!({"type": "poll", "offsets": {"3": 10}}));
}

#[test]
fn client_outcomes_follow_the_error_rules() {
    let mut c = KafkaClient::default();
    let send = Op { f: "send", value: json!([["send", 3, 7]]), final_op: false };
    assert_eq!(sent(c.invoke(&send)), json!({"type": "send", "key": "3", "msg": 7}));
    let ok = finished(c.on_reply(&send, reply(json!({"type": "send_ok", "in_reply_to": 1, "offset": 12}))));
    assert_eq!((ok.kind, ok.value), (Kind::Ok, json!([["send", 3, [12, 7]]])));
    let _ = sent(c.invoke(&send));
    assert_eq!(finished(c.on_reply(&send, ClientReply::Timeout)).kind, Kind::Info);
    let _ = sent(c.invoke(&send));
    let definite = json!({"type": "error", "in_reply_to": 3, "code": 11});
    assert_eq!(finished(c.on_reply(&send, reply(definite))).kind, Kind::Fail);
    let assign = Op { f: "assign", value: json!([1]), final_op: false };
    let _ = sent(c.invoke(&assign));
    assert_eq!(finished(c.on_reply(&assign, ClientReply::Timeout)).kind, Kind::Fail, "assign timeouts fail");
    let poll = Op { f: "poll", value: json!([["poll"]]), final_op: false };
    let _ = sent(c.invoke(&poll));
    let bad = json!({"type": "poll_ok", "in_reply_to": 5, "msgs": {"1": [[0]]}});
    let c2 = finished(c.on_reply(&poll, reply(bad)));
    assert_eq!(c2.kind, Kind::Info);
    assert!(c2.exception.is_some_and(|e| e.contains("not an [offset, msg] pair")));
    let crash = Op { f: "crash", value: Value::Null, final_op: false };
    assert_eq!(finished(c.invoke(&crash)).kind, Kind::Info);
}

#[test]
fn final_phase_crashes_assigns_from_zero_and_polls_until_caught_up() {
    let mut k = Kafka::new(&cfg(10.0, 1));
    let send = Op { f: "send", value: json!([["send", 3, 1]]), final_op: false };
    let ok = |value| Completion { kind: Kind::Ok, value, error: None, exception: None };
    k.on_complete(0, &send, &ok(json!([["send", 3, [4, 1]]])));
    let t0 = Duration::from_secs(100);
    let FinalStep::Op(crash) = k.final_step(0, t0, None) else { panic!("crash first") };
    assert_eq!(crash.f, "crash");
    let info = Completion { kind: Kind::Info, value: Value::Null, error: None, exception: None };
    let FinalStep::Op(assign) = k.final_step(0, t0, Some(&info)) else { panic!("then assign") };
    assert_eq!((assign.f, assign.value.clone()), ("assign", json!([3])));
    let mut c = KafkaClient::default();
    assert_eq!(finished(c.invoke(&assign)).kind, Kind::Ok);
    assert_eq!(sent(c.invoke(&Kafka::poll_op())), json!({"type": "poll", "offsets": {"3": 0}}));
    let FinalStep::After(pause, poll) = k.final_step(0, t0, Some(&ok(json!([3])))) else {
        panic!("then poll")
    };
    assert!(pause < FINAL_POLL_PAUSE);
    assert_eq!(poll.f, "poll");
    let behind = ok(json!([["poll", {"3": [[2, 1]]}]]));
    assert!(matches!(k.final_step(0, t0, Some(&behind)), FinalStep::After(..)));
    let caught_up = ok(json!([["poll", {"3": [[4, 1]]}]]));
    assert_eq!(k.final_step(0, t0, Some(&caught_up)), FinalStep::Done);
    // A worker that never catches up stops after 10 s.
    let FinalStep::Op(_) = k.final_step(1, t0, None) else { panic!() };
    let _ = k.final_step(1, t0, Some(&info));
    let _ = k.final_step(1, t0, Some(&ok(json!([3]))));
    assert_eq!(k.final_step(1, t0 + FINAL_CAP, Some(&behind)), FinalStep::Done);
}

#[test]
fn malformed_replies_are_indeterminate_with_the_reason() {
    let mut c = KafkaClient::default();
    let poll = Op { f: "poll", value: json!([["poll"]]), final_op: false };
    let send = Op { f: "send", value: json!([["send", 3, 7]]), final_op: false };
    let assign = Op { f: "assign", value: json!([3]), final_op: false };
    let cases = [
        (&poll, json!({"type": "poll_ok", "in_reply_to": 1}), "msgs must be an object"),
        (&poll, json!({"type": "poll_ok", "in_reply_to": 1, "msgs": {"x": []}}), "not an integer string"),
        (&poll, json!({"type": "read_ok", "in_reply_to": 1, "msgs": {}}), "expected type \"poll_ok\""),
        (&send, json!({"type": "send_ok", "in_reply_to": 1, "offset": "1"}), "offset must be an integer"),
        (&send, json!({"type": "send_ok", "in_reply_to": 1, "offset": 1, "extra": 0}), "unexpected key"),
        (
            &assign,
            json!({"type": "list_committed_offsets_ok", "in_reply_to": 1, "offsets": {"3": "a"}}),
            "is not an integer key and offset",
        ),
    ];
    for (op, reply_body, why) in cases {
        let _ = sent(c.invoke(op));
        let done = finished(c.on_reply(op, reply(reply_body.clone())));
        assert_eq!(done.kind, Kind::Info, "{reply_body}");
        let exception = done.exception.unwrap_or_default();
        assert!(exception.contains(why), "{reply_body}: {exception}");
    }
}
