//! What a run leaves behind: its verdict, `results.json` and the console summary
//! ([`verdict`]), Maelstrom's EDN files beside them ([`edn`]), and the HTML report with its
//! plots, the store's index and `serve` ([`html`]); `stamp` writes the timestamps they and the store share; [`FileError`] says which of their
//! files failed and why.

pub mod edn;
mod error;
pub mod html;
pub(crate) mod stamp;
pub mod verdict;

pub use error::FileError;
