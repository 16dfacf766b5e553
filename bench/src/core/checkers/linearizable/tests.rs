//! Hand-made histories, linearizable and not, with unknown outcomes; the budget; the witness.

use super::*;
use crate::core::history::build::ev;
use crate::core::history::Kind;
use serde_json::json;

const BUDGET: Duration = Duration::from_secs(10);

/// A history built from steps `(process, kind, f, value)` at 1 ms apart, all on key 0.
fn hist(steps: &[(u64, Kind, &str, Value)]) -> History {
    let mut h = History::default();
    for (t, (p, kind, f, v)) in steps.iter().enumerate() {
        ev(&mut h, *kind, *p, f, json!([0, v]), t as u64);
    }
    h
}

use Kind::{Fail, Info, Invoke as Inv, Ok as Done};

fn verdict(h: &History) -> Validity {
    check(h, BUDGET).valid
}

#[test]
fn sequential_reads_see_the_last_write_and_cas() {
    let h = hist(&[
        (0, Inv, "read", json!(null)),
        (0, Done, "read", json!(null)),
        (0, Inv, "write", json!(3)),
        (0, Done, "write", json!(3)),
        (0, Inv, "cas", json!([3, 4])),
        (0, Done, "cas", json!([3, 4])),
        (0, Inv, "read", json!(null)),
        (0, Done, "read", json!(4)),
    ]);
    assert_eq!(verdict(&h), Validity::Valid);
    let stale = hist(&[
        (0, Inv, "write", json!(3)),
        (0, Done, "write", json!(3)),
        (0, Inv, "write", json!(1)),
        (0, Done, "write", json!(1)),
        (1, Inv, "read", json!(null)),
        (1, Done, "read", json!(3)),
    ]);
    let c = check(&stale, BUDGET);
    assert_eq!(c.valid, Validity::Invalid);
    assert_eq!(c.result.anomaly_types(), ["nonlinearizable"]);
    let v = c.result.keys[0].violation.clone().expect("a proof");
    // The proof: write 3 then write 1, then a read of 3.
    let fs: Vec<(&str, &str)> = v.ops.iter().map(|o| (o.f, o.value.as_str())).collect();
    assert_eq!(fs, [("write", "3"), ("write", "1"), ("read", "3")]);
    assert_eq!(v.ops[2].possible, Some(vec!["1".to_owned()]));
    assert!(c.problems[0].contains("key 0 is not linearizable"), "{}", c.problems[0]);
    assert!(c.problems[0].contains("could only hold 1"), "{}", c.problems[0]);
}

#[test]
fn concurrent_operations_may_take_effect_in_either_order() {
    // write 1 and write 2 overlap; reads after both see 1 and then 1: write 2 went first.
    let h = hist(&[
        (0, Inv, "write", json!(1)),
        (1, Inv, "write", json!(2)),
        (0, Done, "write", json!(1)),
        (1, Done, "write", json!(2)),
        (2, Inv, "read", json!(null)),
        (2, Done, "read", json!(1)),
    ]);
    assert_eq!(verdict(&h), Validity::Valid);
    // Two reads after both writes disagree: no order explains both.
    let mut steps =
        h.events.iter().map(|e| (e.process, e.kind, e.f.as_str(), e.value[1].clone())).collect::<Vec<_>>();
    steps.extend([(3, Inv, "read", json!(null)), (3, Done, "read", json!(2))]);
    assert_eq!(verdict(&hist(&steps)), Validity::Invalid);
}

#[test]
fn an_unknown_write_may_take_effect_late_or_never() {
    // The info write of 5 may land after the write of 1...
    let late = hist(&[
        (0, Inv, "write", json!(5)),
        (0, Info, "write", json!(5)),
        (1, Inv, "write", json!(1)),
        (1, Done, "write", json!(1)),
        (2, Inv, "read", json!(null)),
        (2, Done, "read", json!(5)),
    ]);
    assert_eq!(verdict(&late), Validity::Valid);
    // ... or never.
    let never = hist(&[
        (0, Inv, "write", json!(5)),
        (0, Info, "write", json!(5)),
        (1, Inv, "read", json!(null)),
        (1, Done, "read", json!(null)),
    ]);
    assert_eq!(verdict(&never), Validity::Valid);
    // But not before its invocation.
    let early = hist(&[
        (1, Inv, "read", json!(null)),
        (1, Done, "read", json!(5)),
        (0, Inv, "write", json!(5)),
        (0, Info, "write", json!(5)),
    ]);
    assert_eq!(verdict(&early), Validity::Invalid);
    // And only once: 5, then 1, then 5 again needs two writes of 5.
    let twice = hist(&[
        (0, Inv, "write", json!(5)),
        (0, Info, "write", json!(5)),
        (1, Inv, "read", json!(null)),
        (1, Done, "read", json!(5)),
        (1, Inv, "write", json!(1)),
        (1, Done, "write", json!(1)),
        (1, Inv, "read", json!(null)),
        (1, Done, "read", json!(5)),
    ]);
    assert_eq!(verdict(&twice), Validity::Invalid);
}

