//! Unit tests of the services: exact KV semantics, seq-kv staleness and sessions, lww-kv's
//! never-merging replicas, lin-tso's counter, and silence on unknown types.

use super::*;
use crate::kv::{LwwKv, SeqKv};
use serde_json::json;

fn req(v: Value) -> Body {
    match v {
        Value::Object(m) => m,
        _ => Body::new(),
    }
}

fn call(s: &mut Service, src: &str, v: Value) -> Value {
    s.handle(src, &req(v)).map(Value::Object).unwrap_or(Value::Null)
}

#[test]
fn lin_kv_read_write_cas() {
    let mut kv = Service::named("lin-kv", Rng::new(0)).expect("known");
    let r = call(&mut kv, "n0", json!({"type":"read","key":"x","msg_id":1}));
    assert_eq!(r, json!({"type":"error","code":20,"text":"key does not exist","in_reply_to":1}));
    call(&mut kv, "n0", json!({"type":"write","key":"x","value":1,"msg_id":2}));
    let r = call(&mut kv, "n1", json!({"type":"cas","key":"x","from":1.0,"to":2,"msg_id":3}));
    assert_eq!(r["code"], 22, "1.0 is not 1: {r}");
    let r = call(&mut kv, "n1", json!({"type":"cas","key":"x","from":1,"to":2,"msg_id":4}));
    assert_eq!(r, json!({"type":"cas_ok","in_reply_to":4}));
    let r = call(&mut kv, "n1", json!({"type":"cas","key":"y","from":0,"to":5,"create_if_not_exists":true}));
    assert_eq!(r, json!({"type":"cas_ok","in_reply_to":null}));
    let r = call(&mut kv, "n0", json!({"type":"read","key":"y","msg_id":5}));
    assert_eq!(r["value"], 5);
    assert_eq!(call(&mut kv, "n0", json!({"type":"frobnicate","msg_id":6})), Value::Null);
}

#[test]
fn seq_kv_serves_stale_reads_but_reads_your_writes() {
    let mut kv = Service::named("seq-kv", Rng::new(9)).expect("known");
    let mut stale = 0;
    for i in 1..=200 {
        // n0 writes a fresh value, then reads: it must see its own write.
        call(&mut kv, "n0", json!({"type":"write","key":"k","value":i}));
        let mine = call(&mut kv, "n0", json!({"type":"read","key":"k"}));
        assert_eq!(mine["value"], i, "read-your-writes");
        // n1 never wrote: it may see older values, but never goes backwards.
        let other = call(&mut kv, "n1", json!({"type":"read","key":"k"}));
        if other["value"] != i {
            stale += 1;
        }
    }
    assert!(stale > 20, "seq-kv must serve stale reads, got {stale}");
    let mut last = -1;
    for _ in 0..100 {
        let v = call(&mut kv, "n2", json!({"type":"read","key":"k"}));
        let x = v["value"].as_i64().unwrap_or(-1);
        assert!(x >= last, "monotonic session: {x} after {last}");
        last = x;
    }
}

#[test]
fn lww_kv_replicas_never_merge_and_tso_counts() {
    let mut kv = Service::named("lww-kv", Rng::new(1)).expect("known");
    call(&mut kv, "n0", json!({"type":"write","key":"a","value":1}));
    let misses =
        (0..100).filter(|_| call(&mut kv, "n0", json!({"type":"read","key":"a"}))["code"] == 20).count();
    assert!((20..80).contains(&misses), "about half the reads hit the other replica: {misses}");
    let mut tso = Service::named("lin-tso", Rng::new(0)).expect("known");
    for n in 0..3 {
        assert_eq!(call(&mut tso, "n0", json!({"type":"ts","msg_id":n}))["ts"], n);
    }
    assert_eq!(call(&mut tso, "n0", json!({"type":"read"})), Value::Null);
}

fn body(v: Value) -> Body {
    req(v)
}

fn read(kv: &mut SeqKv, caller: &str, key: &str) -> Value {
    kv.handle(caller, &body(json!({"type": "read", "key": key}))).map(Value::Object).expect("a reply")
}

fn write(kv: &mut SeqKv, caller: &str, key: &str, value: Value) {
    let reply = kv.handle(caller, &body(json!({"type": "write", "key": key, "value": value})));
    assert_eq!(reply.map(Value::Object), Some(json!({"type": "write_ok"})));
}

#[test]
fn seq_kv_sessions_are_monotonic_and_catch_up() {
    let mut kv = SeqKv::new(Rng::new(7));
    for v in 1..=20 {
        write(&mut kv, "n1", "x", json!(v));
    }
    let mut seen = Vec::new();
    for _ in 0..40 {
        seen.push(read(&mut kv, "n2", "x").get("value").and_then(Value::as_u64).unwrap_or(0));
    }
    assert!(seen.iter().any(|v| *v < 20), "never stale: {seen:?}");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "went back in time: {seen:?}");
    assert_eq!(seen.last(), Some(&20), "reads never caught up: {seen:?}");
}

