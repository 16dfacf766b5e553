//! Settings from the process environment, read once, in a binary's `main`, before anything
//! runs: the engine's own ([`crate::Config::from_env`]) and a node's (its binary passes them to
//! [`crate::run_factory`] as values). A variable that is set but malformed is an error naming
//! it, never a silent default; node code itself reads no environment, so a simulator that builds
//! nodes with explicit settings replays exactly.

use std::fmt;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

/// An environment variable that is set but cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingError {
    /// The variable.
    pub name: String,
    /// What it holds (lossily decoded if it is not UTF-8).
    pub value: String,
    /// What it should hold.
    pub expected: &'static str,
}

impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={:?} is not valid: expected {}", self.name, self.value, self.expected)
    }
}

impl std::error::Error for SettingError {}

impl SettingError {
    /// Logs this error on stderr and returns the code a binary exits with when its settings
    /// are malformed (2, as for a usage error): nothing was run.
    pub fn report(&self) -> ExitCode {
        crate::log_error!("{self}; not starting");
        ExitCode::from(2)
    }
}

/// Reads variable `name`: `None` when unset, the parsed value when it parses as `T`.
///
/// # Errors
/// When it is set to something that does not parse as `T` (described by `expected`).
pub fn var<T: FromStr>(name: &str, expected: &'static str) -> Result<Option<T>, SettingError> {
    let Some(raw) = std::env::var_os(name) else { return Ok(None) };
    let bad = |value: String| SettingError { name: name.to_owned(), value, expected };
    let text = raw.into_string().map_err(|raw| bad(raw.to_string_lossy().into_owned()))?;
    text.trim().parse().map(Some).map_err(|_| bad(text))
}

/// Reads variable `name` as a whole number of milliseconds.
///
/// # Errors
/// When it is set to anything else.
pub fn millis(name: &str) -> Result<Option<Duration>, SettingError> {
    Ok(var::<u64>(name, "a whole number of milliseconds")?.map(Duration::from_millis))
}

/// A number for this start of the process, different at every start with overwhelming
/// probability (64 bits from the operating system's randomness, through std's hasher keys):
/// what a node that must tell its restarts apart without storage (unique ids, docs/protocol.md
/// §5.3) takes in `main`. A simulator passes its own, drawn from the run's seed, instead.
pub fn boot_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_is_none_a_number_parses_and_anything_else_names_the_variable() {
        // Names unique to this test: the environment is shared by every test thread.
        std::env::set_var("GLOMERS_TEST_SETTING_OK", " 250 ");
        std::env::set_var("GLOMERS_TEST_SETTING_BAD", "25O");
        assert_eq!(millis("GLOMERS_TEST_SETTING_UNSET"), Ok(None));
        assert_eq!(millis("GLOMERS_TEST_SETTING_OK"), Ok(Some(Duration::from_millis(250))));
        let error = millis("GLOMERS_TEST_SETTING_BAD").unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"GLOMERS_TEST_SETTING_BAD="25O" is not valid: expected a whole number of milliseconds"#
        );
    }
}
