//! Unit tests of the services: exact KV semantics, seq-kv staleness and sessions, lww-kv's
//! never-merging replicas, lin-tso's counter, and silence on unknown types.

use super::*;
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
