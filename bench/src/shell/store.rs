//! The results directory (docs/protocol.md §8.1): `store/<workload>/<timestamp>/` with
//! `node-logs/`, and `store/latest` pointing at the newest run.

use crate::output::stamp::timestamp;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Creates a fresh run directory (with `node-logs/`) under `root/<workload>/`.
///
/// # Errors
/// A message if the directory cannot be created.
pub fn create_run_dir(root: &Path, workload: &str) -> Result<PathBuf, String> {
    let base = root.join(workload);
    let stamp = timestamp(SystemTime::now());
    let mut dir = base.join(&stamp);
    let mut k = 1;
    while dir.exists() {
        dir = base.join(format!("{stamp}-{k}"));
        k += 1;
    }
    std::fs::create_dir_all(dir.join("node-logs"))
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Points `root/latest` at `dir` (a relative symlink; a file naming it where links fail).
pub fn mark_latest(root: &Path, dir: &Path) {
    let latest = root.join("latest");
    let _ = std::fs::remove_file(&latest);
    let target = dir.strip_prefix(root).unwrap_or(dir);
    if std::os::unix::fs::symlink(target, &latest).is_err() {
        let _ = std::fs::write(&latest, format!("{}\n", dir.display()));
    }
}
