//! Operations as bars, one row per process, time to the right (Jepsen's timeline): an SVG drawn
//! by hand, used for `timeline.html` (every operation of a run) and for the lin-kv checker's
//! failing window in the report.

use super::page::{esc, frame};
use super::timeline::{Outcome, Partition};
use crate::core::history::{History, Kind};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The timeline's file name in a run directory.
pub const TIMELINE: &str = "timeline.html";

/// One operation to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The row it goes in.
    pub process: u64,
    /// Invocation, seconds since the run began.
    pub start_s: f64,
    /// Completion, if it completed.
    pub end_s: Option<f64>,
    /// How it ended (`None`: never completed).
    pub outcome: Option<Outcome>,
    /// Text written on the bar when there is room (may be empty).
    pub label: String,
    /// Text shown on hover.
    pub title: String,
    /// Its history index, for its anchor `op-N` and links.
    pub op: Option<usize>,
    /// Drawn pale (context, not the point).
    pub faint: bool,
}

/// Fill colours: ok, fail, info, never completed.
fn fill(o: Option<Outcome>) -> &'static str {
    match o {
        Some(Outcome::Ok) => "#8fd19e",
        Some(Outcome::Fail) => "#f1a1a1",
        Some(Outcome::Info) => "#f7d08a",
        None => "#d0d0d0",
    }
}

/// Geometry of a drawing.
pub struct Scale {
    /// First second shown.
    pub t0: f64,
    /// Last second shown.
    pub t1: f64,
    /// Pixels per second.
    pub px_per_s: f64,
    /// Row height in pixels.
    pub row: f64,
    /// Whether to draw a seconds axis (not for an ordinal scale, where x is an event's rank).
    pub axis: bool,
}

const LEFT: f64 = 70.0;
const TOP: f64 = 22.0;

/// A "nice" tick step (1, 2 or 5 × 10ⁿ) for about `target` ticks over `span`.
fn tick_step(span: f64, target: f64) -> f64 {
    let raw = (span / target).max(1e-9);
    let p = 10f64.powf(raw.log10().floor());
    let r = raw / p;
    p * if r < 2.0 {
        2.0
    } else if r < 5.0 {
        5.0
    } else {
        10.0
    }
}

/// The bars as an SVG, processes as rows in numeric order, partitions shaded; each bar with
/// an op links to `link(op)` when given.
pub fn svg(bars: &[Bar], parts: &[Partition], s: &Scale, link: Option<&dyn Fn(usize) -> String>) -> String {
    let mut rows: BTreeMap<u64, usize> = BTreeMap::new();
    for b in bars {
        rows.insert(b.process, 0);
    }
    for (k, v) in rows.values_mut().enumerate() {
        *v = k;
    }
    let x = |t: f64| LEFT + (t - s.t0) * s.px_per_s;
    let width = x(s.t1) + 10.0;
    let height = TOP + rows.len() as f64 * s.row + 6.0;
    let mut o = String::with_capacity(bars.len() * 160 + 2048);
    let _ = write!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"bars\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"system-ui,sans-serif\" font-size=\"11\">"
    );
    for p in parts {
        let (a, b) = (x(p.start_s.max(s.t0)), x(p.end_s.min(s.t1)));
        if b > a {
            let _ = write!(
                o,
                "<rect x=\"{a:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.0}\" fill=\"{}\" opacity=\"0.45\"><title>partition {:.2}–{:.2} s: {}</title></rect>",
                b - a,
                height - TOP,
                super::PARTITION_COLOUR,
                p.start_s,
                p.end_s,
                esc(&p.what)
            );
        }
    }
    let step = tick_step(s.t1 - s.t0, ((width - LEFT) / 110.0).max(2.0));
    let mut t = (s.t0 / step).ceil() * step;
    while s.axis && t <= s.t1 {
        let xt = x(t);
        let digits = if step < 0.01 {
            3
        } else if step < 1.0 {
            2
        } else {
            0
        };
        let _ = write!(
            o,
            "<line x1=\"{xt:.1}\" y1=\"{TOP}\" x2=\"{xt:.1}\" y2=\"{height:.0}\" stroke=\"#eee\"/>\
             <text x=\"{xt:.1}\" y=\"14\" text-anchor=\"middle\" fill=\"#555\">{t:.digits$} s</text>"
        );
        t += step;
    }
    for (p, k) in &rows {
        let y = TOP + *k as f64 * s.row;
        let _ = write!(
            o,
            "<text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#333\">process {p}</text>",
            LEFT - 6.0,
            y + s.row * 0.7
        );
    }
    for b in bars {
        let k = rows.get(&b.process).copied().unwrap_or(0);
        let y = TOP + k as f64 * s.row + 2.0;
        let x0 = x(b.start_s);
        let w = (x(b.end_s.unwrap_or(s.t1)) - x0).max(2.0);
        let h = s.row - 4.0;
        let id = b.op.map_or(String::new(), |i| format!(" id=\"op-{i}\""));
        let (open, close) = match (b.op, link) {
            (Some(i), Some(l)) => (format!("<a href=\"{}\">", esc(&l(i))), "</a>"),
            _ => (String::new(), ""),
        };
        let _ = write!(
            o,
            "{open}<g{id}{}><title>{}</title><rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" rx=\"2\" \
             fill=\"{}\" stroke=\"#666\" stroke-width=\"0.5\"/>",
            if b.faint { " opacity=\"0.45\"" } else { "" },
            esc(&b.title),
            fill(b.outcome)
        );
        // A label only where it fits (about 6 px per character), else its first word.
        let fits = |t: &str| w >= 6.0 * t.chars().count() as f64 + 4.0;
        let first = b.label.split(' ').next().unwrap_or("");
        let label = if fits(&b.label) {
            b.label.as_str()
        } else if fits(first) {
            first
        } else {
            ""
        };
        if !label.is_empty() {
            let _ = write!(
                o,
                "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#111\">{}</text>",
                x0 + 3.0,
                y + h * 0.75,
                esc(label)
            );
        }
        let _ = write!(o, "</g>{close}");
    }
    o.push_str("</svg>");
    o
}

