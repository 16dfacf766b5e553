//! Kafka pictures: for each anomaly the checker named, the offsets of the offending key as a grid
//! (one row per send or poll that showed them, one column per offset, each cell the message the
//! operation saw there), the offending messages, offsets and operations marked; and every kafka
//! run's real-time lag over time. Drawn from the checker's structured results (`key`, `value`,
//! `values`, `skipped`, `offset`, `offsets` and the operations of each example) and its own parse
//! of the history, never from anomaly names.

use super::failures::ops_in;
use super::page::{esc, figure};
use super::pictures::Picture;
use super::plots::{self, Series};
use super::timeline::{quantile, Partition};
use crate::core::checkers::kafka::{realtime_lags, sightings, Sighting};
use crate::core::history::{History, Kind};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

/// Anomalies drawn at most (the first example of each).
const MAX_PICTURES: usize = 8;
/// Offsets (columns) drawn at most.
const MAX_COLS: usize = 28;
/// Operations (rows) drawn at most.
const MAX_ROWS: usize = 26;
/// Neighbouring offsets shown on each side of the offending ones.
const CONTEXT: i64 = 2;
/// Geometry: label column, cell width, row height, header height.
const LABEL_W: f64 = 200.0;
const CELL_W: f64 = 38.0;
const ROW_H: f64 = 20.0;
const HEAD_H: f64 = 44.0;

/// What an anomaly example points at.
#[derive(Debug, Default, PartialEq)]
pub struct Marks {
    /// The offending key.
    pub key: i64,
    /// Offending messages (`value`, `values`, `skipped`, or unseen's `messages`).
    pub msgs: BTreeSet<i64>,
    /// Offending offsets (`offset`, `offsets`).
    pub offsets: BTreeSet<i64>,
    /// History indices of the operations involved (invocations or completions).
    pub ops: BTreeSet<usize>,
}

impl Marks {
    /// The marks of one example: a kafka error map with a `key`.
    pub fn of(err: &Value) -> Option<Marks> {
        let key = int(&err["key"])?;
        let mut m = Marks { key, ..Marks::default() };
        let ints = |v: &Value| v.as_array().into_iter().flatten().filter_map(int).collect::<Vec<_>>();
        m.msgs.extend(int(&err["value"]));
        m.msgs.extend(ints(&err["values"]));
        m.msgs.extend(ints(&err["skipped"]));
        m.offsets.extend(int(&err["offset"]));
        m.offsets.extend(ints(&err["offsets"]));
        let mut ops = Vec::new();
        ops_in(err, &mut ops);
        m.ops.extend(ops);
        Some(m)
    }

    /// `unseen`'s shape (`{unseen: {key: count}, messages: {key: [msgs]}}`): its first key.
    fn of_unseen(v: &Value) -> Option<Marks> {
        let (k, msgs) = v["messages"].as_object()?.iter().next()?;
        let key = k.parse().ok()?;
        let msgs = msgs.as_array().into_iter().flatten().filter_map(int).collect();
        Some(Marks { key, msgs, ..Marks::default() })
    }

    fn marks(&self, s: &Sighting) -> bool {
        self.ops.contains(&s.index) || self.ops.contains(&s.invoke)
    }
}

/// An integer, or a string holding one (kafka keys come both ways).
fn int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// The offsets to draw: those the example names or where an offending message was seen, with
/// [`CONTEXT`] neighbours each side that some operation showed, nearest first up to [`MAX_COLS`].
fn columns(marks: &Marks, seen: &[Sighting]) -> (Vec<i64>, BTreeSet<i64>) {
    let mut hot = marks.offsets.clone();
    for s in seen {
        for (o, m) in &s.pairs {
            if let (Some(o), true) = (o, marks.msgs.contains(m)) {
                hot.insert(*o);
            }
        }
    }
    if hot.is_empty() {
        // No offset named: the offsets the offending operations showed.
        hot.extend(seen.iter().filter(|s| marks.marks(s)).flat_map(|s| s.pairs.iter().filter_map(|p| p.0)));
    }
    let all: BTreeSet<i64> = seen.iter().flat_map(|s| s.pairs.iter().filter_map(|p| p.0)).collect();
    let dist = |o: i64| hot.iter().map(|h| (h - o).abs()).min().unwrap_or(i64::MAX);
    let mut near: Vec<i64> = all.into_iter().filter(|o| dist(*o) <= CONTEXT).collect();
    near.sort_by_key(|o| (dist(*o), *o));
    near.truncate(MAX_COLS);
    near.sort_unstable();
    (near, hot)
}

