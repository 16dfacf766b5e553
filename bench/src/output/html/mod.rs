//! HTML reports of runs: `store/<workload>/<time>/report.html` for each run (one self-contained
//! file: inline SVG plots drawn by `plotters`, no script, no network), `store/index.html` listing
//! every run, `store/challenges.html` for `challenges`, and a small HTTP server for `store/`.
//!
//! A report is rendered from what the run left on disk (`results.json`, `history.jsonl`,
//! `net-journal.jsonl`, and `run.json`, which this module writes with the run's configuration
//! and problems), so an old run can be rendered again with `glomers-bench report DIR`.
//!
//! Layout: `data` reads a run, `timeline` derives latencies, partitions and per-second
//! series, `plots` draws them, `failures` links each problem to its operations,
//! `anomalies` tabulates kafka/txn anomalies, `history_table` the operations, `run_page`
//! assembles the page from [`page`] pieces; `journal` reads the message journal whole and
//! `diagram` draws it as `messages.html`; `bars` draws operations per process
//! (`timeline.html`, and the lin-kv failing window), `pictures` the anomalies (`kafka` the offsets of kafka's and its real-time lag); `index` lists runs and challenges; `serve`
//! serves the store.

mod anomalies;
mod bars;
mod data;
mod diagram;
mod failures;
mod history_table;
pub(crate) mod index;
mod journal;
mod kafka;
mod meta;
pub mod page;
mod pictures;
mod plots;
mod run_page;
pub(crate) mod serve;
mod timeline;

pub(crate) use data::read_history;
pub use data::{load, Messages, RunData};
pub use meta::{reproduce, shell_word, write_meta};
pub use plots::{MAX_POINTS, PARTITION_COLOUR};

use crate::output::verdict::{self, Headline};
use crate::output::FileError;
use serde_json::json;
use std::path::{Path, PathBuf};

/// The run's configuration and problems, written beside results.json.
pub const META: &str = "run.json";
/// The report's file name in a run directory.
pub const REPORT: &str = "report.html";
/// The numbers the index shows for a run, written with its report.
pub const SUMMARY: &str = "report.json";

/// The page of a loaded run (no I/O).
pub fn render(data: &RunData) -> String {
    run_page::render(data)
}

/// Renders `dir/report.html` (and `dir/report.json` for the index) from the files in `dir`.
///
/// # Errors
/// A [`FileError`] when the run's files cannot be read or the report cannot be written.
pub fn render_run(dir: &Path) -> Result<PathBuf, FileError> {
    let data = load(dir)?;
    let html = render(&data);
    let out = dir.join(REPORT);
    if let Err(cause) = std::fs::write(&out, html) {
        return Err(FileError::Write { path: out, cause });
    }
    let title = run_page::title(&data);
    let diagram = dir.join(diagram::DIAGRAM);
    if let Err(cause) = std::fs::write(&diagram, diagram::render(&data, &title)) {
        return Err(FileError::Write { path: diagram, cause });
    }
    let t_end = data.history.events.last().map_or(0.0, |e| e.time.as_secs_f64());
    let parts = timeline::partitions(&data.results, t_end);
    let tl = dir.join(bars::TIMELINE);
    if let Err(cause) = std::fs::write(&tl, bars::page(&data.history, &parts, &title)) {
        return Err(FileError::Write { path: tl, cause });
    }
    let points = timeline::points(&data.history);
    let [p50, _, p99, _] = run_page::ok_quantiles(&points);
    let headline = Headline::read(&data.results);
    let summary = json!({
        "workload": run_page::workload_name(&data),
        "verdict": verdict::word(headline.valid),
        "msgs-per-op": headline.msgs_per_op,
        "p50-ms": p50,
        "p99-ms": p99,
        "operations": points.len(),
    });
    let _ = std::fs::write(dir.join(SUMMARY), summary.to_string());
    Ok(out)
}

/// The store a run directory belongs to (`store/<workload>/<time>`).
pub fn store_of(dir: &Path) -> Option<&Path> {
    dir.parent()?.parent()
}

/// Renders a finished run and refreshes the store's index; failures are logged to stderr and
/// never reach the caller (a report never changes a verdict).
pub fn after_run(dir: &Path) {
    let start = std::time::Instant::now();
    match render_run(dir) {
        Ok(path) => {
            eprintln!("glomers-bench: report {} ({:.2} s)", path.display(), start.elapsed().as_secs_f64())
        }
        Err(e) => eprintln!("glomers-bench: no report: {e}"),
    }
    if let Some(store) = store_of(dir) {
        if let Err(e) = index::write_index(store) {
            eprintln!("glomers-bench: no index: {e}");
        }
    }
}

#[cfg(test)]
mod tests;
