use super::*;
use std::path::Path;

fn document() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/protocol.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The problems `check_document` finds in `doc`, all in one string.
fn problems(doc: &str) -> String {
    match check_document(doc) {
        Ok(_) => String::new(),
        Err(problems) => problems.join("\n"),
    }
}

/// A document of the examples given as (info string, JSON) pairs.
fn doc_of(blocks: &[(&str, &str)]) -> String {
    blocks.iter().map(|(info, json)| format!("Some text.\n```{info}\n{json}\n```\n")).collect()
}

#[test]
fn every_example_of_the_protocol_reference_passes_the_workbench() {
    let doc = document();
    let checker = check_document(&doc).unwrap_or_else(|p| panic!("docs/protocol.md:\n{}", p.join("\n")));
    let seen = checker.seen();
    let count = extract(&doc).map(|e| e.len()).unwrap_or_default();
    assert_eq!(seen.len(), count, "every ```json block is checked");
    assert!(count >= 50, "{count} examples");
}

#[test]
fn the_reference_has_examples_of_every_workload_service_and_handshake() {
    let doc = document();
    let checker = check_document(&doc).unwrap_or_else(|p| panic!("{}", p.join("\n")));
    let seen = checker.seen();
    let workloads = WorkloadKind::ALL.iter().map(|k| k.name());
    for w in workloads {
        assert!(seen.contains(&Marker::ClientRequest(w.into())), "no request of {w}");
        assert!(seen.contains(&Marker::NodeReply(w.into())), "no reply of {w}");
        let heading = doc.lines().any(|l| l.starts_with("### 7.") && l.contains(&format!("`{w}`")));
        assert!(heading, "no section of §7 for {w}");
    }
    for s in NAMES {
        assert!(seen.contains(&Marker::ServiceRequest(s.into())), "no request to {s}");
        assert!(seen.contains(&Marker::ServiceReply(s.into())), "no reply of {s}");
        let heading = doc.lines().any(|l| l.starts_with("### 4.") && l.contains(&format!("`{s}`")));
        assert!(heading, "no section of §4 for {s}");
    }
    for m in [Marker::Init, Marker::InitReply, Marker::ErrorReply] {
        assert!(seen.contains(&m), "no {m:?} example");
    }
    let examples = extract(&doc).unwrap_or_default();
    let create = examples.windows(2).any(|w| {
        w[0].info.starts_with("json service-request")
            && w[0].text.contains("\"create_if_not_exists\":true")
            && w[1].info.starts_with("json service-reply")
    });
    assert!(create, "no cas with create_if_not_exists and its reply");
}

