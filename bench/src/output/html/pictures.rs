//! Pictures of why a run failed, drawn from the checkers' structured results (never from anomaly
//! names, which may change): the lin-kv checker's failing window as bars per process, and each
//! transaction cycle as a small graph with its edges named.

use super::bars::{self, Bar, Scale};
use super::page::{esc, figure};
use super::timeline::Outcome;
use crate::core::history::{History, Kind};
use serde_json::Value;
use std::collections::HashMap;
use std::f64::consts::PI;
use std::fmt::Write as _;

/// Failing keys drawn at most.
const MAX_KEYS: usize = 4;
/// Operations of one window drawn at most.
const MAX_OPS: usize = 80;
/// Cycles drawn at most (the first of each kind).
const MAX_CYCLES: usize = 6;
/// Transactions of one cycle drawn at most.
const MAX_VERTICES: usize = 10;

/// `secs` as `1.2345 s`.
fn secs(ns: u64) -> f64 {
    ns as f64 / 1e9
}

/// The lin-kv checker's proofs (`workload.results.<key>.linearizable.ops`) as bars per process
/// over the failing window, in the order the checker tried them (numbered by invocation).
pub fn linearizability(workload: &Value, history: &History) -> Option<String> {
    let results = workload["results"].as_object()?;
    let invoke_of: HashMap<(u64, u64), usize> = history
        .events
        .iter()
        .filter(|e| e.kind == Kind::Invoke)
        .map(|e| ((e.process, e.time.as_nanos() as u64), e.index))
        .collect();
    let mut out = String::new();
    for (key, r) in results.iter().filter(|(_, r)| r["linearizable"]["ops"].is_array()).take(MAX_KEYS) {
        let ops = r["linearizable"]["ops"].as_array().map(Vec::as_slice).unwrap_or_default();
        let ops = ops.get(..ops.len().min(MAX_OPS)).unwrap_or_default();
        let bars: Vec<Bar> = ops
            .iter()
            .enumerate()
            .map(|(k, o)| {
                let start = o["invoke-time"].as_u64().unwrap_or(0);
                let process = o["process"].as_u64().unwrap_or(0);
                let end = o["complete-time"].as_u64();
                let definite = o["type"].as_str() == Some("ok");
                let source = o["source?"].as_bool().unwrap_or(false);
                let what =
                    format!("{} {}", o["f"].as_str().unwrap_or("?"), o["value"].as_str().unwrap_or("?"));
                let possible = o["possible"].as_array().map(|p| {
                    let vals: Vec<&str> = p.iter().filter_map(Value::as_str).collect();
                    if vals.is_empty() {
                        "; no order leaves room for it".to_owned()
                    } else {
                        format!("; the register could only hold {} then", vals.join(" or "))
                    }
                });
                Bar {
                    process,
                    start_s: secs(start),
                    end_s: end.map(secs),
                    outcome: Some(if definite { Outcome::Ok } else { Outcome::Info }),
                    label: format!("{}. {what}", k + 1),
                    title: format!(
                        "{}. {what} ({}) by process {process} on {}, {:.4} s → {}{}{}",
                        k + 1,
                        if definite { "ok" } else { "outcome unknown" },
                        o["node"].as_str().unwrap_or("?"),
                        secs(start),
                        end.map_or("?".to_owned(), |e| format!("{:.4} s", secs(e))),
                        if source { ", a possible source of a value seen" } else { "" },
                        possible.unwrap_or_default()
                    ),
                    op: invoke_of.get(&(process, start)).copied(),
                    faint: source,
                }
            })
            .collect();
        // An ordinal axis: what matters is the order of invocations and completions, and
        // millisecond operations seconds apart would be slivers on a time axis.
        let mut times: Vec<f64> = bars.iter().flat_map(|b| [Some(b.start_s), b.end_s]).flatten().collect();
        times.sort_by(f64::total_cmp);
        times.dedup();
        if times.is_empty() {
            continue;
        }
        let rank = |t: f64| times.partition_point(|x| *x < t) as f64;
        let t_mid = times.get(times.len() / 2).copied().unwrap_or(0.0);
        let last = times.len() as f64;
        let bars: Vec<Bar> = bars
            .into_iter()
            .map(|b| Bar { start_s: rank(b.start_s), end_s: Some(b.end_s.map_or(last, rank)), ..b })
            .collect();
        let scale = Scale { t0: -0.5, t1: last, px_per_s: 1150.0 / (last + 0.5), row: 22.0, axis: false };
        let link = |i: usize| format!("#op-{i}");
        let svg = bars::svg(&bars, &[], &scale, Some(&link));
        let caption = format!(
            "Key {}: the operations no order can explain, one row per process, numbered by invocation \
             (green ok, amber outcome unknown), in the order their invocations and completions happened \
             (not to scale); pale bars are possible sources of a value seen, which the checker tried too. \
             Hover a bar for its times and what the register could hold there; click for the operation. \
             <a href=\"messages.html#t={t_mid:.3}\">their messages</a>",
            esc(key)
        );
        out.push_str(&figure(&format!("lin-window-{key}"), &svg, &caption));
    }
    (!out.is_empty()).then_some(out)
}

