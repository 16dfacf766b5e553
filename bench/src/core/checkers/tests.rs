//! Checkers on hand-written histories: one valid and at least one invalid each.

use super::*;
use crate::core::history::build::ev;
use crate::core::history::{History, Kind::*};
use serde_json::json;

fn mark_final(h: &mut History) {
    if let Some(e) = h.events.last_mut() {
        e.final_op = true;
    }
}

#[test]
fn echo_valid_and_invalid() {
    let mut h = History::default();
    ev(&mut h, Invoke, 0, "echo", json!("Please echo 1"), 0);
    ev(&mut h, Ok, 0, "echo", json!("Please echo 1"), 1);
    assert_eq!(echo::check(&h).valid, Validity::Valid);
    ev(&mut h, Invoke, 0, "echo", json!("Please echo 2"), 2);
    ev(&mut h, Ok, 0, "echo", json!("Please echo 3"), 3);
    ev(&mut h, Invoke, 0, "echo", json!("Please echo 4"), 4);
    ev(&mut h, Info, 0, "echo", json!(null), 5004);
    let c = echo::check(&h);
    assert_eq!(c.valid, Validity::Invalid);
    assert_eq!(c.problems.len(), 2, "{:?}", c.problems);
    assert!(c.problems[0].contains(r#"replied "Please echo 3" to an echo of "Please echo 2""#));
    assert_eq!(c.problems[1], r#"echo of "Please echo 4" got no echo back: echo info from n0 at 5.0 s"#);
}

#[test]
fn unique_ids_valid_duplicate_and_incomparable() {
    let mut h = History::default();
    for (p, id) in [(0, 1), (1, 2), (2, 3)] {
        ev(&mut h, Invoke, p, "generate", json!(null), 0);
        ev(&mut h, Ok, p, "generate", json!(id), 1);
    }
    let c = unique_ids::check(&h);
    assert_eq!(c.valid, Validity::Valid);
    assert_eq!(c.to_results_json()["range"], json!([1, 3]));
    ev(&mut h, Invoke, 1, "generate", json!(null), 1000);
    ev(&mut h, Ok, 1, "generate", json!(2), 1200);
    let c = unique_ids::check(&h);
    assert_eq!(c.valid, Validity::Invalid);
    assert_eq!(c.to_results_json()["duplicated-count"], 1);
    assert_eq!(c.problems, vec!["id 2 was generated 2 times: by n1 at 0.0 s, n1 at 1.2 s"]);
    let mut h = History::default();
    ev(&mut h, Invoke, 0, "generate", json!(null), 0);
    ev(&mut h, Ok, 0, "generate", json!(1), 1);
    ev(&mut h, Invoke, 0, "generate", json!(null), 2);
    ev(&mut h, Ok, 0, "generate", json!("a"), 3);
    assert_eq!(unique_ids::check(&h).valid, Validity::Unknown);
}

/// A broadcast of 0 by process 0 and reads by process 1, with the final read's contents given.
fn broadcast_history(final_read: serde_json::Value) -> History {
    let mut h = History::default();
    ev(&mut h, Invoke, 0, "broadcast", json!(0), 0);
    ev(&mut h, Ok, 0, "broadcast", json!(0), 10);
    ev(&mut h, Invoke, 1, "read", json!(null), 100);
    ev(&mut h, Ok, 1, "read", json!([]), 110);
    ev(&mut h, Invoke, 1, "read", json!(null), 500);
    ev(&mut h, Ok, 1, "read", json!([0]), 510);
    ev(&mut h, Invoke, 1, "read", json!(null), 4000);
    mark_final(&mut h);
    ev(&mut h, Ok, 1, "read", final_read, 4010);
    mark_final(&mut h);
    h
}

#[test]
fn set_full_stable_with_latency() {
    let c = set_full::check(&broadcast_history(json!([0, 7])), "broadcast");
    assert_eq!(c.valid, Validity::Valid);
    assert_eq!(c.to_results_json()["stable-count"], 1);
    // Known at 10 ms (the ok broadcast), last missed by the read invoked at 100 ms.
    assert_eq!(c.to_results_json()["stable-latencies"]["0.5"], 90);
    assert_eq!(c.to_results_json()["stale-count"], 1);
}

#[test]
fn set_full_lost_is_explained() {
    let c = set_full::check(&broadcast_history(json!([])), "broadcast");
    assert_eq!(c.valid, Validity::Invalid);
    assert_eq!(c.to_results_json()["lost"], json!([0]));
    assert_eq!(
        c.problems,
        vec!["value 0, acknowledged by n0 at 0.0 s, missing from the final read of n1 at 4.0 s (last seen in a read of n1 at 0.5 s)"]
    );
}

#[test]
fn set_full_lost_after_a_read_saw_it_before_its_ack_names_both() {
    let mut h = History::default();
    ev(&mut h, Invoke, 0, "broadcast", json!(0), 0);
    ev(&mut h, Invoke, 1, "read", json!(null), 100);
    ev(&mut h, Ok, 1, "read", json!([0]), 110);
    ev(&mut h, Ok, 0, "broadcast", json!(0), 300);
    ev(&mut h, Invoke, 1, "read", json!(null), 4000);
    mark_final(&mut h);
    ev(&mut h, Ok, 1, "read", json!([]), 4010);
    mark_final(&mut h);
    let c = set_full::check(&h, "broadcast");
    assert_eq!(c.valid, Validity::Invalid);
    assert_eq!(
        c.problems,
        vec!["value 0, acknowledged by n0 at 0.3 s (first read on n1 at 0.1 s), missing from the final read of n1 at 4.0 s (last seen in a read of n1 at 0.1 s)"]
    );
}

#[test]
fn set_full_unknown_when_nothing_was_read() {
    let mut h = History::default();
    ev(&mut h, Invoke, 0, "broadcast", json!(0), 0);
    ev(&mut h, Info, 0, "broadcast", json!(0), 5000);
    let c = set_full::check(&h, "broadcast");
    assert_eq!(c.valid, Validity::Unknown);
    assert_eq!(c.to_results_json()["never-read-count"], 1);
}

#[test]
fn g_counter_acceptable_set() {
    let mut h = History::default();
    ev(&mut h, Invoke, 0, "add", json!(3), 0);
    ev(&mut h, Ok, 0, "add", json!(3), 1);
    ev(&mut h, Invoke, 1, "add", json!(2), 2);
    ev(&mut h, Info, 1, "add", json!(null), 5002);
    ev(&mut h, Invoke, 2, "add", json!(4), 3);
    ev(&mut h, Info, 2, "add", json!(null), 5003);
    for (p, v) in [(0, 3), (3, 9)] {
        ev(&mut h, Invoke, p, "read", json!(null), 20000);
        mark_final(&mut h);
        ev(&mut h, Ok, p, "read", json!(v), 20001);
        mark_final(&mut h);
    }
    let c = g_counter::check(&h);
    assert_eq!(c.to_results_json()["acceptable"], json!([[3, 3], [5, 5], [7, 7], [9, 9]]));
    assert_eq!(c.valid, Validity::Valid);
    ev(&mut h, Invoke, 4, "read", json!(null), 20000);
    mark_final(&mut h);
    ev(&mut h, Ok, 4, "read", json!(8), 20001);
    mark_final(&mut h);
    let c = g_counter::check(&h);
    assert_eq!(c.valid, Validity::Invalid);
    assert!(
        c.problems[0]
            .starts_with("final read of n4 at 20.0 s returned 8, but the acceptable values are 3, 5, 7, 9"),
        "{:?}",
        c.problems
    );
}

/// A g-set history: element 0 added twice (ok, then info), element 1 added once (ok), reads by
/// process 1, the final one returning `final_read`.
fn g_set_history(final_read: serde_json::Value) -> History {
    let mut h = History::default();
    ev(&mut h, Invoke, 0, "add", json!(0), 0);
    ev(&mut h, Ok, 0, "add", json!(0), 10);
    ev(&mut h, Invoke, 0, "add", json!(1), 20);
    ev(&mut h, Ok, 0, "add", json!(1), 30);
    ev(&mut h, Invoke, 0, "add", json!(0), 40);
    ev(&mut h, Info, 0, "add", json!(0), 5040);
    ev(&mut h, Invoke, 1, "read", json!(null), 100);
    ev(&mut h, Ok, 1, "read", json!([0, 1]), 110);
    ev(&mut h, Invoke, 1, "read", json!(null), 9000);
    mark_final(&mut h);
    ev(&mut h, Ok, 1, "read", final_read, 9010);
    mark_final(&mut h);
    h
}

#[test]
fn set_full_counts_an_element_added_twice_once_and_names_its_loss() {
    let c = set_full::check(&g_set_history(json!([1, 0])), "add");
    assert_eq!(c.valid, Validity::Valid, "{:?}", c.problems);
    assert_eq!((c.result.attempted, c.result.stable), (2, 2));
    assert_eq!(WorkloadResult::GSet(c.result).anomalies(), Vec::<String>::new());
    let c = set_full::check(&g_set_history(json!([1])), "add");
    assert_eq!(c.valid, Validity::Invalid);
    assert_eq!(c.result.lost, [json!(0)]);
    assert_eq!(
        c.problems,
        vec!["value 0, acknowledged by n0 at 0.0 s, missing from the final read of n1 at 9.0 s (last seen in a read of n1 at 0.1 s)"]
    );
    assert_eq!(WorkloadResult::GSet(c.result).anomalies(), ["lost"]);
    // The same history read as broadcast has no adds at all: the adds are not its operations.
    assert_eq!(set_full::check(&g_set_history(json!([1])), "broadcast").result.attempted, 0);
}

#[test]
fn pn_counter_ranges_shift_down_for_negative_deltas_of_unknown_outcome() {
    let mut h = History::default();
    for (p, d, ok) in [(0, 4, true), (1, -3, false), (2, -5, true), (3, 2, false)] {
        ev(&mut h, Invoke, p, "add", json!(d), 0);
        ev(&mut h, if ok { Ok } else { Info }, p, "add", json!(d), 10);
    }
    for (p, v) in [(4, -1), (5, -4), (6, 1), (7, -2)] {
        ev(&mut h, Invoke, p, "read", json!(null), 20000);
        mark_final(&mut h);
        ev(&mut h, Ok, p, "read", json!(v), 20001);
        mark_final(&mut h);
    }
    let c = g_counter::check(&h);
    // S = 4 - 5 = -1; the info adds of -3 and 2 make {-4, -2, -1, 1}.
    assert_eq!(c.to_results_json()["acceptable"], json!([[-4, -4], [-2, -1], [1, 1]]));
    assert_eq!(c.valid, Validity::Valid, "{:?}", c.problems);
    ev(&mut h, Invoke, 8, "read", json!(null), 20000);
    mark_final(&mut h);
    ev(&mut h, Ok, 8, "read", json!(-3), 20001);
    mark_final(&mut h);
    let c = g_counter::check(&h);
    assert_eq!(c.valid, Validity::Invalid);
    assert!(
        c.problems[0].contains("returned -3, but the acceptable values are -4, -2..-1, 1"),
        "{:?}",
        c.problems
    );
    assert_eq!(WorkloadResult::PnCounter(c.result).anomalies(), ["final-read-out-of-range"]);
}

#[test]
fn stats_and_availability() {
    let mut h = History::default();
    ev(&mut h, Invoke, 0, "read", json!(null), 0);
    ev(&mut h, Ok, 0, "read", json!([]), 1);
    ev(&mut h, Invoke, 0, "broadcast", json!(1), 2);
    ev(&mut h, Info, 0, "broadcast", json!(1), 5002);
    let s = stats(&h);
    assert_eq!(s.valid, Validity::Invalid);
    assert_eq!(s.problems, vec!["no broadcast operation ever succeeded (1 attempted)"]);
    assert_eq!(s.to_results_json()["by-f"]["read"]["ok-count"], 1);
    let a = availability(&h, Availability::Total);
    assert_eq!((a.valid, a.to_results_json()["ok-fraction"].as_f64()), (Validity::Invalid, Some(0.5)));
    assert_eq!(availability(&h, Availability::AtLeast(0.5)).valid, Validity::Valid);
    assert_eq!(availability(&h, Availability::Any).valid, Validity::Valid);
}