/// The operations to draw: every marked one, then those nearest them in the history that showed
/// a drawn offset, up to [`MAX_ROWS`], in invocation order.
fn rows<'a>(marks: &Marks, seen: &'a [Sighting], cols: &[i64]) -> Vec<&'a Sighting> {
    let shows = |s: &Sighting| {
        s.pairs.iter().any(|(o, m)| o.is_some_and(|o| cols.contains(&o)) || marks.msgs.contains(m))
    };
    let marked: Vec<usize> = seen.iter().filter(|s| marks.marks(s)).map(|s| s.invoke).collect();
    let mut picked: Vec<&Sighting> = seen.iter().filter(|s| marks.marks(s)).take(MAX_ROWS).collect();
    let mut others: Vec<&Sighting> = seen.iter().filter(|s| !marks.marks(s) && shows(s)).collect();
    let dist = |s: &Sighting| marked.iter().map(|m| m.abs_diff(s.invoke)).min().unwrap_or(s.invoke);
    others.sort_by_key(|s| (dist(s), s.invoke));
    picked.extend(others.into_iter().take(MAX_ROWS.saturating_sub(picked.len())));
    picked.sort_by_key(|s| s.invoke);
    picked
}

/// One cell: its text, fill and whether it is offending.
fn cell(o: &mut String, x: f64, y: f64, text: &str, fill: &str, bad: bool, title: &str) {
    let stroke = if bad { "#c5221f\" stroke-width=\"2" } else { "#ccc" };
    let _ = write!(
        o,
        "<g><title>{}</title><rect x=\"{x:.0}\" y=\"{y:.0}\" width=\"{CELL_W:.0}\" height=\"{ROW_H:.0}\" fill=\"{fill}\" \
         stroke=\"{stroke}\"/><text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"middle\"{}>{}</text></g>",
        esc(title),
        x + CELL_W / 2.0,
        y + 14.0,
        if bad { " fill=\"#a11919\" font-weight=\"700\"" } else { "" },
        esc(text)
    );
}

