//! The kafka checker on hand-built histories: one clean multi-process history, and one history
//! per anomaly, each checked for exactly the anomalies it holds.

use super::*;
use crate::core::history::build::ev;
use crate::core::history::Kind::{self, Fail, Info, Invoke};
use serde_json::json;

/// Builds a history one operation at a time, each taking 1 ms and starting 10 ms after the last.
#[derive(Default)]
struct Builder {
    h: History,
    ms: u64,
}

impl Builder {
    fn op(&mut self, p: u64, f: &str, invoke: Value, kind: Kind, done: Value) -> &mut Self {
        ev(&mut self.h, Invoke, p, f, invoke, self.ms);
        ev(&mut self.h, kind, p, f, done, self.ms + 1);
        self.ms += 10;
        self
    }

    fn send(&mut self, p: u64, k: i64, msg: i64, offset: i64) -> &mut Self {
        self.op(p, "send", json!([["send", k, msg]]), Kind::Ok, json!([["send", k, [offset, msg]]]))
    }

    fn send_failed(&mut self, p: u64, k: i64, msg: i64, kind: Kind, error: &str) -> &mut Self {
        self.op(p, "send", json!([["send", k, msg]]), kind, json!([["send", k, msg]]));
        if let Some(e) = self.h.events.last_mut() {
            e.error = Some(json!(error));
        }
        self
    }

    fn poll(&mut self, p: u64, msgs: Value) -> &mut Self {
        self.op(p, "poll", json!([["poll"]]), Kind::Ok, json!([["poll", msgs]]))
    }

    fn assign(&mut self, p: u64, keys: Value) -> &mut Self {
        self.op(p, "assign", keys.clone(), Kind::Ok, keys)
    }

    fn crash(&mut self, p: u64) -> &mut Self {
        self.op(p, "crash", Value::Null, Info, Value::Null)
    }

    fn check(&self) -> Checked<KafkaResult> {
        check(&self.h)
    }
}

/// The names in `error-types`.
fn errors(c: &Checked<KafkaResult>) -> Vec<&str> {
    c.result.error_types.clone()
}

/// Asserts the history fails with exactly these anomalies, one problem sentence each.
fn fails_with(c: &Checked<KafkaResult>, names: &[&str]) {
    assert_eq!(errors(c), names, "{:#}", c.to_results_json());
    assert_eq!(c.to_results_json()["bad-error-types"], json!(names));
    assert_eq!(c.valid, Validity::Invalid);
    assert_eq!(c.to_results_json()["valid?"], json!(false));
    assert_eq!(c.problems.len(), names.len(), "{:?}", c.problems);
    for name in names.iter().filter(|n| **n != "unseen") {
        let count = c.to_results_json()[*name]["count"].as_u64().unwrap_or_default();
        let shown = c.to_results_json()[*name]["errs"].as_array().map_or(0, Vec::len) as u64;
        assert!(count >= 1 && shown == count.min(SHOWN as u64), "{name}: {}", c.to_results_json()[*name]);
    }
    assert!(c.to_results_json()["worst-realtime-lag"]["lag"].is_number());
    assert!(c.to_results_json()["info-txn-causes"].is_array());
}

/// Three messages on key 3 at offsets 0, 1 and 2, sent by process 0.
fn three_sent() -> Builder {
    let mut b = Builder::default();
    b.send(0, 3, 1, 0).send(0, 3, 2, 1).send(0, 3, 3, 2);
    b
}

