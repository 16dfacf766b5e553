//! What every `main` of the workbench does around its command: parse the command line (help on
//! stdout, a bad flag on stderr with exit 254, as Maelstrom does, §8.2) and turn how the
//! command ended into the exit code. `glomers-bench` and a user's `glomers_bench::sim::main`
//! share it, so the two behave alike.

use crate::cli::error::{warn, BenchError};
use crate::cli::outcome::Outcome;
use crate::cli::stdout;
use clap::{Command, FromArgMatches};
use std::ffi::OsString;
use std::process::ExitCode;

/// The width help is laid out for, whatever the terminal: the help text is checked against
/// golden files (`bench/tests/golden/`).
pub const HELP_WIDTH: usize = 100;

/// Parses `args` (the program name first) with `cmd`.
///
/// # Errors
/// The exit code to end with, once help or the version was printed on stdout (0) or a bad
/// command line reported on stderr (254).
pub fn parse<T: FromArgMatches>(
    cmd: Command,
    args: impl IntoIterator<Item = OsString>,
) -> Result<T, ExitCode> {
    match cmd.try_get_matches_from(args).and_then(|m| T::from_arg_matches(&m)) {
        Ok(parsed) => Ok(parsed),
        Err(e) => {
            // Help and version go to stdout; a closed pipe there is no error.
            if !e.use_stderr() {
                stdout::print(&e.render().to_string());
                return Err(ExitCode::SUCCESS);
            }
            let _ = e.print();
            // Maelstrom exits 254 on bad arguments (§8.2), not clap's 2.
            Err(ExitCode::from(Outcome::BadArgs.exit_code()))
        }
    }
}

/// The exit code of a command that ended this way; an error is reported on stderr first.
pub fn exit(ended: Result<Outcome, BenchError>) -> ExitCode {
    match ended {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(e) => {
            warn(&e);
            ExitCode::from(e.exit_code())
        }
    }
}

/// The command line, each word as text (one that is not UTF-8 is read lossily: it only ends up
/// in replay commands and error messages).
pub fn argv() -> Vec<String> {
    std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect()
}