/// The grid of `marks.key`'s offsets as the operations in `seen` showed them.
pub fn offsets_svg(marks: &Marks, seen: &[Sighting]) -> Option<String> {
    let (cols, hot) = columns(marks, seen);
    let rows = rows(marks, seen, &cols);
    let unknown = rows.iter().any(|s| s.pairs.iter().any(|p| p.0.is_none()));
    if cols.is_empty() && !unknown {
        return None;
    }
    // Column x positions; a send whose offset is unknown goes in a "?" column first.
    let first = if unknown { 1.0 } else { 0.0 };
    let x_of = |o: Option<i64>| match o {
        None => Some(LABEL_W),
        Some(o) => cols.iter().position(|c| *c == o).map(|i| LABEL_W + (i as f64 + first) * CELL_W),
    };
    let w = LABEL_W + (cols.len() as f64 + first) * CELL_W + 20.0;
    let h = HEAD_H + (rows.len() as f64 + 1.0) * ROW_H + 10.0;
    let mut o = String::new();
    let (lo, hi) = (cols.first().copied().unwrap_or(0), cols.last().copied().unwrap_or(0));
    let _ = write!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"offsets\" width=\"{w:.0}\" height=\"{h:.0}\" \
         viewBox=\"0 0 {w:.0} {h:.0}\" font-family=\"system-ui,sans-serif\" font-size=\"12\">\
         <text x=\"4\" y=\"16\" font-weight=\"700\">key {}: offsets {lo}–{hi}</text>\
         <text x=\"4\" y=\"{:.0}\" fill=\"#555\">offset →</text>",
        marks.key,
        HEAD_H - 6.0
    );
    if unknown {
        let _ = write!(
            o,
            "<text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"middle\" fill=\"#555\">?</text>",
            LABEL_W + CELL_W / 2.0,
            HEAD_H - 6.0
        );
    }
    for (i, c) in cols.iter().enumerate() {
        let x = LABEL_W + (i as f64 + first) * CELL_W;
        let bad = hot.contains(c);
        let _ = write!(
            o,
            "<text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"middle\"{}>{c}</text>",
            x + CELL_W / 2.0,
            HEAD_H - 6.0,
            if bad { " fill=\"#a11919\" font-weight=\"700\"" } else { "" }
        );
        // A gap in the offsets drawn: a dashed line before the column.
        if i > 0 && cols.get(i - 1).is_some_and(|p| c - p > 1) {
            let _ = write!(o, "<line x1=\"{x:.0}\" y1=\"{:.0}\" x2=\"{x:.0}\" y2=\"{:.0}\" stroke=\"#888\" stroke-dasharray=\"3 3\" stroke-width=\"2\"/>", HEAD_H - 18.0, h - 8.0);
        }
    }
    // The log the checker built: every message seen at each offset.
    let mut log: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for s in seen {
        for (off, m) in &s.pairs {
            if let Some(off) = off.filter(|x| cols.contains(x)) {
                let at = log.entry(off).or_default();
                if !at.contains(m) {
                    at.push(*m);
                }
            }
        }
    }
    let _ =
        write!(o, "<text x=\"4\" y=\"{:.0}\" font-weight=\"600\">the log (all seen)</text>", HEAD_H + 14.0);
    for (off, msgs) in &log {
        let Some(x) = x_of(Some(*off)) else { continue };
        let bad =
            msgs.len() > 1 || msgs.iter().any(|m| marks.msgs.contains(m)) || marks.offsets.contains(off);
        let text: Vec<String> = msgs.iter().map(i64::to_string).collect();
        let title = format!("offset {off}: message(s) {}", text.join(", "));
        cell(&mut o, x, HEAD_H, &text.join("|"), "#f1f1f1", bad, &title);
    }
    for (r, s) in rows.iter().enumerate() {
        let y = HEAD_H + (r as f64 + 1.0) * ROW_H;
        let marked = marks.marks(s);
        let f = if s.send { "send" } else { "poll" };
        let outcome = match s.kind {
            Kind::Ok => "",
            Kind::Fail => " fail",
            _ => " info",
        };
        let label = format!("{}{f} #{} p{}{outcome}", if marked { "▶ " } else { "" }, s.index, s.process);
        let _ = write!(
            o,
            "<a href=\"#op-{}\"><text x=\"4\" y=\"{:.0}\"{}><title>{f} #{} by process {} at {:.3} s{}</title>{}</text></a>",
            s.invoke,
            y + 14.0,
            if marked { " fill=\"#a11919\" font-weight=\"700\"" } else { " fill=\"#0b57d0\"" },
            s.index,
            s.process,
            s.time.as_secs_f64(),
            if marked { ", named by the checker" } else { "" },
            esc(&label)
        );
        let fill = if s.send { "#dbe8fb" } else { "#e3f4e1" };
        for (off, m) in &s.pairs {
            let Some(x) = x_of(*off) else { continue };
            let bad = marks.msgs.contains(m) || (marked && off.is_some_and(|x| marks.offsets.contains(&x)));
            let at = off.map_or_else(|| "an unknown offset".to_owned(), |x| format!("offset {x}"));
            cell(&mut o, x, y, &m.to_string(), fill, bad, &format!("{f} #{}: message {m} at {at}", s.index));
        }
    }
    o.push_str("</svg>");
    Some(o)
}

/// The offending examples of a kafka result: `(anomaly, its first example's marks)`.
fn examples(workload: &Value) -> Vec<(String, Marks)> {
    let mut out = Vec::new();
    let names = workload["error-types"].as_array().into_iter().flatten().filter_map(Value::as_str);
    for name in names.chain(["unknown-messages"]) {
        let v = &workload[name];
        let marks = match v["errs"].as_array() {
            Some(errs) => errs.iter().find_map(Marks::of),
            None => Marks::of_unseen(v),
        };
        if let Some(m) = marks {
            out.push((name.to_owned(), m));
        }
    }
    out
}

/// The offsets picture of each kafka anomaly (the first example of each kind).
pub fn offset_pictures(workload: &Value, history: &History) -> Vec<Picture> {
    let mut seen_of: HashMap<i64, Vec<Sighting>> = HashMap::new();
    let mut out = Vec::new();
    for (name, marks) in examples(workload).into_iter().take(MAX_PICTURES) {
        let seen = seen_of.entry(marks.key).or_insert_with(|| sightings(history, marks.key));
        let Some(svg) = offsets_svg(&marks, seen) else { continue };
        let anchor = format!("kafka-{name}");
        let caption = format!(
            "{}: key {}, the offsets its first example involves (red) and their neighbours. The top row \
             is every message any operation showed at each offset; below, one row per send (blue) or \
             poll (green) that showed them, in invocation order, the operations the checker names \
             marked ▶ and offending messages outlined red. A dashed line is a gap in the offsets \
             drawn; a send whose offset is unknown (it did not succeed) is in the column ?. Click an \
             operation for its row of the history.",
            esc(&name),
            marks.key
        );
        let html = format!("<div id=\"{}\">{}</div>", esc(&anchor), figure(&anchor, &svg, &caption));
        out.push(Picture { name, anchor, html });
    }
    out
}

