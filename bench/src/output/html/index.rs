//! `store/index.html`, every run newest first, and `store/challenges.html`, the challenge table
//! with links to each challenge's last run.

use super::page::{esc, frame};
use crate::output::verdict::{self, Headline};
use crate::output::FileError;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One run as the index shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    /// Workload directory name.
    pub workload: String,
    /// Run directory name (its UTC start time).
    pub time: String,
    /// valid, INVALID or unknown.
    pub verdict: String,
    /// Server msgs-per-op.
    pub msgs_per_op: Option<f64>,
    /// Ok-latency p50 and p99 in ms, when a report was rendered.
    pub p50_p99: Option<(f64, f64)>,
    /// Whether `report.html` exists.
    pub has_report: bool,
}

fn read(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

fn dirs(p: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(p)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

/// Every run under `store` that has a results.json, newest first.
pub fn runs(store: &Path) -> Vec<RunRow> {
    let mut rows = Vec::new();
    for wdir in dirs(store) {
        for rdir in dirs(&wdir) {
            let Some(results) = read(&rdir.join("results.json")) else { continue };
            let headline = Headline::read(&results);
            let summary = read(&rdir.join(super::SUMMARY)).unwrap_or(Value::Null);
            let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            rows.push(RunRow {
                workload: name(&wdir),
                time: name(&rdir),
                verdict: verdict::word(headline.valid).to_owned(),
                msgs_per_op: headline.msgs_per_op,
                p50_p99: summary["p50-ms"].as_f64().zip(summary["p99-ms"].as_f64()),
                has_report: rdir.join(super::REPORT).exists(),
            });
        }
    }
    rows.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| a.workload.cmp(&b.workload)));
    rows
}

fn verdict_cell(v: &str) -> String {
    let class = match v {
        "valid" => "ok",
        "INVALID" => "fail",
        _ => "info",
    };
    format!("<td class=\"{class}\"><b>{}</b></td>", esc(v))
}

/// A time stamp like `20261125T062435.123` as `2026-11-25 06:24:35 UTC`.
pub fn pretty_time(stamp: &str) -> String {
    let d = |r: std::ops::Range<usize>| stamp.get(r).unwrap_or("");
    if stamp.len() < 15 || d(8..9) != "T" {
        return stamp.to_owned();
    }
    format!("{}-{}-{} {}:{}:{} UTC", d(0..4), d(4..6), d(6..8), d(9..11), d(11..13), d(13..15))
}

/// The index page; `challenges` when the store has a challenges.html to link to.
pub fn index_page(rows: &[RunRow], challenges: bool) -> String {
    let mut s = String::from("<h1>glomers-bench runs</h1>\n");
    let _ = writeln!(
        s,
        "<p class=\"note\">{} runs, newest first; p50 and p99 are latencies of ok operations. {}\
         <a href=\"latest/\">latest run's files</a></p>",
        rows.len(),
        if challenges { "<a href=\"challenges.html\">challenges</a> · " } else { "" }
    );
    s.push_str(
        "<table><tr><th>workload</th><th>time</th><th>verdict</th><th class=\"num\">msgs-per-op</th>\
         <th class=\"num\">p50</th><th class=\"num\">p99</th><th>report</th></tr>\n",
    );
    for r in rows {
        let (p50, p99) =
            r.p50_p99.map_or(("-".into(), "-".into()), |(a, b)| (format!("{a:.1} ms"), format!("{b:.1} ms")));
        let path = format!("{}/{}/", r.workload, r.time);
        let link = if r.has_report {
            format!("<a href=\"{}report.html\">report</a>", esc(&path))
        } else {
            format!("<a href=\"{}\">files</a>", esc(&path))
        };
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td>{}<td class=\"num\">{}</td><td class=\"num\">{p50}</td>\
             <td class=\"num\">{p99}</td><td>{link}</td></tr>",
            esc(&r.workload),
            esc(&pretty_time(&r.time)),
            verdict_cell(&r.verdict),
            r.msgs_per_op.map_or("n/a".into(), |m| format!("{m:.2}")),
        );
    }
    s.push_str("</table>\n");
    frame("glomers-bench runs", &s)
}

/// Writes `store/index.html`.
///
/// # Errors
/// [`FileError::Write`] when it cannot be written.
pub fn write_index(store: &Path) -> Result<PathBuf, FileError> {
    let path = store.join("index.html");
    match std::fs::write(&path, index_page(&runs(store), store.join("challenges.html").is_file())) {
        Ok(()) => Ok(path),
        Err(cause) => Err(FileError::Write { path, cause }),
    }
}

/// One row of the challenge table.
#[derive(Debug, Clone, PartialEq)]
pub struct ChallengeRow {
    /// The heading of the row's section (`Gossip Glomers`, `Maelstrom guide`).
    pub section: &'static str,
    /// Challenge id (`3b`, or a guide workload's name).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Verdict or why there is none.
    pub verdict: String,
    /// Server msgs-per-op.
    pub msgs_per_op: String,
    /// Stable latency p50/p99/max.
    pub latency: String,
    /// Availability.
    pub availability: String,
    /// Wall time.
    pub wall: String,
    /// Targets missed, or the crash message.
    pub notes: Vec<String>,
    /// The last run's directory, if it ran.
    pub run: Option<PathBuf>,
}

/// The challenges page; links are made relative to `store`.
pub fn challenges_page(store: &Path, rows: &[ChallengeRow]) -> String {
    let mut s = format!(
        "<h1>Gossip Glomers challenges and Maelstrom's guide</h1>\n<p class=\"note\">Written {}. <a href=\"index.html\">all runs</a></p>\n",
        pretty_time(&crate::output::stamp::timestamp(std::time::SystemTime::now()))
    );
    s.push_str(
        "<table><tr><th>id</th><th>challenge</th><th>verdict</th><th class=\"num\">msgs-per-op</th>\
         <th class=\"num\">stable latency p50/p99/max</th><th class=\"num\">availability</th><th class=\"num\">wall</th>\
         <th>report</th><th>notes</th></tr>\n",
    );
    let mut section = None;
    for r in rows {
        if section != Some(r.section) {
            let _ = writeln!(s, "<tr><th colspan=\"9\">{}</th></tr>", esc(r.section));
            section = Some(r.section);
        }
        let link = r
            .run
            .as_ref()
            .map(|d| {
                let rel = d.strip_prefix(store).unwrap_or(d).to_string_lossy().into_owned();
                format!("<a href=\"{}/report.html\">report</a>", esc(&rel))
            })
            .unwrap_or_default();
        let class = match r.verdict.as_str() {
            "valid" => "ok",
            "INVALID" | "crashed" => "fail",
            "unknown" => "info",
            _ => "note",
        };
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td class=\"{class}\"><b>{}</b></td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{link}</td><td>{}</td></tr>",
            esc(&r.id),
            esc(&r.name),
            esc(&r.verdict),
            esc(&r.msgs_per_op),
            esc(&r.latency),
            esc(&r.availability),
            esc(&r.wall),
            r.notes.iter().map(|n| esc(n)).collect::<Vec<_>>().join("<br>")
        );
    }
    s.push_str("</table>\n");
    frame("Gossip Glomers challenges", &s)
}
