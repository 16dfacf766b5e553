//! Kafka, txn-rw-register and txn-list-append anomalies (docs/protocol.md §7.5, §7.6, §7.10) as
//! tables: each anomaly type
//! with its count, the offending keys and the example operations or transactions, linked to
//! the history table.

use super::failures::ops_in;
use super::page::{clip, esc};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

/// Examples shown per anomaly type.
const EXAMPLES: usize = 6;

/// Keys named anywhere inside an example (`key` fields, and the keys of txn micro-ops).
fn keys_in(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let Some(k) = m.get("key") {
                out.insert(k.to_string());
            }
            m.values().for_each(|x| keys_in(x, out));
        }
        Value::Array(xs) => {
            // A txn micro-op: ["r"|"w"|"append", key, value].
            if let [Value::String(f), k, _] = xs.as_slice() {
                if f == "r" || f == "w" || f == "append" {
                    out.insert(k.to_string());
                    return;
                }
            }
            xs.iter().for_each(|x| keys_in(x, out));
        }
        _ => {}
    }
}

/// The anomaly types and their examples: kafka's `{name: {count, errs}}` beside `error-types`,
/// or txn's `anomalies: {name: [examples]}`.
pub fn anomaly_list(workload: &Value) -> Vec<(String, Option<u64>, Vec<Value>)> {
    let mut out = Vec::new();
    if let Some(m) = workload["anomalies"].as_object() {
        for (name, ex) in m {
            let list = ex.as_array().cloned().unwrap_or_else(|| vec![ex.clone()]);
            out.push((name.clone(), Some(list.len() as u64), list));
        }
    }
    for name in workload["error-types"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        let v = &workload[name];
        let errs = match v["errs"].as_array() {
            Some(e) => e.clone(),
            None if v.is_null() => Vec::new(),
            None => vec![v.clone()],
        };
        out.push((name.to_owned(), v["count"].as_u64(), errs));
    }
    out
}

/// The anomalies section's body, or `None` when there is nothing to show.
pub fn section(workload: &Value, invocation_of: &HashMap<usize, usize>) -> Option<String> {
    let list = anomaly_list(workload);
    if list.is_empty() {
        return None;
    }
    let bad: BTreeSet<&str> = workload["bad-error-types"]
        .as_array()
        .or(workload["anomaly-types"].as_array())
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut s = String::from(
        "<table class=\"anomalies\"><tr><th>anomaly</th><th class=\"num\">count</th><th>fails the test</th>\
         <th>keys</th><th>operations</th><th>examples</th></tr>\n",
    );
    for (name, count, examples) in &list {
        let mut keys = BTreeSet::new();
        let mut ops = Vec::new();
        for e in examples {
            keys_in(e, &mut keys);
            ops_in(e, &mut ops);
        }
        let mut ops: Vec<usize> = ops.into_iter().filter_map(|i| invocation_of.get(&i).copied()).collect();
        ops.sort_unstable();
        ops.dedup();
        let links: Vec<String> =
            ops.iter().take(12).map(|i| format!("<a href=\"#op-{i}\">op {i}</a>")).collect();
        let shown: Vec<String> = examples
            .iter()
            .take(EXAMPLES)
            .map(|e| format!("<pre>{}</pre>", esc(&clip(&e.to_string(), 600))))
            .collect();
        let _ = writeln!(
            s,
            "<tr><td><b>{}</b></td><td class=\"num\">{}</td><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(name),
            count.map_or("-".to_owned(), |c| c.to_string()),
            if bad.contains(name.as_str()) || bad.is_empty() { "yes" } else { "no" },
            esc(&keys.into_iter().take(20).collect::<Vec<_>>().join(", ")),
            links.join(" "),
            shown.join("")
        );
    }
    s.push_str("</table>\n");
    Some(s)
}
