//! `challenge --maelstrom PATH`: the real Maelstrom is not on this machine, so a stand-in
//! script checks the command line it is given and leaves a `results.edn` where Maelstrom would.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

const BENCH: &str = env!("CARGO_BIN_EXE_glomers-bench");

/// A temporary directory holding a stand-in `maelstrom` that expects `want_args` (a grep
/// pattern on its whole command line) and writes `edn` as its results.
fn stand_in(name: &str, want_args: &str, edn: &str, exit: i32) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("glomers-maelstrom-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = format!(
        "#!/usr/bin/env bash\n\
         echo \"$*\" | grep -q -- '{want_args}' || {{ echo \"unexpected arguments: $*\" >&2; exit 254; }}\n\
         mkdir -p store/run && ln -sfn run store/latest\n\
         cat > store/run/results.edn <<'EDN'\n{edn}\nEDN\n\
         exit {exit}\n"
    );
    let path = dir.join("maelstrom");
    std::fs::write(&path, script).expect("script written");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("executable");
    dir
}

fn challenge(dir: &PathBuf, id: &str) -> (i32, String) {
    let out = Command::new(BENCH)
        .args(["challenge", id, "--bin", "/bin/true", "--maelstrom"])
        .arg(dir.join("maelstrom"))
        .current_dir(dir)
        .output()
        .expect("glomers-bench runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn a_valid_maelstrom_run_is_summarised_and_judged_against_the_targets() {
    let edn = "{:net {:servers {:send-count 7940, :msgs-per-op 3.97} :clients {:send-count 4060}}\n\
               :availability {:valid? true, :ok-fraction 1.0}\n\
               :workload {:valid? true, :stable-latencies {0 0, 0.5 352, 0.95 574, 0.99 591, 1 602}}\n\
               :valid? true}";
    let dir = stand_in("3d", "test -w broadcast --bin /bin/true --node-count 25 .*--latency 100", edn, 0);
    let (code, text) = challenge(&dir, "3d");
    assert!(text.contains("msgs-per-op (servers): 3.97"), "{text}");
    assert!(text.contains("stable latency p50/p99/max: 352/591/602 ms"), "{text}");
    assert!(text.contains("maximum stable latency 602 ms (target < 600 ms; p99 591 ms): MISSED"), "{text}");
    assert_eq!(code, 1, "a missed target fails the challenge: {text}");
}

#[test]
fn an_invalid_maelstrom_run_says_which_section_failed() {
    let edn = "{:workload {:valid? false, :lost-count 2} :net {:servers {:msgs-per-op 1.5}} :valid? false}";
    let dir = stand_in("1", "test -w echo --bin /bin/true --node-count 1 --time-limit 10", edn, 1);
    let (code, text) = challenge(&dir, "1");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("Maelstrom's `workload` section is not valid"), "{text}");
}
