//! The report's plots, drawn by `plotters` into SVG strings: latency of every operation over
//! time, line charts of per-second series, and a histogram. Faults are shaded on every time
//! axis: partitions in [`PARTITION_COLOUR`], killed and paused nodes in colours of their own.

use super::timeline::{Outcome, Partition, Point};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::error::Error;

/// Plot size in pixels.
const SIZE: (u32, u32) = (1200, 400);
/// At most this many points go into the latency plot; the rest are sampled away.
pub const MAX_POINTS: usize = 6000;
/// Fill of the partition shading, as written in the SVG.
pub const PARTITION_COLOUR: &str = "#F4B9B9";
const PARTITION: RGBColor = RGBColor(0xF4, 0xB9, 0xB9);
/// Shading of the time nodes are killed, and of the time they are paused.
const KILL: RGBColor = RGBColor(0xB9, 0xB9, 0xB9);
const PAUSE: RGBColor = RGBColor(0xB9, 0xCF, 0xF4);

/// The shading of a fault kind (see `timeline::Partition::kind`).
fn fault_colour(kind: &str) -> RGBColor {
    match kind {
        "kill" => KILL,
        "pause" => PAUSE,
        _ => PARTITION,
    }
}
const GRID: RGBColor = RGBColor(236, 236, 236);

/// Tableau's ten colours, one per function or message type.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0xba, 0xb0, 0xac),
];

/// The `i`th palette colour.
pub fn colour(i: usize) -> RGBColor {
    PALETTE.get(i % PALETTE.len()).copied().unwrap_or(BLACK)
}

type Res<T> = Result<T, Box<dyn Error>>;

/// A drawn plot and its legend. The legend is HTML above the plot rather than a box inside it,
/// where it would hide points.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    /// The SVG element.
    pub svg: String,
    /// One entry per series.
    pub keys: Vec<Key>,
}

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// ● (ok points).
    Dot,
    /// × (fail points).
    Cross,
    /// ▲ (info points).
    Triangle,
    /// A line.
    Line,
    /// A shaded area (partitions).
    Area,
}

/// One legend entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// What it stands for.
    pub label: String,
    /// Its colour.
    pub colour: RGBColor,
    /// Its mark.
    pub mark: Mark,
}

fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

fn partition_key(parts: &[Partition]) -> Vec<Key> {
    let labels = [("partition", "partition"), ("kill", "nodes killed"), ("pause", "nodes paused")];
    labels
        .into_iter()
        .filter(|(kind, _)| parts.iter().any(|p| p.kind == *kind))
        .map(|(kind, label)| Key { label: label.into(), colour: fault_colour(kind), mark: Mark::Area })
        .collect()
}

/// The legend as HTML.
pub fn legend(keys: &[Key]) -> String {
    if keys.is_empty() {
        return String::new();
    }
    let items: Vec<String> = keys
        .iter()
        .map(|k| {
            let c = hex(k.colour);
            let mark = match k.mark {
                Mark::Dot => format!("<b style=\"color:{c}\">●</b>"),
                Mark::Cross => format!("<b style=\"color:{c}\">×</b>"),
                Mark::Triangle => format!("<b style=\"color:{c}\">▲</b>"),
                Mark::Line => format!("<span class=\"line\" style=\"background:{c}\"></span>"),
                Mark::Area => format!("<span class=\"swatch\" style=\"background:{c}\"></span>"),
            };
            format!("<span class=\"key\">{mark} {}</span>", super::page::esc(&k.label))
        })
        .collect();
    format!("<div class=\"legend\">{}</div>", items.join(""))
}

/// The points to draw: all when few, else every fail and info (up to half the budget) and an
/// even sample of the oks. Returns them and, when sampled, the stride used for oks.
pub fn sample(points: &[Point]) -> (Vec<&Point>, Option<usize>) {
    if points.len() <= MAX_POINTS {
        return (points.iter().collect(), None);
    }
    let mut bad: Vec<&Point> = points.iter().filter(|p| p.outcome != Outcome::Ok).collect();
    bad.truncate(MAX_POINTS / 2);
    let oks = points.iter().filter(|p| p.outcome == Outcome::Ok).count();
    let stride = oks.div_ceil(MAX_POINTS - bad.len()).max(1);
    let mut out: Vec<&Point> = points.iter().filter(|p| p.outcome == Outcome::Ok).step_by(stride).collect();
    out.extend(bad);
    (out, Some(stride))
}