#[test]
fn seq_kv_unique_write_moves_the_floor_so_the_next_read_is_fresh() {
    for seed in 0..20 {
        let mut kv = SeqKv::new(Rng::new(seed));
        write(&mut kv, "n2", "scratch", json!(0));
        for v in 1..=10 {
            write(&mut kv, "n1", "x", json!(v));
        }
        // n2's floor is far behind: a read may come from anywhere since then.
        assert!(kv.floor("n2") < kv.latest());
        write(&mut kv, "n2", "scratch", json!(1));
        assert_eq!(kv.floor("n2"), kv.latest(), "seed {seed}");
        assert_eq!(read(&mut kv, "n2", "x"), json!({"type": "read_ok", "value": 10}), "seed {seed}");
    }
}

#[test]
fn seq_kv_a_write_of_a_value_already_there_can_land_in_the_past() {
    // docs/protocol.md §4.3's example: n1 writes x=1; n2 cas x 1→2; n1 writes x=1 again, which
    // changes nothing in some older state and is answered from there.
    let mut landed_in_past = false;
    for seed in 0..50 {
        let mut kv = SeqKv::new(Rng::new(seed));
        write(&mut kv, "n1", "x", json!(1));
        let cas = body(json!({"type": "cas", "key": "x", "from": 1, "to": 2}));
        // n2 may see an old state (no x yet): a stale failure; it tries again.
        while kv.handle("n2", &cas).map(Value::Object) != Some(json!({"type": "cas_ok"})) {}
        write(&mut kv, "n1", "x", json!(1));
        landed_in_past |= kv.latest_value(&json!("x")) == Some(&json!(2));
    }
    assert!(landed_in_past);
}

#[test]
fn seq_kv_cas_fails_stale_but_succeeds_only_on_the_latest_state() {
    let mut stale_failure = false;
    for seed in 0..50 {
        let mut kv = SeqKv::new(Rng::new(seed));
        for v in 0..=5 {
            write(&mut kv, "n1", "x", json!(v));
        }
        let cas = body(json!({"type": "cas", "key": "x", "from": 5, "to": 6, "msg_id": 4}));
        match kv.handle("n2", &cas).map(Value::Object) {
            Some(r) if r == json!({"type": "cas_ok"}) => {
                assert_eq!(kv.latest_value(&json!("x")), Some(&json!(6)))
            }
            Some(r) => {
                // 20 from a state before x existed, 22 from one where x was below 5.
                assert!(matches!(r.get("code").and_then(Value::as_u64), Some(20 | 22)), "{r}");
                stale_failure = true;
            }
            None => panic!("no reply"),
        }
    }
    assert!(stale_failure, "a cas never failed against an old state");
}

#[test]
fn services_by_name_answer_with_in_reply_to_and_ignore_unknown_types() {
    let mut s = Services::new(&mut Rng::new(1));
    let create =
        body(json!({"type": "cas", "key": 1, "from": 0, "to": 5, "create_if_not_exists": true, "msg_id": 9}));
    let call = |s: &mut Services, name: &str, b: &Body| s.handle(name, "n1", b).map(Value::Object);
    assert_eq!(call(&mut s, "lin-kv", &create), Some(json!({"type": "cas_ok", "in_reply_to": 9})));
    assert_eq!(call(&mut s, "lin-kv", &create).and_then(|r| r.get("code").cloned()), Some(json!(22)));
    let float_key = body(json!({"type": "read", "key": 1.0, "msg_id": 10}));
    assert_eq!(call(&mut s, "lin-kv", &float_key).and_then(|r| r.get("code").cloned()), Some(json!(20)));
    assert_eq!(
        call(&mut s, "lin-kv", &body(json!({"type": "read", "key": 1}))),
        Some(json!({"type": "read_ok", "value": 5, "in_reply_to": null}))
    );
    assert_eq!(call(&mut s, "seq-kv", &body(json!({"type": "frobnicate", "msg_id": 1}))), None);
    assert_eq!(call(&mut s, "nobody", &body(json!({"type": "read", "msg_id": 1}))), None);
    // lww-kv ignores create_if_not_exists: error 20.
    assert_eq!(call(&mut s, "lww-kv", &create).and_then(|r| r.get("code").cloned()), Some(json!(20)));
    assert!(Services::is_service("lin-tso") && !Services::is_service("n1"));
    assert!(s.seq_kv().is_some());
}

#[test]
fn lww_kv_replicas_never_converge() {
    let mut kv = LwwKv::new(Rng::new(5));
    kv.handle(&body(json!({"type": "write", "key": "k", "value": 1})));
    let reads: Vec<Value> = (0..20)
        .map(|_| kv.handle(&body(json!({"type": "read", "key": "k"}))).map(Value::Object).expect("reply"))
        .collect();
    assert!(reads.iter().any(|r| r.get("code") == Some(&json!(20))), "one replica never saw the write");
    assert!(reads.iter().any(|r| r.get("value") == Some(&json!(1))));
}
