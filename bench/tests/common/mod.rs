//! Shared by the end-to-end tests: run `glomers-bench` with a fresh store and read the outcome.

#![allow(dead_code)] // each test binary uses its own subset

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

pub const BENCH: &str = env!("CARGO_BIN_EXE_glomers-bench");

/// The control-node binary (`bench/src/bin/glomers-control.rs`).
pub fn control() -> &'static str {
    env!("CARGO_BIN_EXE_glomers-control")
}

pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub store: PathBuf,
}

impl Outcome {
    pub fn results(&self) -> Value {
        let text = std::fs::read_to_string(self.store.join("latest/results.json")).unwrap_or_default();
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    pub fn show(&self) -> String {
        format!("exit {}\n--- stdout\n{}\n--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// Runs `glomers-bench` with `args` and a fresh store named after the test (inserted before
/// any `--`, which starts the node's own arguments).
pub fn bench(name: &str, args: &[&str]) -> Outcome {
    let store = std::env::temp_dir().join(format!("glomers-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&store);
    let split = args.iter().position(|a| *a == "--").unwrap_or(args.len());
    let (flags, node_args) = args.split_at(split);
    let out = Command::new(BENCH)
        .args(flags)
        .arg("--store")
        .arg(&store)
        .args(node_args)
        .output()
        .expect("glomers-bench runs");
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        store,
    }
}

/// `test -w WORKLOAD --bin glomers-control FLAGS -- MODE`.
pub fn test(name: &str, workload: &str, flags: &[&str], mode: &str) -> Outcome {
    let mut args = vec!["test", "-w", workload, "--bin", control()];
    args.extend_from_slice(flags);
    args.extend_from_slice(&["--", mode]);
    bench(name, &args)
}