/// One step of a cycle: `ww key 1: 3 → 4`, from its JSON (`type`, and `key`, `value`, `value'`
/// when the checker knows why).
fn step_label(step: &Value) -> String {
    let kind = step["type"].as_str().unwrap_or("?");
    if step.get("key").is_none() {
        return kind.to_owned();
    }
    let v = |x: &Value| if x.is_null() { "nil".to_owned() } else { x.to_string() };
    format!("{kind} key {}: {} → {}", step["key"], v(&step["value"]), v(&step["value'"]))
}

/// A transaction's micro-ops, `[r 1 3] [w 2 4]`.
fn mops(t: &Value) -> String {
    let list: Vec<String> = t["value"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let parts: Vec<String> = m
                .as_array()
                .into_iter()
                .flatten()
                .map(|x| match x {
                    Value::Null => "nil".to_owned(),
                    Value::String(s) => s.clone(),
                    x => x.to_string(),
                })
                .collect();
            format!("[{}]", parts.join(" "))
        })
        .collect();
    super::page::clip(&list.join(" "), 44)
}

/// A cycle as an SVG graph: transactions on a circle, each step a curved arrow to the next with
/// its dependency named.
pub fn cycle_svg(cycle: &[Value], steps: &[Value], invocation_of: &HashMap<usize, usize>) -> String {
    let n = cycle.len().min(MAX_VERTICES);
    let r = if n <= 2 { 150.0 } else { 90.0 + 32.0 * n as f64 };
    let (w, h) = (2.0 * r + 360.0, 2.0 * r + 120.0);
    let (cx, cy) = (w / 2.0, h / 2.0);
    let at = |k: usize| {
        let a = -PI / 2.0 + 2.0 * PI * k as f64 / n.max(1) as f64;
        if n == 2 {
            (cx + if k == 0 { -r } else { r }, cy)
        } else {
            (cx + r * a.cos(), cy + r * a.sin())
        }
    };
    let mut o = String::new();
    let _ = write!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" \
         font-family=\"system-ui,sans-serif\" font-size=\"12\"><defs><marker id=\"arr\" viewBox=\"0 0 10 10\" \
         refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\">\
         <path d=\"M0 0L10 5L0 10z\" fill=\"#444\"/></marker></defs>"
    );
    for k in 0..n {
        let (a, b) = (at(k), at((k + 1) % n));
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        // Bend each arrow outwards (to its right), so A→B and B→A do not overlap; stop short of
        // the boxes.
        let (nx, ny) = (dy / len, -dx / len);
        let bend = 0.22 * len;
        let (mx, my) = ((a.0 + b.0) / 2.0 + nx * bend, (a.1 + b.1) / 2.0 + ny * bend);
        let cut = |p: (f64, f64), q: (f64, f64)| {
            let (ex, ey) = (q.0 - p.0, q.1 - p.1);
            let l = (ex * ex + ey * ey).sqrt().max(1.0);
            (p.0 + ex / l * 34.0, p.1 + ey / l * 34.0)
        };
        let (s, e) = (cut(a, (mx, my)), cut(b, (mx, my)));
        let label = steps.get(k).map(step_label).unwrap_or_default();
        let _ = write!(
            o,
            "<path d=\"M{:.1} {:.1}Q{mx:.1} {my:.1} {:.1} {:.1}\" fill=\"none\" stroke=\"#444\" stroke-width=\"1.6\" \
             marker-end=\"url(#arr)\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#a11919\" \
             font-weight=\"600\" paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"4\">{}</text>",
            s.0,
            s.1,
            e.0,
            e.1,
            (a.0 + b.0) / 4.0 + mx / 2.0,
            (a.1 + b.1) / 4.0 + my / 2.0 + 4.0,
            esc(&label)
        );
    }
    for (k, t) in cycle.iter().take(n).enumerate() {
        let (x, y) = at(k);
        let index = t["index"].as_u64().map(|i| i as usize);
        let op = index.and_then(|i| invocation_of.get(&i).copied());
        let head = format!(
            "T{} · #{} · p{} {}",
            k + 1,
            index.map_or("?".into(), |i| i.to_string()),
            t["process"],
            t["type"].as_str().unwrap_or("")
        );
        let (open, close) = match op {
            Some(i) => (format!("<a href=\"#op-{i}\">"), "</a>"),
            None => (String::new(), ""),
        };
        let text = mops(t);
        let bw = (text.chars().count().max(head.chars().count()) as f64 * 6.8 + 16.0).max(150.0);
        let _ = write!(
            o,
            "{open}<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bw:.0}\" height=\"40\" rx=\"6\" fill=\"#eef3fb\" stroke=\"#0b57d0\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-weight=\"600\">{}</text>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-family=\"ui-monospace,monospace\" font-size=\"11\">{}</text>{close}",
            x - bw / 2.0,
            y - 20.0,
            y - 4.0,
            esc(&head),
            y + 12.0,
            esc(&text)
        );
    }
    o.push_str("</svg>");
    o
}