/// Every operation of a history as a bar (operations that never completed run to the end).
pub fn of_history(history: &History) -> Vec<Bar> {
    history
        .pairs()
        .into_iter()
        .map(|p| {
            let outcome = p.complete.map(|c| Outcome::of(c.kind));
            let value = p.complete.filter(|c| c.kind == Kind::Ok).map_or(&p.invoke.value, |c| &c.value);
            let value = super::page::clip(&value.to_string(), 80);
            let end = p.complete.map(|c| c.time.as_secs_f64());
            let word = outcome.map_or("never completed", Outcome::name);
            Bar {
                process: p.invoke.process,
                start_s: p.invoke.time.as_secs_f64(),
                end_s: end,
                outcome,
                label: p.invoke.f.clone(),
                title: format!(
                    "op {}: {} {value} on {}, {:.4} s → {} {word}",
                    p.invoke.index,
                    p.invoke.f,
                    p.invoke.node,
                    p.invoke.time.as_secs_f64(),
                    end.map_or("-".to_owned(), |e| format!("{e:.4} s"))
                ),
                op: Some(p.invoke.index),
                faint: false,
            }
        })
        .collect()
}

/// The timeline page: every operation of the run, each bar linking to its messages.
pub fn page(history: &History, parts: &[Partition], title: &str) -> String {
    let bars = of_history(history);
    let t1 = history.events.last().map_or(1.0, |e| e.time.as_secs_f64()).max(0.001) * 1.01;
    // About 300 px a second, within 1,200 and 30,000 px in all.
    let px_per_s = (t1 * 300.0).clamp(1200.0, 30_000.0) / t1;
    let scale = Scale { t0: 0.0, t1, px_per_s, row: 16.0, axis: true };
    let link = |i: usize| format!("messages.html#op={i}");
    let svg = svg(&bars, parts, &scale, Some(&link));
    let body = format!(
        "<h1>{}: operations over time</h1><p class=\"note\">Each bar is one operation of one process, from \
         invocation to completion: <span class=\"swatch\" style=\"background:{}\"></span> ok \
         <span class=\"swatch\" style=\"background:{}\"></span> fail <span class=\"swatch\" style=\"background:{}\">\
         </span> info (outcome unknown) <span class=\"swatch\" style=\"background:{}\"></span> never completed; \
         partitions shaded. Hover for the operation, click for its messages. <a href=\"report.html\">report</a> · \
         <a href=\"messages.html\">message diagram</a></p><div class=\"scroll\">{svg}</div>",
        esc(title),
        fill(Some(Outcome::Ok)),
        fill(Some(Outcome::Fail)),
        fill(Some(Outcome::Info)),
        fill(None)
    );
    frame(&format!("{title} · timeline"), &body)
}