#[test]
fn clean_history_with_gaps_crashes_reassigns_and_indeterminate_sends_is_valid() {
    let mut b = Builder::default();
    b.assign(0, json!([3, 5]))
        .assign(1, json!([3]))
        .send(0, 3, 1, 0)
        .send(1, 3, 2, 2) // a gap at offset 1
        .send(0, 5, 1, 10)
        .poll(0, json!({"3": [[0, 1], [2, 2]], "5": [[10, 1]]}))
        .send_failed(1, 3, 3, Info, "net-timeout") // process 1's client is replaced by 3
        .assign(3, json!([3]))
        .poll(3, json!({"3": [[0, 1]]}))
        .poll(3, json!({"3": []}))
        .poll(3, json!({"3": [[2, 2], [5, 3]]})) // the indeterminate send took effect
        .send_failed(3, 5, 2, Fail, "temporarily-unavailable")
        .assign(0, json!([5])) // drops key 3 …
        .assign(0, json!([3, 5])) // … so polling it again from 0 is no regression
        .poll(0, json!({"3": [[0, 1], [2, 2], [5, 3]], "5": []}))
        .send(0, 3, 4, 9)
        .crash(0)
        .assign(2, json!(["3", "5"]))
        .poll(2, json!({"3": [[0, 1], [2, 2], [5, 3], [9, 4]], "5": [[10, 1]]}));
    let c = b.check();
    assert_eq!(c.valid, Validity::Valid, "{:?} {:#}", c.problems, c.to_results_json());
    assert!(c.problems.is_empty());
    assert_eq!(c.to_results_json()["error-types"], json!([]));
    assert_eq!(c.to_results_json()["info-txn-causes"], json!(["net-timeout"]));
    let lag = &c.to_results_json()["worst-realtime-lag"];
    assert_eq!((lag["process"].as_u64(), lag["key"].as_i64()), (Some(3), Some(3)), "{lag}");
    // Process 3's empty poll of key 3 at 0.09 s still stood at offset 0, which stopped being
    // the tail when process 1's send to offset 2 completed at 0.031 s.
    assert!((lag["lag"].as_f64().unwrap_or_default() - 0.059).abs() < 1e-9, "{lag}");
}

#[test]
fn two_messages_at_one_offset_are_inconsistent_offsets() {
    let mut b = Builder::default();
    b.send(0, 3, 1, 0).send(1, 3, 2, 0).poll(2, json!({"3": [[0, 1]]})).poll(3, json!({"3": [[0, 2]]}));
    let c = b.check();
    fails_with(&c, &["inconsistent-offsets"]);
    assert_eq!(c.to_results_json()["inconsistent-offsets"]["errs"][0]["values"], json!([1, 2]));
    assert_eq!(
        c.problems[0],
        "inconsistent-offsets: key 3: offset 0 holds message 1 in send #1 (process 0) but message 2 in \
         send #3 (process 1)"
    );
}

#[test]
fn one_message_at_two_offsets_is_a_duplicate() {
    let mut b = Builder::default();
    b.send(0, 3, 1, 0).send(2, 3, 2, 1).poll(1, json!({"3": [[0, 1], [1, 2], [2, 1]]}));
    let c = b.check();
    // The reply also goes back to message 1 after message 2.
    fails_with(&c, &["duplicate", "int-nonmonotonic-poll"]);
    assert_eq!(c.to_results_json()["duplicate"]["errs"][0]["offsets"], json!([0, 2]));
    assert!(
        c.problems[0].starts_with("duplicate: key 3: message 1 appears at offset 0"),
        "{}",
        c.problems[0]
    );
}

#[test]
fn a_message_below_what_polls_read_but_never_read_is_a_lost_write() {
    let mut b = three_sent();
    b.poll(1, json!({"3": [[0, 1]]})).poll(2, json!({"3": [[2, 3]]}));
    let c = b.check();
    fails_with(&c, &["lost-write", "unseen"]);
    assert_eq!(c.to_results_json()["lost-write"]["errs"][0]["value"], json!(2));
    assert_eq!(c.to_results_json()["lost-write"]["errs"][0]["max-read-index"], json!(2));
    assert_eq!(
        c.problems[0],
        "lost-write: key 3: message 2 (offset 1, log index 1), sent by send #3 (process 0), was never returned \
         by any poll, though poll #9 (process 2) returned message 3 at log index 2, past it"
    );
    assert_eq!(c.to_results_json()["unseen"], json!({"unseen": {"3": 1}, "messages": {"3": [2]}}));
}