/// A picture of one anomaly, for the report to place and its failures to link to.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    /// The anomaly's name, as the failures begin (`G1c`, `lost-write`).
    pub name: String,
    /// The id of the element holding it.
    pub anchor: String,
    /// The figure, inside an element with that id.
    pub html: String,
}

/// Every anomaly example shaped as a cycle (`cycle`: transactions, `steps`: one per edge) in a
/// txn result, the first of each anomaly drawn.
pub fn cycles(workload: &Value, invocation_of: &HashMap<usize, usize>) -> Vec<Picture> {
    let Some(anomalies) = workload["anomalies"].as_object() else { return Vec::new() };
    let mut out = Vec::new();
    let mut drawn = 0;
    for (name, examples) in anomalies {
        let first = examples.as_array().and_then(|e| e.first()).unwrap_or(examples);
        let (Some(cycle), Some(steps)) = (first["cycle"].as_array(), first["steps"].as_array()) else {
            continue;
        };
        if cycle.is_empty() || drawn >= MAX_CYCLES {
            continue;
        }
        drawn += 1;
        let more = if cycle.len() > MAX_VERTICES {
            format!(" (its first {MAX_VERTICES} of {} transactions)", cycle.len())
        } else {
            String::new()
        };
        let caption = format!(
            "{}: a cycle of {} transactions{more}; each arrow is a dependency, named with its key and the \
             versions that order the two transactions (ww: overwrote, wr: read what it wrote, rw: read a \
             version the next one overwrote). Click a transaction for its operation.",
            esc(name),
            cycle.len()
        );
        let anchor = format!("cycle-{name}");
        let fig = figure(&anchor, &cycle_svg(cycle, steps, invocation_of), &caption);
        let html = format!("<div id=\"{}\">{fig}</div>", esc(&anchor));
        out.push(Picture { name: name.clone(), anchor, html });
    }
    out
}
