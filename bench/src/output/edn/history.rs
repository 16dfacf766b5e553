//! `history.edn` and `history.txt`: the history as Jepsen writes it (docs/protocol.md §8.1), one
//! operation a line. In `history.edn` each line is a map with Jepsen's keys in Jepsen's order
//! (`:index :time :type :process :f :value`), then `:node`, `:final?`, `:error` and `:exception`
//! where present; `history.txt` has Jepsen's tab-separated columns: process, type, f, value,
//! and the error if any. Operation types, functions, error names and the names of micro-operations
//! (`[:r 1 nil]`, `[:send "k" 5]`) are keywords, as Jepsen has them. The nemesis's actions are
//! operations of process `:nemesis`, as Jepsen writes them: each an `:info` invocation and an
//! `:info` completion at the instant it acted (`:start-partition` with its target, then
//! `[:isolated grudge]`, the grudge mapping each node to the set of nodes it drops messages from;
//! `:stop-partition` with `nil`, then `:network-healed`). As in Jepsen, `:index` numbers every
//! operation, the nemesis's included, so it is `history.jsonl`'s index only in runs without one.

use super::{write_data, Edn};
use crate::core::history::{Event, History};
use serde_json::Value;
use std::fmt::Write as _;
use std::time::Duration;

/// The names of micro-operations, written as keywords where an operation's value is a list of
/// them (txn, kafka).
const MICRO_OPS: [&str; 5] = ["r", "w", "append", "send", "poll"];

/// One nemesis operation (an invocation or a completion) as Jepsen writes it.
struct NemesisOp {
    time: Duration,
    f: Edn,
    value: Edn,
}

/// A nemesis action as logged (`start-partition majority: n0 drops n1,n2; …`, `stop-partition`)
/// as Jepsen's invocation and completion.
fn nemesis_ops(time: Duration, action: &str) -> [NemesisOp; 2] {
    let (f, rest) = action.split_once(' ').unwrap_or((action, ""));
    let (invoke, done) = match f {
        "start-partition" => {
            let (target, cuts) = rest.split_once(':').unwrap_or((rest, ""));
            let target = target.trim_end_matches(" (no-op)");
            let grudge = cuts
                .split(';')
                .filter_map(|cut| cut.trim().split_once(" drops "))
                .map(|(r, from)| {
                    let from = from.split(',').map(|n| Edn::Str(n.trim().to_owned())).collect();
                    (Edn::Str(r.to_owned()), Edn::Set(from))
                })
                .collect();
            (Edn::keyword(target), Edn::Vector(vec![Edn::keyword("isolated"), Edn::Map(grudge)]))
        }
        "stop-partition" => (Edn::Nil, Edn::keyword("network-healed")),
        _ if rest.is_empty() => (Edn::Nil, Edn::Nil),
        _ => (Edn::Str(rest.to_owned()), Edn::Str(rest.to_owned())),
    };
    [
        NemesisOp { time, f: Edn::keyword(f), value: invoke },
        NemesisOp { time, f: Edn::keyword(f), value: done },
    ]
}

/// The history's events and the nemesis's operations, in time order (a nemesis action before
/// the events that came after it).
fn each_op<'a>(
    history: &'a History,
    nemesis: &'a [(Duration, String)],
) -> impl Iterator<Item = Result<&'a Event, NemesisOp>> {
    let mut ops = nemesis.iter().flat_map(|(t, a)| nemesis_ops(*t, a)).peekable();
    let mut events = history.events.iter().peekable();
    std::iter::from_fn(move || match (events.peek(), ops.peek()) {
        (Some(e), Some(n)) if n.time < e.time => ops.next().map(Err),
        (Some(_), _) => events.next().map(Ok),
        (None, _) => ops.next().map(Err),
    })
}

/// `history.edn`'s text: the history with the nemesis's operations (`nemesis`: each action and
/// when, as the run logged them).
pub fn history_edn(history: &History, nemesis: &[(Duration, String)]) -> String {
    let mut s = String::with_capacity(history.events.len() * 96);
    for (index, op) in each_op(history, nemesis).enumerate() {
        match op {
            Ok(e) => write_op(index, e, &mut s),
            Err(n) => {
                let _ = write!(
                    s,
                    "{{:index {index}, :time {}, :type :info, :process :nemesis, :f {}, :value {}}}",
                    n.time.as_nanos(),
                    n.f.compact(),
                    n.value.compact()
                );
            }
        }
        s.push('\n');
    }
    s
}

/// `history.txt`'s text, the nemesis's operations included.
pub fn history_txt(history: &History, nemesis: &[(Duration, String)]) -> String {
    let mut s = String::with_capacity(history.events.len() * 48);
    for op in each_op(history, nemesis) {
        match op {
            Ok(e) => {
                let _ = write!(s, "{}\t:{}\t{}\t", e.process, e.kind.name(), Edn::keyword(&e.f).compact());
                write_value(&e.value, &mut s);
                if let Some(err) = &e.error {
                    let _ = write!(s, "\t{}", error(err).compact());
                }
            }
            Err(n) => {
                let _ = write!(s, ":nemesis\t:info\t{}\t{}", n.f.compact(), n.value.compact());
            }
        }
        s.push('\n');
    }
    s
}

/// One event as a Jepsen operation map at `index`, written straight into `s`.
fn write_op(index: usize, e: &Event, s: &mut String) {
    let _ = write!(
        s,
        "{{:index {index}, :time {}, :type :{}, :process {}, :f {}, :value ",
        e.time.as_nanos(),
        e.kind.name(),
        e.process,
        Edn::keyword(&e.f).compact()
    );
    write_value(&e.value, s);
    s.push_str(", :node ");
    Edn::Str(e.node.clone()).write_compact(s);
    if e.final_op {
        s.push_str(", :final? true");
    }
    if let Some(err) = &e.error {
        s.push_str(", :error ");
        s.push_str(&error(err).compact());
    }
    if let Some(x) = &e.exception {
        s.push_str(", :exception ");
        Edn::Str(x.clone()).write_compact(s);
    }
    s.push('}');
}

