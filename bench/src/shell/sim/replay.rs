//! The command that replays one seed: the command line that ran many seeds, with `--seed S` in
//! place of `--seeds A..B` (and `--jobs`, which only many seeds use).

use crate::output::html::shell_word;

/// How a seed is replayed: a program (as it is typed, never quoted) and its arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replay {
    /// What comes first, as typed: `cargo run --bin sim --`, or nothing when `args` starts
    /// with the program itself.
    pub prefix: String,
    /// The arguments that asked for the seeds.
    pub args: Vec<String>,
}

impl Replay {
    /// The command that replays `seed`.
    pub fn command(&self, seed: u64) -> String {
        let mut out: Vec<String> = Vec::new();
        if !self.prefix.is_empty() {
            out.push(self.prefix.clone());
        }
        let at_program = out.len();
        let mut skip = false;
        for a in &self.args {
            if skip {
                skip = false;
                continue;
            }
            if matches!(a.as_str(), "--seeds" | "--seed" | "--jobs") {
                skip = true;
                continue;
            }
            if a.starts_with("--seeds=") || a.starts_with("--seed=") || a.starts_with("--jobs=") {
                continue;
            }
            out.push(shell_word(a));
        }
        // Before a `--` (node arguments), so the flag stays a flag; the prefix's own `--` is
        // not one.
        let at = out.iter().skip(at_program).position(|a| a == "--").map_or(out.len(), |i| i + at_program);
        out.insert(at, format!("--seed {seed}"));
        out.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replay(prefix: &str, args: &[&str]) -> Replay {
        Replay { prefix: prefix.into(), args: args.iter().map(|a| (*a).to_owned()).collect() }
    }

    #[test]
    fn a_replay_command_has_seed_in_place_of_seeds() {
        let r = replay("", &["glomers-bench", "sim", "-w", "broadcast", "--seeds", "1..9", "--jobs=2"]);
        assert_eq!(r.command(4), "glomers-bench sim -w broadcast --seed 4");
        let r = replay("", &["b", "--seed", "3", "--store", "a b", "--", "x"]);
        assert_eq!(r.command(8), "b --store 'a b' --seed 8 -- x");
        let r = replay("cargo run --bin sim --", &["-w", "echo", "--seeds=1..3"]);
        assert_eq!(r.command(2), "cargo run --bin sim -- -w echo --seed 2");
    }
}
