//! The results directory (docs/protocol.md §8.1): `store/<workload>/<timestamp>/` with
//! `node-logs/`, and `store/latest` and `store/current` pointing at the newest run.

use crate::output::stamp::timestamp;
use crate::output::FileError;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Creates a fresh run directory (with `node-logs/`) under `root/<workload>/`.
///
/// # Errors
/// [`FileError::Create`] if the directory cannot be created.
pub fn create_run_dir(root: &Path, workload: &str) -> Result<PathBuf, FileError> {
    let base = root.join(workload);
    let stamp = timestamp(SystemTime::now());
    let mut dir = base.join(&stamp);
    let mut k = 1;
    while dir.exists() {
        dir = base.join(format!("{stamp}-{k}"));
        k += 1;
    }
    match std::fs::create_dir_all(dir.join("node-logs")) {
        Ok(()) => Ok(dir),
        Err(cause) => Err(FileError::Create { path: dir, cause }),
    }
}

/// The links a store keeps to its newest run: `latest` (ours and Maelstrom's) and `current`
/// (Maelstrom's name for the run under way, or the last one).
pub const LINKS: [&str; 2] = ["latest", "current"];

/// Points each of [`LINKS`] in `root` at `dir` (relative symlinks; a file naming it where
/// links fail).
pub fn mark_latest(root: &Path, dir: &Path) {
    let target = dir.strip_prefix(root).unwrap_or(dir);
    for name in LINKS {
        let link = root.join(name);
        let _ = std::fs::remove_file(&link);
        if std::os::unix::fs::symlink(target, &link).is_err() {
            let _ = std::fs::write(&link, format!("{}\n", dir.display()));
        }
    }
}
