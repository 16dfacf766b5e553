//! What a run leaves behind: its verdict, `results.json` and the console summary
//! ([`verdict`]), and the HTML report with its plots, the store's index and `serve` ([`html`]);
//! `stamp` writes the timestamps they and the store share.

pub mod html;
pub(crate) mod stamp;
pub mod verdict;