/// The real-time lag of every `ok` poll, per second of invocation (the worst and the median
/// poll), with the checker's worst case in the caption.
pub fn lag_plot(
    workload: &Value,
    history: &History,
    parts: &[Partition],
    t_max: f64,
) -> (String, Option<plots::Plot>) {
    let lags = realtime_lags(history);
    let mut per_second: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for l in &lags {
        per_second.entry(l.time.as_secs()).or_default().push(l.lag.as_secs_f64());
    }
    let mut worst = Vec::new();
    let mut median = Vec::new();
    for (s, mut v) in per_second {
        v.sort_by(f64::total_cmp);
        let x = s as f64 + 0.5;
        worst.extend(v.last().map(|w| (x, *w)));
        median.extend(quantile(&v, 0.5).map(|m| (x, m)));
    }
    let w = &workload["worst-realtime-lag"];
    let caption = format!(
        "How far behind the log each ok poll stood: for each key its process was at, the time since a \
         later offset of that key was first seen by an operation that completed (Jepsen's real-time \
         lag), the worst key of each poll; per second of invocation, the worst poll and the median \
         one, over {} polls. The checker's worst: {:.3} s (process {}, key {}, at {:.1} s).",
        lags.len(),
        w["lag"].as_f64().unwrap_or(0.0),
        w["process"],
        w["key"],
        w["time"].as_f64().unwrap_or(0.0)
    );
    if lags.is_empty() {
        return (caption, None);
    }
    let series = [
        Series { name: "worst poll".into(), points: worst, colour: 3 },
        Series { name: "median poll".into(), points: median, colour: 0 },
    ];
    (caption, plots::line_chart(&series, "real-time lag (s)", false, parts, t_max).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::history::build::ev;
    use crate::core::history::Kind::{Invoke, Ok};
    use serde_json::json;

    /// Key 3: offsets 0, 1, 2 sent; offset 1 polled as message 2 by one poll and 9 by another.
    fn history() -> History {
        let mut h = History::default();
        let mut ms = 0;
        let mut op = |h: &mut History, p: u64, f: &str, a: Value, b: Value| {
            ev(h, Invoke, p, f, a, ms);
            ev(h, Ok, p, f, b, ms + 1);
            ms += 10;
        };
        for (m, off) in [(1, 0), (2, 1), (3, 2)] {
            op(&mut h, 0, "send", json!([["send", 3, m]]), json!([["send", 3, [off, m]]]));
        }
        op(&mut h, 1, "poll", json!([["poll"]]), json!([["poll", {"3": [[0, 1], [1, 2]]}]]));
        op(&mut h, 2, "poll", json!([["poll"]]), json!([["poll", {"3": [[1, 9], [2, 3]]}]]));
        h
    }

    #[test]
    fn an_inconsistent_offset_is_drawn_with_its_key_offset_and_operations() {
        let h = history();
        let err = json!({"key": 3, "offset": 1, "index": 1, "values": [2, 9]});
        let marks = Marks::of(&err).expect("marks");
        assert_eq!(marks.offsets, BTreeSet::from([1]));
        let svg = offsets_svg(&marks, &sightings(&h, 3)).expect("a picture");
        assert!(svg.contains("key 3: offsets 0–2"), "{svg}");
        assert!(svg.contains("offset 1: message(s) 2, 9"), "{svg}");
        // Both polls are rows, and the cell of message 9 is offending.
        assert!(svg.contains("poll #7 p1") && svg.contains("poll #9 p2"), "{svg}");
        assert!(
            svg.contains("poll #9: message 9 at offset 1</title><rect") && svg.contains("#c5221f"),
            "{svg}"
        );
    }

    #[test]
    fn each_named_kafka_anomaly_gets_a_picture_and_an_anchor() {
        let w = json!({"error-types": ["inconsistent-offsets"],
                       "inconsistent-offsets": {"count": 1, "errs": [{"key": 3, "offset": 1, "values": [2, 9]}]},
                       "worst-realtime-lag": {"time": 0.02, "lag": 0.01, "process": 2, "key": 3}});
        let pics = offset_pictures(&w, &history());
        assert_eq!(pics.len(), 1);
        assert_eq!(
            (pics[0].name.as_str(), pics[0].anchor.as_str()),
            ("inconsistent-offsets", "kafka-inconsistent-offsets")
        );
        assert!(pics[0].html.starts_with("<div id=\"kafka-inconsistent-offsets\">"));
        let (caption, plot) = lag_plot(&w, &history(), &[], 1.0);
        assert!(caption.contains("over 2 polls") && caption.contains("0.010 s"), "{caption}");
        assert!(plot.is_some_and(|p| p.svg.contains("<svg")));
    }
}