#[test]
fn acknowledged_but_never_polled_is_unseen() {
    let mut b = Builder::default();
    b.send(0, 3, 1, 0).send(0, 4, 1, 0).send(0, 4, 2, 1).poll(1, json!({"4": [[0, 1]]}));
    let c = b.check();
    fails_with(&c, &["unseen"]);
    assert_eq!(
        c.to_results_json()["unseen"],
        json!({"unseen": {"3": 1, "4": 1}, "messages": {"3": [1], "4": [2]}})
    );
    assert!(c.problems[0].contains("key 3: message 1 (the first acknowledged by send #1 (process 0))"));
}

#[test]
fn a_process_jumping_ahead_between_polls_is_a_poll_skip() {
    let mut b = three_sent();
    b.poll(1, json!({"3": [[0, 1], [1, 2], [2, 3]]}))
        .assign(5, json!([3]))
        .poll(5, json!({"3": [[0, 1]]}))
        .poll(5, json!({"3": [[2, 3]]}));
    let c = b.check();
    fails_with(&c, &["poll-skip"]);
    assert_eq!(c.to_results_json()["poll-skip"]["errs"][0]["skipped"], json!([2]));
    assert_eq!(c.to_results_json()["poll-skip"]["errs"][0]["delta"], json!(2));
    assert_eq!(
        c.problems[0],
        "poll-skip: key 3: poll #11 (process 5) ended at message 1 (offset 0), but the same process's next \
         poll #13 began at message 3 (offset 2), skipping message 2"
    );
}

#[test]
fn a_process_going_back_between_polls_is_nonmonotonic_unless_it_reassigned() {
    let mut b = three_sent();
    b.poll(5, json!({"3": [[0, 1], [1, 2]]})).poll(5, json!({"3": [[1, 2], [2, 3]]}));
    let c = b.check();
    fails_with(&c, &["nonmonotonic-poll"]);
    assert_eq!(c.to_results_json()["nonmonotonic-poll"]["errs"][0]["values"], json!([2, 2]));

    let mut b = three_sent();
    b.poll(5, json!({"3": [[0, 1], [1, 2]]}))
        .assign(5, json!([4]))
        .assign(5, json!([3]))
        .poll(5, json!({"3": [[1, 2], [2, 3]]}));
    assert_eq!(b.check().valid, Validity::Valid);
}

#[test]
fn a_gap_inside_one_reply_is_an_int_poll_skip() {
    let mut b = three_sent();
    b.poll(1, json!({"3": [[0, 1], [1, 2], [2, 3]]})).poll(2, json!({"3": [[0, 1], [2, 3]]}));
    let c = b.check();
    fails_with(&c, &["int-poll-skip"]);
    assert_eq!(
        c.problems[0],
        "int-poll-skip: key 3: poll #9 (process 2) went from message 1 (offset 0) straight to message 3 \
         (offset 2), skipping message 2"
    );
}

#[test]
fn many_cases_keep_eight_examples_and_one_sentence() {
    let mut b = three_sent();
    b.poll(1, json!({"3": [[0, 1], [1, 2], [2, 3]]}));
    for p in 2..22 {
        b.poll(p, json!({"3": [[0, 1], [2, 3]]}));
    }
    let c = b.check();
    fails_with(&c, &["int-poll-skip"]);
    assert_eq!(c.to_results_json()["int-poll-skip"]["count"], json!(20));
    assert!(
        c.problems[0].starts_with("int-poll-skip: 20 cases, e.g. key 3: poll #9 (process 2)"),
        "{:?}",
        c.problems
    );
}

#[test]
fn a_repeat_inside_one_reply_is_an_int_nonmonotonic_poll() {
    let mut b = three_sent();
    b.poll(1, json!({"3": [[0, 1], [1, 2], [1, 2], [2, 3]]}));
    fails_with(&b.check(), &["int-nonmonotonic-poll"]);
}