/// A white chart over `0..t_max` seconds with the y axis `y`, its grid and labels drawn and the
/// partitions shaded: the frame of every plot against time.
fn time_chart<'a>(
    root: &DrawingArea<SVGBackend<'a>, plotters::coord::Shift>,
    y: &YAxis,
    y_desc: &str,
    parts: &[Partition],
    t_max: f64,
) -> Res<ChartContext<'a, SVGBackend<'a>, Cartesian2d<RangedCoordf64, RangedCoordf64>>> {
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..t_max, y.lo..y.hi)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .x_labels(16)
        .y_labels(y.labels())
        .y_label_formatter(&|v| y.label(*v))
        .x_desc("time since the run began (s)")
        .y_desc(y_desc)
        .label_style(("sans-serif", 13))
        .draw()?;
    shade(&mut chart, parts, (y.lo, y.hi))?;
    Ok(chart)
}

fn shade<'a>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    parts: &[Partition],
    y: (f64, f64),
) -> Res<()> {
    if parts.is_empty() {
        return Ok(());
    }
    chart.draw_series(parts.iter().map(|p| {
        Rectangle::new([(p.start_s, y.0), (p.end_s, y.1)], fault_colour(p.kind).mix(0.5).filled())
    }))?;
    Ok(())
}

/// A y axis: linear from 0, or logarithmic, drawn as log10 of the value on a linear axis with a
/// labelled line at each power of ten (plotters' own log axis leaves values below 1 unlabelled).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YAxis {
    /// Logarithmic.
    pub log: bool,
    /// Bottom, in plotted units (log10 of the value when `log`).
    pub lo: f64,
    /// Top, in plotted units.
    pub hi: f64,
}

