//! The history as a table of operations (invocation with its completion), each row anchored as
//! `#op-<invocation index>` so failures can link to it. Long histories show the first rows and
//! every operation a failure names.

use super::page::{clip, esc};
use crate::core::history::History;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Histories with at most this many operations are shown whole.
pub const FULL_LIMIT: usize = 2000;
/// Rows shown from the start of a longer history.
const HEAD: usize = 300;
/// Characters of a value shown in a cell.
const VALUE_CHARS: usize = 160;

/// The table; `marked` holds the invocation indices named by failures (highlighted, always shown).
pub fn table(history: &History, marked: &BTreeSet<usize>) -> String {
    let pairs = history.pairs();
    let whole = pairs.len() <= FULL_LIMIT;
    let mut s = String::new();
    if !whole {
        let _ = writeln!(
            s,
            "<p class=\"note\">{} operations: showing the first {HEAD} and the {} that failures name; \
             every operation is in <a href=\"history.jsonl\">history.jsonl</a>.</p>",
            pairs.len(),
            marked.len()
        );
    }
    s.push_str(
        "<table class=\"history\"><tr><th class=\"num\">op</th><th class=\"num\">process</th><th>node</th>\
         <th>f</th><th class=\"num\">invoked (s)</th><th>value sent</th><th>outcome</th>\
         <th>value returned / error</th><th class=\"num\">latency (ms)</th></tr>\n",
    );
    for (k, p) in pairs.iter().enumerate() {
        let i = p.invoke.index;
        let hl = marked.contains(&i);
        if !whole && k >= HEAD && !hl {
            continue;
        }
        let (outcome, returned, latency) = match p.complete {
            Some(c) => {
                let mut r =
                    if c.value.is_null() { String::new() } else { clip(&c.value.to_string(), VALUE_CHARS) };
                if let Some(e) = &c.error {
                    r = format!("{r} error {e}");
                }
                if let Some(x) = &c.exception {
                    r = format!("{r} {x}");
                }
                let lat = c.time.saturating_sub(p.invoke.time).as_secs_f64() * 1e3;
                (c.kind.name(), r, format!("{lat:.2}"))
            }
            None => ("never completed", String::new(), String::new()),
        };
        let sent = if p.invoke.value.is_null() {
            String::new()
        } else {
            clip(&p.invoke.value.to_string(), VALUE_CHARS)
        };
        let _ = writeln!(
            s,
            "<tr id=\"op-{i}\"{}><td class=\"num\">{i}</td><td class=\"num\">{}</td><td>{}</td><td>{}{}</td>\
             <td class=\"num\">{:.3}</td><td class=\"mono\">{}</td><td class=\"{}\">{}</td>\
             <td class=\"mono\">{}</td><td class=\"num\">{latency}</td></tr>",
            if hl { " class=\"hl\"" } else { "" },
            p.invoke.process,
            esc(&p.invoke.node),
            esc(&p.invoke.f),
            if p.invoke.final_op { " (final)" } else { "" },
            p.invoke.time.as_secs_f64(),
            esc(&sent),
            outcome.split(' ').next().unwrap_or(""),
            outcome,
            esc(returned.trim()),
        );
    }
    s.push_str("</table>\n");
    s
}