#[test]
fn a_later_send_landing_earlier_is_a_nonmonotonic_send() {
    let mut b = Builder::default();
    b.send(0, 3, 1, 5).send(0, 3, 2, 1).poll(1, json!({"3": [[1, 2], [5, 1]]}));
    let c = b.check();
    fails_with(&c, &["nonmonotonic-send"]);
    assert_eq!(
        c.problems[0],
        "nonmonotonic-send: key 3: send #1 (process 0) put message 1 at offset 5, then the same process's \
         send #3 put message 2 at offset 1, which is not later in the log"
    );
    // Different processes may interleave freely.
    let mut b = Builder::default();
    b.send(0, 3, 1, 5).send(1, 3, 2, 1).poll(2, json!({"3": [[1, 2], [5, 1]]}));
    assert_eq!(b.check().valid, Validity::Valid);
}

#[test]
fn polling_a_failed_send_is_g1a() {
    let mut b = Builder::default();
    b.send_failed(0, 3, 1, Fail, "key-does-not-exist").poll(1, json!({"3": [[0, 1]]}));
    let c = b.check();
    fails_with(&c, &["G1a"]);
    assert_eq!(
        c.problems[0],
        "G1a: key 3: poll #3 (process 1) returned message 1 (offset 0), whose send #1 (process 0) failed \
         (\"key-does-not-exist\")"
    );
}

#[test]
fn polling_a_message_before_its_send_began_is_g1c_realtime() {
    let mut b = Builder::default();
    b.poll(1, json!({"3": [[0, 1]]})).send(0, 3, 1, 0);
    let c = b.check();
    fails_with(&c, &["G1c-realtime"]);
    assert!(c.problems[0].contains("send #3 (process 0) was invoked only after that poll had completed"));
}

#[test]
fn malformed_values_and_unknown_messages_make_the_verdict_unknown_without_panicking() {
    let mut b = Builder::default();
    b.send(0, 3, 1, 0)
        .poll(1, json!({"3": [[0, 1]], "x": [[0, 1]], "4": "no", "5": [[1]]}))
        .op(2, "send", Value::Null, Kind::Ok, json!([["send"], 7, {}]))
        .op(2, "poll", json!(null), Kind::Ok, json!([["poll", [1, 2]], "poll"]))
        .op(2, "assign", json!({"3": 1}), Kind::Ok, json!(["a", 3]));
    let c = b.check();
    assert_eq!(c.valid, Validity::Unknown, "{:?}", c.problems);
    assert_eq!(
        c.problems,
        vec!["4 history event(s) had a value of an unexpected shape and were skipped (the first: #3)"]
    );

    let mut b = Builder::default();
    b.poll(1, json!({"3": [[0, 9]]}));
    let c = b.check();
    assert_eq!(c.valid, Validity::Unknown);
    assert_eq!(c.to_results_json()["unknown-messages"]["count"], json!(1));
    assert!(c.problems[0].contains("key 3: poll #1 (process 1) returned message 9 at offset 0"));
}

#[test]
fn an_empty_history_is_valid() {
    let c = check(&History::default());
    assert_eq!(c.valid, Validity::Valid);
    assert_eq!(c.to_results_json()["worst-realtime-lag"], json!({"time": 0, "lag": 0}));
}

/// About the size of a 20 s run at rate 1000: 4 processes, 1000 keys of 16 messages, and
/// 10 000 polls each re-reading the last 200 messages of the keys they follow.
#[test]
fn a_large_clean_history_with_overlapping_polls_is_valid() {
    let mut b = Builder::default();
    let mut log: Vec<(i64, i64, i64)> = Vec::new();
    for i in 0..10_000_i64 {
        let (k, m) = (i / 10, i % 10 + 1);
        b.send(i as u64 % 4, k, m, m * 2);
        log.push((k, m * 2, m));
        let lo = log.len().saturating_sub(200);
        let mut msgs = Map::new();
        for &(k, o, m) in log.get(lo..).unwrap_or_default() {
            let e = msgs.entry(k.to_string()).or_insert_with(|| json!([]));
            if let Some(a) = e.as_array_mut() {
                a.push(json!([o, m]));
            }
        }
        // A fresh process per poll, so that re-reading is no regression.
        b.poll(100 + i as u64, Value::Object(msgs));
    }
    let c = b.check();
    assert_eq!(c.valid, Validity::Valid, "{:?}", c.problems);
}
