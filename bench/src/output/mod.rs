//! What a run leaves behind: `results.json` ([`results`]), the console summary ([`report`]), and
//! the HTML report with its plots, the store's index and `serve` ([`html`]).

pub mod html;
pub mod report;
pub mod results;
