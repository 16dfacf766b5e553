//! `src/bin/sim.rs`, the one-line `main`: `glomers-bench sim`'s command line with this crate's
//! node, its help, its exit codes and its replay commands.

use std::process::{Command, Output};

const SIM: &str = env!("CARGO_BIN_EXE_sim");

fn sim(args: &str) -> Output {
    let store = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("gossip-broadcast-store");
    Command::new(SIM)
        .args(args.split_whitespace())
        .arg("--store")
        .arg(store)
        .output()
        .expect("the sim binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_lists_sims_flags_and_only_this_node() {
    let o = Command::new(SIM).arg("--help").output().expect("the sim binary runs");
    let help = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{help}");
    assert!(help.contains("against Gossip in-process, under virtual time"), "{help}");
    assert!(help.contains("Usage: sim [OPTIONS]"), "{help}");
    for flag in ["--workload", "--seeds <A..B>", "--challenge <ID>", "--duplicate <P>", "--clock-skew <PPM>"]
    {
        assert!(help.contains(flag), "{flag}: {help}");
    }
    assert!(help.contains("[possible values: Gossip]"), "{help}");
}

#[test]
fn bad_flags_exit_254() {
    for (args, want) in [
        ("-w broadcast --time-limt 1", "a similar argument exists: '--time-limit'"),
        ("-w broadcast --impl broadcast", "invalid value 'broadcast' for '--impl <NAME>'"),
        ("-w broadcast --seeds 5..1", "the first seed is above the last"),
        ("--node-count 3", "required arguments were not provided"),
    ] {
        let o = sim(args);
        assert_eq!(o.status.code(), Some(254), "{args}: {}", text(&o.stderr));
        assert!(text(&o.stderr).contains(want), "{args}: {}", text(&o.stderr));
    }
}

#[test]
fn seeds_print_the_table_and_one_seed_writes_a_results_directory() {
    let o = sim("-w broadcast --node-count 3 --time-limit 3 --rate 20 --seeds 1..5");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("seeds run: 5, valid: 5, not valid: 0, crashed: 0"),
        "{}",
        text(&o.stdout)
    );
    let o = sim("-w broadcast --node-count 3 --time-limit 3 --rate 20 --seed 7");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("broadcast on 3 node(s): verdict: valid"), "{}", text(&o.stdout));
}

#[test]
fn a_failing_seed_prints_the_command_that_replays_it() {
    // One hop of 20 s outlasts the 10 s of recovery: a value gossiped late misses a final read.
    let o = sim("-w broadcast --node-count 3 --time-limit 2 --latency 20000 --seeds 1..3");
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("  seed 1: INVALID: value 1, acknowledged by n0"), "{out}");
    assert!(out.contains("/sim -w broadcast --node-count 3 --time-limit 2 --latency 20000 --store"), "{out}");
    assert!(out.contains("gossip-broadcast-store --seed 1\n"), "{out}");
}