impl YAxis {
    /// A log axis over whole decades around the positive values, at least two decades tall.
    pub fn log(values: impl Iterator<Item = f64>) -> YAxis {
        let (lo, hi) =
            values.filter(|v| *v > 0.0).fold((f64::MAX, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if hi <= 0.0 {
            return YAxis { log: true, lo: -1.0, hi: 1.0 };
        }
        // A little headroom, so the slowest points do not sit on the frame.
        let top = (hi * 1.25).log10().ceil().max(lo.log10().floor() + 1.0);
        let bottom = lo.log10().floor().min(top - 2.0);
        YAxis { log: true, lo: bottom, hi: top }
    }

    /// A linear axis from 0 to a little above the largest value.
    pub fn linear(values: impl Iterator<Item = f64>) -> YAxis {
        YAxis { log: false, lo: 0.0, hi: values.fold(0.0f64, f64::max).max(1.0) * 1.1 }
    }

    /// Where a value is drawn (values at or below the bottom sit on it).
    pub fn at(&self, v: f64) -> f64 {
        if self.log {
            if v > 0.0 {
                v.log10().max(self.lo)
            } else {
                self.lo
            }
        } else {
            v
        }
    }

    /// How many labels to ask for: one per decade on a log axis.
    fn labels(&self) -> usize {
        if self.log {
            (self.hi - self.lo).round() as usize + 1
        } else {
            10
        }
    }

    /// A label for a plotted position.
    pub fn label(&self, y: f64) -> String {
        if !self.log {
            // Enough decimals for the axis's scale, without float noise (1.5999999998).
            let decimals = (2 - self.hi.log10().floor() as i64).clamp(0, 3) as usize;
            let t = format!("{y:.decimals$}");
            return if t.contains('.') {
                t.trim_end_matches('0').trim_end_matches('.').to_owned()
            } else {
                t
            };
        }
        let v = 10f64.powf(y);
        if y < -0.01 {
            let digits = (-y.floor()) as usize;
            format!("{v:.digits$}")
        } else {
            format!("{:.0}", v)
        }
    }
}

/// Latency of every operation (point at its invocation time), colour by function, marker by
/// outcome, log scale, partitions shaded.
pub fn latency_scatter(points: &[&Point], fs: &[String], parts: &[Partition], t_max: f64) -> Res<Plot> {
    let mut svg = String::new();
    let mut keys = partition_key(parts);
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let y = YAxis::log(points.iter().map(|p| p.latency_ms));
        let mut chart = time_chart(&root, &y, "latency (ms, log scale)", parts, t_max)?;
        for (i, f) in fs.iter().enumerate() {
            let c = colour(i);
            for outcome in [Outcome::Ok, Outcome::Fail, Outcome::Info] {
                let these: Vec<(f64, f64)> = points
                    .iter()
                    .filter(|p| &p.f == f && p.outcome == outcome)
                    .map(|p| (p.start_s, y.at(p.latency_ms)))
                    .collect();
                if these.is_empty() {
                    continue;
                }
                let label = format!("{f} {}", outcome.name());
                match outcome {
                    Outcome::Ok => {
                        chart
                            .draw_series(these.iter().map(|&xy| Circle::new(xy, 2, c.mix(0.55).filled())))?;
                    }
                    Outcome::Fail => {
                        chart.draw_series(these.iter().map(|&xy| Cross::new(xy, 4, c.stroke_width(2))))?;
                    }
                    Outcome::Info => {
                        chart.draw_series(
                            these.iter().map(|&xy| TriangleMarker::new(xy, 5, c.stroke_width(2))),
                        )?;
                    }
                }
                let mark = match outcome {
                    Outcome::Ok => Mark::Dot,
                    Outcome::Fail => Mark::Cross,
                    Outcome::Info => Mark::Triangle,
                };
                keys.push(Key { label, colour: c, mark });
            }
        }
        root.present()?;
    }
    Ok(Plot { svg, keys })
}

/// One line of a line chart.
pub struct Series {
    /// Legend text.
    pub name: String,
    /// (x, y) points.
    pub points: Vec<(f64, f64)>,
    /// Palette index.
    pub colour: usize,
}

fn draw_lines(
    svg: &mut String,
    y: YAxis,
    y_desc: &str,
    series: &[Series],
    parts: &[Partition],
    t_max: f64,
) -> Res<()> {
    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    let mut chart = time_chart(&root, &y, y_desc, parts, t_max)?;
    // Drawn last to first, so the first series (p50 of the quantiles) stays visible on top of
    // the ones it often coincides with.
    for s in series.iter().rev() {
        let c = colour(s.colour);
        // A gap of more than a second (no data) breaks the line instead of bridging it.
        let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
        for &(x, v) in &s.points {
            match pieces.last_mut() {
                Some(p) if p.last().is_some_and(|l| x - l.0 <= 1.5) => p.push((x, y.at(v))),
                _ => pieces.push(vec![(x, y.at(v))]),
            }
        }
        for piece in pieces {
            chart.draw_series(LineSeries::new(piece, c.stroke_width(2)).point_size(2))?;
        }
    }
    root.present()?;
    Ok(())
}

/// A line chart over time; `log` for a log-scale y axis.
pub fn line_chart(series: &[Series], y_desc: &str, log: bool, parts: &[Partition], t_max: f64) -> Res<Plot> {
    let mut svg = String::new();
    let ys = || series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let y = if log { YAxis::log(ys()) } else { YAxis::linear(ys()) };
    draw_lines(&mut svg, y, y_desc, series, parts, t_max)?;
    let mut keys = partition_key(parts);
    keys.extend(series.iter().map(|s| Key {
        label: s.name.clone(),
        colour: colour(s.colour),
        mark: Mark::Line,
    }));
    Ok(Plot { svg, keys })
}

/// Per-second counts as one series each (x at the middle of each second).
pub fn count_series(counts: &BTreeMap<String, Vec<u64>>) -> Vec<Series> {
    counts
        .iter()
        .enumerate()
        .map(|(i, (name, v))| Series {
            name: name.clone(),
            points: v.iter().enumerate().map(|(s, &c)| (s as f64 + 0.5, c as f64)).collect(),
            colour: i,
        })
        .collect()
}

/// A histogram of values in ms, with `bins` equal bins from 0 to the maximum.
pub fn histogram(values: &[u64], bins: usize, x_desc: &str) -> Res<Plot> {
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    let width = max.div_ceil(bins as u64).max(1);
    let mut counts = vec![0u64; bins + 1];
    for v in values {
        if let Some(c) = counts.get_mut((v / width) as usize) {
            *c += 1;
        }
    }
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.1;
    let x_max = (width * (counts.len() as u64)) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1200, 320)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..x_max, 0.0..top)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .bold_line_style(GRID)
            .x_labels(16)
            .y_labels(12)
            .x_desc(x_desc)
            .y_desc("values")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style(("sans-serif", 13))
            .draw()?;
        chart.draw_series(counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(i, &c)| {
            let x0 = (i as u64 * width) as f64;
            Rectangle::new([(x0, 0.0), (x0 + width as f64, c as f64)], colour(0).mix(0.8).filled())
        }))?;
        root.present()?;
    }
    Ok(Plot { svg, keys: Vec::new() })
}