#[test]
fn the_error_table_matches_the_codes_the_workbench_judges_by() {
    let problems = error_table_problems(&document());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_reference_says_in_plain_words_what_seq_kv_promises() {
    let doc = document();
    let start = doc.find("### 4.6 What `seq-kv` really promises, in plain words").expect("§4.6");
    let section =
        doc.get(start..).and_then(|s| s.get(..s.find("\n## ").unwrap_or(s.len()))).unwrap_or_default();
    for phrase in ["stale", "A cas that changes nothing does not bring a read up to date", "lin-kv"] {
        assert!(section.contains(phrase), "§4.6 does not say {phrase:?}");
    }
}

// Negative controls: the checker fails broken examples, each for the reason it should.

const READ: &str = r#"{"src":"c3","dest":"n0","body":{"type":"read","msg_id":5}}"#;

#[test]
fn a_good_exchange_passes_so_the_controls_below_fail_for_their_own_reason() {
    let ok = r#"{"src":"n0","dest":"c3","body":{"type":"read_ok","value":42,"in_reply_to":5}}"#;
    let doc = doc_of(&[("json client-request g-counter", READ), ("json node-reply g-counter", ok)]);
    assert_eq!(problems(&doc), "");
}

#[test]
fn a_reply_field_of_the_wrong_type_fails() {
    let bad = r#"{"src":"n0","dest":"c3","body":{"type":"read_ok","value":"42","in_reply_to":5}}"#;
    let doc = doc_of(&[("json client-request g-counter", READ), ("json node-reply g-counter", bad)]);
    assert!(problems(&doc).contains("value must be an integer"), "{}", problems(&doc));
}

#[test]
fn a_reply_with_an_extra_key_fails() {
    let bad = r#"{"src":"n0","dest":"c3","body":{"type":"read_ok","value":4,"extra":1,"in_reply_to":5}}"#;
    let doc = doc_of(&[("json client-request g-counter", READ), ("json node-reply g-counter", bad)]);
    assert!(problems(&doc).contains("unexpected key(s)"), "{}", problems(&doc));
}

#[test]
fn a_body_without_a_type_fails_even_for_a_pending_workload() {
    let bad = r#"{"src":"c3","dest":"n0","body":{"msg_id":5,"delta":1}}"#;
    let doc = doc_of(&[("json client-request pn-counter", bad)]);
    assert!(problems(&doc).contains("no string type"), "{}", problems(&doc));
}

#[test]
fn a_pending_workload_still_needs_integer_ids_and_a_matching_reply() {
    let req = r#"{"src":"c3","dest":"n0","body":{"type":"read","msg_id":"5"}}"#;
    let doc = doc_of(&[("json client-request g-set", req)]);
    assert!(problems(&doc).contains("msg_id must be an integer"), "{}", problems(&doc));
    let reply = r#"{"src":"n0","dest":"c3","body":{"type":"read_ok","value":[],"in_reply_to":6}}"#;
    let doc = doc_of(&[("json client-request g-set", READ), ("json node-reply g-set", reply)]);
    assert!(problems(&doc).contains("in_reply_to must be the request's msg_id"), "{}", problems(&doc));
}

#[test]
fn unknown_and_missing_markers_fail() {
    for (info, want) in [
        ("json", "no marker"),
        ("json frobnicate", "unknown marker"),
        ("json client-request g-counterz", "unknown workload"),
        ("json service-request kv", "unknown service"),
        ("json node-reply", "takes one workload name"),
    ] {
        let p = problems(&doc_of(&[(info, READ)]));
        assert!(p.contains(want), "{info}: {p}");
    }
}

#[test]
fn an_unclosed_block_fails() {
    let p = problems("```json client-request g-counter\n{}\n");
    assert!(p.contains("never closed"), "{p}");
}

#[test]
fn a_request_unlike_the_workbenchs_fails() {
    let bad = r#"{"src":"c1","dest":"n0","body":{"type":"echo","msg_id":1,"echo":35}}"#;
    let p = problems(&doc_of(&[("json client-request echo", bad)]));
    assert!(p.contains("echo is an integer, but the workbench sends a string"), "{p}");
    let bad = r#"{"src":"c1","dest":"n0","body":{"type":"echo","msg_id":1,"text":"hi"}}"#;
    let p = problems(&doc_of(&[("json client-request echo", bad)]));
    assert!(p.contains("keys"), "{p}");
}

#[test]
fn a_reply_without_its_request_or_a_request_without_its_reply_fails() {
    let ok = r#"{"src":"n0","dest":"c3","body":{"type":"read_ok","value":42,"in_reply_to":5}}"#;
    let p = problems(&doc_of(&[("json node-reply g-counter", ok)]));
    assert!(p.contains("no request of its workload"), "{p}");
    let p = problems(&doc_of(&[("json client-request g-counter", READ)]));
    assert!(p.contains("never answered"), "{p}");
}

#[test]
fn an_operation_shown_only_in_part_fails() {
    // A poll that returned messages is followed by commit_offsets (§7.5): leaving it out fails.
    let poll = r#"{"src":"c4","dest":"n1","body":{"type":"poll","msg_id":12,"offsets":{"3":1000}}}"#;
    let ok = r#"{"src":"n1","dest":"c4","body":{"type":"poll_ok","msgs":{"3":[[1000,7]]},"in_reply_to":12}}"#;
    let p = problems(&doc_of(&[("json client-request kafka", poll), ("json node-reply kafka", ok)]));
    assert!(p.contains("then sends {\"offsets\":{\"3\":1000},\"type\":\"commit_offsets\"}"), "{p}");
}

#[test]
fn a_bad_init_or_init_reply_fails() {
    let init =
        r#"{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n0","n1"]}}"#;
    let ok = r#"{"src":"n1","dest":"c0","body":{"type":"init_ok","in_reply_to":1}}"#;
    assert_eq!(problems(&doc_of(&[("json init", init), ("json init-reply", ok)])), "");
    let bad_init = init.replace("\"msg_id\":1", "\"msg_id\":2");
    let p = problems(&doc_of(&[("json init", &bad_init)]));
    assert!(p.contains("the workbench sends the body"), "{p}");
    let bad = ok.replace("init_ok", "init_okay");
    let p = problems(&doc_of(&[("json init", init), ("json init-reply", &bad)]));
    assert!(p.contains("aborts the run: node n1 answered init with"), "{p}");
    let late = ok.replace("\"in_reply_to\":1", "\"in_reply_to\":2");
    let p = problems(&doc_of(&[("json init", init), ("json init-reply", &late)]));
    assert!(p.contains("still waits for init_ok"), "{p}");
}

#[test]
fn a_bad_topology_or_topology_reply_fails() {
    let topo = r#"{"src":"c5","dest":"n0","body":{"type":"topology","msg_id":1,"topology":{"n0":["n1"],"n1":["n0"]}}}"#;
    let ok = r#"{"src":"n0","dest":"c5","body":{"type":"topology_ok","in_reply_to":1}}"#;
    let good = [("json client-request broadcast", topo), ("json node-reply broadcast", ok)];
    assert_eq!(problems(&doc_of(&good)), "");
    let odd = topo.replace(r#""n1":["n0"]"#, r#""n1":[]"#);
    let p = problems(&doc_of(&[("json client-request broadcast", &odd)]));
    assert!(p.contains("no topology of the workbench gives this map"), "{p}");
    let bad = ok.replace("topology_ok", "topology_okay");
    let p =
        problems(&doc_of(&[("json client-request broadcast", topo), ("json node-reply broadcast", &bad)]));
    assert!(p.contains("aborts the run"), "{p}");
}

#[test]
fn a_malformed_error_reply_fails() {
    let ok = r#"{"src":"n1","dest":"c4","body":{"type":"error","in_reply_to":5,"code":11}}"#;
    assert_eq!(problems(&doc_of(&[("json error-reply", ok)])), "");
    let bad = ok.replace("11", "\"11\"");
    let p = problems(&doc_of(&[("json error-reply", &bad)]));
    assert!(p.contains("error body without an integer code"), "{p}");
    let extra = ok.replace("{\"src\"", "{\"extra\":1,\"src\"");
    let p = problems(&doc_of(&[("json error-reply", &extra)]));
    assert!(p.contains("unexpected top-level key \"extra\""), "{p}");
}

#[test]
fn a_service_exchange_the_service_cannot_give_fails() {
    let read = r#"{"src":"n1","dest":"lin-kv","body":{"type":"read","msg_id":4,"key":"k"}}"#;
    let ok = r#"{"src":"lin-kv","dest":"n1","body":{"type":"read_ok","value":1,"in_reply_to":4}}"#;
    assert_eq!(
        problems(&doc_of(&[("json service-request lin-kv", read), ("json service-reply lin-kv", ok)])),
        ""
    );
    for (bad, want) in [
        (ok.replace("\"value\"", "\"val\""), "never answers that way"),
        (ok.replace("\"in_reply_to\"", "\"msg_id\":1,\"in_reply_to\""), "carry no msg_id"),
        (ok.replace("\"src\":\"lin-kv\"", "\"src\":\"seq-kv\""), "must have src"),
    ] {
        let p =
            problems(&doc_of(&[("json service-request lin-kv", read), ("json service-reply lin-kv", &bad)]));
        assert!(p.contains(want), "{want}: {p}");
    }
    let unknown = read.replace("\"read\"", "\"scan\"");
    let p = problems(&doc_of(&[("json service-request lin-kv", &unknown)]));
    assert!(p.contains("never answers a request of this type"), "{p}");
}

#[test]
fn an_error_table_that_disagrees_with_the_workbench_fails() {
    let table = "| 0 | timeout | no | x |\n| 1 | node-not-found | no | x |\n| 13 | crash | no | x |\n";
    let p = error_table_problems(table).join("\n");
    assert!(p.contains("error 1: the table says node-not-found, definite false"), "{p}");
    assert!(p.contains("error 11 (temporarily-unavailable) is missing"), "{p}");
    assert!(!p.contains("error 0") && !p.contains("error 13 "), "{p}");
}
