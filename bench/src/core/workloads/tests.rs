//! Reply schemas and the outcome mapping of §2.5.

use super::*;

fn b(v: Value) -> Body {
    match v {
        Value::Object(m) => m,
        _ => Body::new(),
    }
}

#[test]
fn schema_is_exact() {
    let f = [("value", Field::Int)];
    assert!(check_schema(&b(json!({"type":"read_ok","value":1,"in_reply_to":2})), "read_ok", &f).is_ok());
    assert!(check_schema(&b(json!({"type":"read_ok","value":1,"in_reply_to":2,"msg_id":5})), "read_ok", &f)
        .is_ok());
    let bad = [
        (json!({"type":"read_ok","value":1.0,"in_reply_to":2}), "value must be an integer"),
        (json!({"type":"read_ok","value":1,"in_reply_to":2,"extra":0}), "unexpected key(s) [\"extra\"]"),
        (json!({"type":"read_ok","in_reply_to":2}), "value must be an integer, got nothing"),
        (json!({"type":"read_ok","value":1}), "in_reply_to must be an integer"),
        (json!({"type":"read_ok","value":1,"in_reply_to":2,"msg_id":"x"}), "msg_id must be an integer"),
        (json!({"type":"add_ok","value":1,"in_reply_to":2}), "expected type \"read_ok\""),
    ];
    for (body, want) in bad {
        let err = check_schema(&b(body.clone()), "read_ok", &f).expect_err("malformed");
        assert!(err.contains(want), "{err} for {body}");
    }
}

#[test]
fn outcomes_follow_the_table() {
    let run = |reply, idem| standard_completion(reply, idem, "x_ok", &[], |_| json!("v"));
    assert_eq!(run(Reply::Timeout, false).kind, Kind::Info);
    assert_eq!(run(Reply::Timeout, true).kind, Kind::Fail);
    let err = |code| Reply::Body(b(json!({"type":"error","code":code,"in_reply_to":1})));
    assert_eq!(run(err(11), false).kind, Kind::Fail);
    assert_eq!(run(err(11), false).error, Some(json!(["temporarily-unavailable", null])));
    assert_eq!(run(err(13), false).kind, Kind::Info);
    assert_eq!(run(err(1000), true).kind, Kind::Fail);
    let ok = run(Reply::Body(b(json!({"type":"x_ok","in_reply_to":1}))), false);
    assert_eq!((ok.kind, ok.value), (Kind::Ok, json!("v")));
    let bad = run(Reply::Body(b(json!({"type":"x_ok","in_reply_to":1,"oops":1}))), false);
    assert_eq!(bad.kind, Kind::Info);
    assert!(bad.exception.is_some_and(|x| x.starts_with("malformed-rpc-response")));
}
