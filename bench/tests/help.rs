//! Golden tests of the help text of every subcommand: `golden/<name>.txt` holds what
//! `glomers-bench <subcommand> --help` prints, so any change to a flag shows up in review.
//!
//! After a deliberate change, regenerate the files and read the diff:
//! `GOLDEN_UPDATE=1 cargo test -p glomers-bench --test help`.
//! The binary lays help out for a fixed width, so the files do not depend on the terminal;
//! this test runs it with an odd `COLUMNS` to make sure.

use std::path::PathBuf;
use std::process::Command;

const BENCH: &str = env!("CARGO_BIN_EXE_glomers-bench");

/// Each golden file and the arguments that print it.
const CASES: [(&str, &[&str]); 9] = [
    ("glomers-bench", &["--help"]),
    ("test", &["test", "--help"]),
    ("sim", &["sim", "--help"]),
    ("challenge", &["challenge", "--help"]),
    ("challenges", &["challenges", "--help"]),
    ("flood", &["flood", "--help"]),
    ("report", &["report", "--help"]),
    ("check", &["check", "--help"]),
    ("serve", &["serve", "--help"]),
];

#[test]
fn the_help_of_every_subcommand_matches_its_golden_file() {
    let update = std::env::var_os("GOLDEN_UPDATE").is_some_and(|v| v == "1");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut stale = Vec::new();
    for (name, args) in CASES {
        let out = Command::new(BENCH).args(args).env("COLUMNS", "37").output().expect("glomers-bench runs");
        assert_eq!(out.status.code(), Some(0), "{args:?} exits 0");
        let got = String::from_utf8(out.stdout).expect("help is UTF-8");
        let path = dir.join(format!("{name}.txt"));
        if update {
            std::fs::write(&path, &got).expect("golden file written");
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if got != want {
            eprintln!(
                "--- {} (golden)\n{want}\n--- glomers-bench {} (now)\n{got}",
                path.display(),
                args.join(" ")
            );
            stale.push(name);
        }
    }
    assert!(stale.is_empty(), "help differs from golden files {stale:?}; if intended: GOLDEN_UPDATE=1");
}
