//! The `glomers-control` binary's arguments: a missing or unknown mode is refused with exit
//! 254 and the list of valid modes, and a known one runs.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const CONTROL: &str = env!("CARGO_BIN_EXE_glomers-control");

/// Runs the binary with `args`, feeding it `input`.
fn control(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(CONTROL)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("glomers-control starts");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).expect("stdin takes the input");
    }
    child.wait_with_output().expect("glomers-control ends")
}

#[test]
fn an_unknown_mode_is_refused_with_the_valid_modes() {
    for args in [&["echo-wrnog"][..], &[], &["echo", "extra"]] {
        let o = control(args, "");
        assert_eq!(o.status.code(), Some(254), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}: nothing on the wire");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.starts_with("glomers-control: "), "{args:?}: {err}");
        assert!(
            err.contains("echo, echo-wrong, echo-extra, echo-late, junk, exit-early, silent, pingpong,"),
            "{err}"
        );
        assert!(err.contains("txn, txn-dirty, txn-intermediate, txn-g0"), "{err}");
    }
    let o = control(&["echo-wrnog"], "");
    assert!(String::from_utf8_lossy(&o.stderr).contains(r#"unknown control mode "echo-wrnog""#));
}

#[test]
fn a_known_mode_runs_on_the_engine_and_a_breach_through_its_shim() {
    let init =
        r#"{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0"]}}"#;
    let echo = r#"{"src":"c1","dest":"n0","body":{"type":"echo","msg_id":2,"echo":"hi"}}"#;
    let input = format!("{init}\n{echo}\n");
    let o = control(&["echo-wrong"], &input);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains(r#""echo":"something else""#), "{out}");
    let o = control(&["exit-early"], &input);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 1, "init_ok only");
}