#[test]
fn an_operation_that_never_completed_is_unknown_and_a_failed_one_never_happened() {
    let pending = hist(&[(0, Inv, "cas", json!([null, 2])), (1, Inv, "write", json!(1))]);
    assert_eq!(verdict(&pending), Validity::Valid);
    let mut h = hist(&[
        (0, Inv, "write", json!(1)),
        (0, Done, "write", json!(1)),
        (0, Inv, "cas", json!([1, 2])),
        (1, Inv, "read", json!(null)),
        (1, Done, "read", json!(2)),
    ]);
    assert_eq!(verdict(&h), Validity::Valid, "the cas never completed: it may have happened");
    ev(&mut h, Fail, 0, "cas", json!([0, [1, 2]]), 9);
    assert_eq!(verdict(&h), Validity::Invalid, "a failed cas did not happen");
}

#[test]
fn cas_needs_its_from_value_and_twin_unknowns_count_once_each() {
    // Three unknown cas 1→2 and reads that need the value to go 1, 2, 1, 2, 1, 2 with writes of
    // 1 between: each cas can be used once, so three round trips are fine and four are not.
    let mut steps = Vec::new();
    for p in 0..3 {
        steps.extend([(p, Inv, "cas", json!([1, 2])), (p, Info, "cas", json!([1, 2]))]);
    }
    let round = |steps: &mut Vec<(u64, Kind, &str, Value)>| {
        steps.extend([
            (9, Inv, "write", json!(1)),
            (9, Done, "write", json!(1)),
            (9, Inv, "read", json!(null)),
            (9, Done, "read", json!(2)),
        ]);
    };
    for _ in 0..3 {
        round(&mut steps);
    }
    assert_eq!(verdict(&hist(&steps)), Validity::Valid);
    round(&mut steps);
    assert_eq!(verdict(&hist(&steps)), Validity::Invalid);
}

#[test]
fn keys_are_checked_apart_and_failures_listed() {
    let mut h = History::default();
    ev(&mut h, Inv, 0, "write", json!([1, 3]), 0);
    ev(&mut h, Inv, 1, "read", json!([2, null]), 1);
    ev(&mut h, Done, 0, "write", json!([1, 3]), 2);
    ev(&mut h, Done, 1, "read", json!([2, 3]), 3);
    let c = check(&h, BUDGET);
    assert_eq!(c.valid, Validity::Invalid);
    let r = c.to_results_json();
    assert_eq!(r["failures"], json!([2]));
    assert_eq!(r["results"]["1"], json!({"valid?": true, "linearizable": {"valid?": true, "op-count": 1}}));
    assert_eq!(r["results"]["2"]["linearizable"]["ops"][0]["possible"], json!(["null"]));
}

#[test]
fn a_search_past_its_budget_is_unknown_with_the_reason() {
    // Many concurrent unknown writes of distinct values and reads that rule them all out: the
    // search must try every subset, so a zero budget cannot finish.
    let mut steps = Vec::new();
    for p in 0..40 {
        steps.push((p, Inv, "write", json!(p + 10)));
    }
    for p in 0..40 {
        steps.push((p, Info, "write", json!(p + 10)));
    }
    for v in [1, 2] {
        steps.extend([(99, Inv, "read", json!(null)), (99, Done, "read", json!(v))]);
    }
    let c = check(&hist(&steps), Duration::ZERO);
    assert_eq!(c.valid, Validity::Unknown, "{:?}", c.problems);
    assert!(c.problems[0].contains("time budget ran out"), "{:?}", c.problems);
    assert_eq!(c.to_results_json()["valid?"], json!("unknown"));
}

