//! The binaries read their settings from the environment in `main`: a malformed one stops the
//! node before it reads a line, with a message naming the variable and exit code 2; a good one
//! is used.

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `bin` with `env`, feeding it `input`; returns its exit code, stdout and stderr.
fn run(bin: &str, env: &[(&str, &str)], input: &str) -> (Option<i32>, String, String) {
    let mut child = Command::new(bin)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stdin = child.stdin.take().expect("piped stdin");
    // A node that refuses to start may have closed its stdin already.
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    let out = child.wait_with_output().expect("the binary exits");
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (out.status.code(), text(out.stdout), text(out.stderr))
}

const INIT: &str =
    "{\"src\":\"c0\",\"dest\":\"n1\",\"body\":{\"type\":\"init\",\"msg_id\":1,\"node_id\":\"n1\",\"node_ids\":[\"n1\"]}}\n";

#[test]
fn a_malformed_setting_stops_the_binary_with_a_message_naming_it() {
    let cases = [
        (env!("CARGO_BIN_EXE_echo"), "GLOMERS_WORKERS", "0"),
        (env!("CARGO_BIN_EXE_echo"), "GLOMERS_MAX_LINE", "4M"),
        (env!("CARGO_BIN_EXE_broadcast"), "GLOMERS_BROADCAST_BATCH_MS", "fast"),
        (env!("CARGO_BIN_EXE_broadcast"), "GLOMERS_BROADCAST_REPLY", "soon"),
        (env!("CARGO_BIN_EXE_txn"), "GLOMERS_TXN_RETRY_MS", "-5"),
        (env!("CARGO_BIN_EXE_g-set"), "GLOMERS_G_SET_RETRY_MS", "1s"),
        (env!("CARGO_BIN_EXE_pn-counter"), "GLOMERS_PN_COUNTER_BATCH_MS", "x"),
        (env!("CARGO_BIN_EXE_kafka"), "GLOMERS_KAFKA_ACK_MS", "1.5"),
        (env!("CARGO_BIN_EXE_kafka"), "GLOMERS_KAFKA_DESIGN", "lin_kv"),
    ];
    for (bin, name, value) in cases {
        let (code, stdout, stderr) = run(bin, &[(name, value)], INIT);
        assert_eq!(code, Some(2), "{name}={value}: {stderr}");
        assert_eq!(stdout, "", "{name}={value}: nothing runs");
        assert!(stderr.contains(&format!("{name}=\"{value}\" is not valid")), "{name}: {stderr}");
    }
}

#[test]
fn good_settings_are_taken() {
    let env =
        [("GLOMERS_WORKERS", "1"), ("GLOMERS_BROADCAST_BATCH_MS", "5"), ("GLOMERS_BROADCAST_ACK_MS", "")];
    let (code, _, stderr) = run(env!("CARGO_BIN_EXE_broadcast"), &env[..2], INIT);
    assert_eq!(code, Some(0), "{stderr}");
    // An empty value is set, so it is malformed too: never silently the default.
    let (code, _, _) = run(env!("CARGO_BIN_EXE_broadcast"), &env, INIT);
    assert_eq!(code, Some(2));
    let (code, stdout, stderr) =
        run(env!("CARGO_BIN_EXE_kafka"), &[("GLOMERS_KAFKA_DESIGN", "lin-kv")], INIT);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("init_ok"), "{stdout}");
}
