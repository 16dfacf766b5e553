//! `history.edn` and `history.txt`: the history as Jepsen writes it (docs/protocol.md §8.1), one
//! operation a line. In `history.edn` each line is a map with Jepsen's keys in Jepsen's order
//! (`:index :time :type :process :f :value`), then `:node`, `:final?`, `:error` and `:exception`
//! where present; `history.txt` has Jepsen's tab-separated columns: process, type, f, value,
//! and the error if any. Operation types, functions, error names and the names of micro-operations
//! (`[:r 1 nil]`, `[:send "k" 5]`) are keywords, as Jepsen has them. The indexes are those of
//! `history.jsonl`; the nemesis's actions are not operations here (they are in `results.json`).

use super::{write_data, Edn};
use crate::core::history::{Event, History};
use serde_json::Value;
use std::fmt::Write as _;

/// The names of micro-operations, written as keywords where an operation's value is a list of
/// them (txn, kafka).
const MICRO_OPS: [&str; 5] = ["r", "w", "append", "send", "poll"];

/// `history.edn`'s text.
pub fn history_edn(history: &History) -> String {
    let mut s = String::with_capacity(history.events.len() * 96);
    for e in &history.events {
        write_op(e, &mut s);
        s.push('\n');
    }
    s
}

/// `history.txt`'s text.
pub fn history_txt(history: &History) -> String {
    let mut s = String::with_capacity(history.events.len() * 48);
    for e in &history.events {
        let _ = write!(s, "{}\t:{}\t{}\t", e.process, e.kind.name(), Edn::keyword(&e.f).compact());
        write_value(&e.value, &mut s);
        if let Some(err) = &e.error {
            let _ = write!(s, "\t{}", error(err).compact());
        }
        s.push('\n');
    }
    s
}

/// One event as a Jepsen operation map, written straight into `s`.
fn write_op(e: &Event, s: &mut String) {
    let _ = write!(
        s,
        "{{:index {}, :time {}, :type :{}, :process {}, :f {}, :value ",
        e.index,
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
        let text = history_edn(&sample());
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
        let text = history_txt(&sample());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "0\t:invoke\t:txn\t[[:r 1 nil] [:w 2 3]]");
        assert_eq!(lines[3], "1\t:info\t:broadcast\t7\t:net-timeout");
        assert_eq!(lines[4], "2\t:fail\t:read\tnil\t[:temporarily-unavailable \"busy \\\"now\\\"\"]");
    }
}