#[test]
fn malformed_values_are_left_out_rather_than_crash() {
    let mut h = History::default();
    ev(&mut h, Inv, 0, "read", json!("junk"), 0);
    ev(&mut h, Done, 0, "read", json!({"a": 1}), 1);
    ev(&mut h, Inv, 1, "cas", json!([0, 7]), 2);
    ev(&mut h, Done, 1, "cas", json!([0, 7]), 3);
    ev(&mut h, Inv, 2, "frob", json!([0, 7]), 4);
    let c = check(&h, BUDGET);
    assert_eq!(c.valid, Validity::Valid);
    assert!(c.result.keys.is_empty());
}

/// Our half of `make lin-compare`: times the checker on each history file named in
/// `LIN_HISTORIES` (space-separated), printing what porcupine-cmp prints: file, operations
/// checked, verdict, milliseconds.
#[test]
#[ignore = "a timing tool for make lin-compare (run in release)"]
fn lin_compare_timings() {
    let files = std::env::var("LIN_HISTORIES").unwrap_or_default();
    for file in files.split_whitespace() {
        let events =
            crate::output::html::read_history(std::path::Path::new(file)).expect("a readable history file");
        let history = History { events };
        let ops: usize = ops::split(&history).0.iter().map(|k| k.ops.len()).sum();
        let start = Instant::now();
        let c = check(&history, Duration::from_secs(600));
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        println!("{file}\t{ops}\t{:?}\t{ms:.1}", c.valid);
    }
}

/// Whether `ops` can be linearized, by trying every order: the oracle for the search.
fn brute_force(ops: &[ops::RegOp], placed: u32, state: ops::Val) -> bool {
    let pending_definite = |i: usize| placed & (1 << i) == 0 && ops[i].ret.is_some();
    if !(0..ops.len()).any(pending_definite) {
        return true;
    }
    (0..ops.len()).any(|i| {
        let free = placed & (1 << i) == 0
            && (0..ops.len()).all(|j| !pending_definite(j) || ops[j].ret.is_none_or(|r| r > ops[i].call));
        free && ops[i].action.step(state).is_some_and(|next| brute_force(ops, placed | 1 << i, next))
    })
}

#[test]
fn the_search_agrees_with_trying_every_order_on_random_small_histories() {
    let mut rng = glomers_harness::Rng::new(15);
    let (mut valid, mut invalid) = (0, 0);
    for _ in 0..3000 {
        // Up to 8 operations by 3 processes, values 0-2, a quarter of writes and cas unknown.
        let mut h = History::default();
        let mut open: Vec<Option<(&str, Value)>> = vec![None; 3];
        let mut t = 0;
        while h.events.len() < 16 {
            let p = rng.index(3);
            t += 1;
            match open[p].take() {
                None => {
                    let (f, v) = match rng.below(3) {
                        0 => ("read", json!(null)),
                        1 => ("write", json!(rng.below(3))),
                        _ => ("cas", json!([rng.below(3), rng.below(3)])),
                    };
                    ev(&mut h, Inv, p as u64, f, json!([0, v]), t);
                    open[p] = Some((f, v));
                }
                Some((f, v)) => {
                    let (kind, v) = match f {
                        "read" => {
                            let seen = [json!(null), json!(0), json!(1), json!(2)][rng.index(4)].clone();
                            (Done, json!([0, seen]))
                        }
                        _ if rng.below(4) == 0 => (Info, json!([0, v])),
                        _ => (Done, json!([0, v])),
                    };
                    ev(&mut h, kind, p as u64, f, v, t);
                }
            }
        }
        let (keys, _) = ops::split(&h);
        let ops = keys.first().map(|k| k.ops.clone()).unwrap_or_default();
        let want = brute_force(&ops, 0, ops::NULL);
        let budget = Budget { deadline: Instant::now() + BUDGET, max_configs: MAX_CONFIGS };
        let got = search::check(&ops, &budget);
        assert_eq!(got == search::Outcome::Linearizable, want, "{ops:#?}");
        if want {
            valid += 1;
        } else {
            invalid += 1;
            // Every violation has a proof, and the proof's closure is itself not linearizable.
            let Outcome::Violation { stuck } = got else { panic!("{got:?}") };
            let w = witness::find(&ops, stuck, &budget).expect("a proof");
            let proof: Vec<ops::RegOp> =
                witness::closure(&ops, &w.core).iter().map(|&i| ops[i].clone()).collect();
            assert!(!brute_force(&proof, 0, ops::NULL), "{proof:#?}");
        }
    }
    assert!(valid > 100 && invalid > 100, "{valid} valid, {invalid} invalid");
}