/// An operation's value: a list of micro-operations gets keyword names, anything else is data.
fn write_value(v: &Value, s: &mut String) {
    let micro = |x: &Value| {
        x.as_array().and_then(|m| m.first()).and_then(Value::as_str).is_some_and(|f| MICRO_OPS.contains(&f))
    };
    match v.as_array() {
        Some(xs) if !xs.is_empty() && xs.iter().all(micro) => {
            let ops = xs
                .iter()
                .filter_map(Value::as_array)
                .map(|m| {
                    let mut parts: Vec<Edn> = m.iter().map(Edn::data).collect();
                    if let (Some(first), Some(name)) = (parts.first_mut(), m.first().and_then(Value::as_str))
                    {
                        *first = Edn::keyword(name);
                    }
                    Edn::Vector(parts)
                })
                .collect();
            Edn::Vector(ops).write_compact(s);
        }
        _ => write_data(v, s),
    }
}

/// Jepsen's `:error`: `:net-timeout`, or `[:name "text"]` for an error reply.
fn error(err: &Value) -> Edn {
    match err {
        Value::String(s) => Edn::keyword(s),
        Value::Array(xs) => Edn::Vector(
            xs.iter()
                .enumerate()
                .map(|(i, x)| match (i, x) {
                    (0, Value::String(name)) => Edn::keyword(name),
                    (_, x) => Edn::data(x),
                })
                .collect(),
        ),
        other => Edn::data(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::history::build::ev;
    use crate::core::history::Kind;
    use crate::output::edn::parse;
    use serde_json::json;

    fn sample() -> History {
        let mut h = History::default();
        ev(&mut h, Kind::Invoke, 0, "txn", json!([["r", 1, null], ["w", 2, 3]]), 1);
        ev(&mut h, Kind::Invoke, 1, "broadcast", json!(7), 2);
        ev(&mut h, Kind::Ok, 0, "txn", json!([["r", 1, 4], ["w", 2, 3]]), 3);
        ev(&mut h, Kind::Info, 1, "broadcast", json!(7), 5004);
        h.events[3].error = Some(json!("net-timeout"));
        ev(&mut h, Kind::Fail, 2, "read", Value::Null, 6000);
        h.events[4].error = Some(json!(["temporarily-unavailable", "busy \"now\""]));
        h.events[4].final_op = true;
        h
    }

    #[test]
    fn each_operation_is_a_jepsen_map_on_its_line() {
        let text = history_edn(&sample(), &[]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(
            lines[0],
            r#"{:index 0, :time 1000000, :type :invoke, :process 0, :f :txn, :value [[:r 1 nil] [:w 2 3]], :node "n0"}"#
        );
        assert_eq!(
            lines[3],
            r#"{:index 3, :time 5004000000, :type :info, :process 1, :f :broadcast, :value 7, :node "n1", :error :net-timeout}"#
        );
        let last = parse(lines[4]).expect("EDN");
        assert_eq!(last["error"], json!(["temporarily-unavailable", "busy \"now\""]));
        assert_eq!((last["final?"].clone(), last["type"].clone()), (json!(true), json!("fail")));
    }

    #[test]
    fn the_text_history_has_jepsens_columns() {
        let text = history_txt(&sample(), &[]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "0\t:invoke\t:txn\t[[:r 1 nil] [:w 2 3]]");
        assert_eq!(lines[3], "1\t:info\t:broadcast\t7\t:net-timeout");
        assert_eq!(lines[4], "2\t:fail\t:read\tnil\t[:temporarily-unavailable \"busy \\\"now\\\"\"]");
    }

    #[test]
    fn the_nemesis_acts_as_jepsens_process_between_the_operations() {
        let nemesis = [
            (Duration::from_millis(2), "start-partition majority: n0 drops n1,n2; n1 drops n0".to_owned()),
            (Duration::from_millis(5004), "stop-partition".to_owned()),
            (Duration::from_secs(7), "stop-partition (final heal)".to_owned()),
        ];
        let text = history_edn(&sample(), &nemesis);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5 + 6);
        // After the events up to its time, and numbered with them.
        assert!(lines[1].starts_with("{:index 1, :time 2000000, :type :invoke"), "{}", lines[1]);
        assert_eq!(
            lines[2],
            "{:index 2, :time 2000000, :type :info, :process :nemesis, :f :start-partition, :value :majority}"
        );
        assert_eq!(
            lines[3],
            r#"{:index 3, :time 2000000, :type :info, :process :nemesis, :f :start-partition, :value [:isolated {"n0" #{"n1" "n2"}, "n1" #{"n0"}}]}"#
        );
        let healed = parse(lines[7]).expect("EDN");
        assert_eq!(
            (healed["process"].clone(), healed["value"].clone()),
            (json!("nemesis"), json!("network-healed"))
        );
        assert_eq!(
            parse(lines[3]).expect("EDN")["value"],
            json!(["isolated", {"n0": ["n1", "n2"], "n1": ["n0"]}])
        );
        assert!(lines[10].contains(":f :stop-partition, :value :network-healed}"), "{}", lines[10]);
        let txt = history_txt(&sample(), &nemesis);
        assert_eq!(txt.lines().nth(2), Some(":nemesis\t:info\t:start-partition\t:majority"));
        assert_eq!(txt.lines().count(), 11);
    }
}
