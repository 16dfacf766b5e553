//! Logging to stderr, the only place logs may go (stdout is the wire).
//!
//! The level comes from `GLOMERS_LOG` (`error`, `info` (default), `debug`); every line starts
//! with this node's id once `init` has named it.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

/// How much to log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Failures only.
    Error = 0,
    /// Lifecycle events and failures.
    Info = 1,
    /// Everything, per message too.
    Debug = 2,
}

static LEVEL: AtomicU8 = AtomicU8::new(u8::MAX);
static NODE: OnceLock<String> = OnceLock::new();

/// The current level, read from `GLOMERS_LOG` the first time.
pub fn level() -> Level {
    let raw = LEVEL.load(Ordering::Relaxed);
    let level = if raw == u8::MAX {
        let level = match std::env::var("GLOMERS_LOG").as_deref() {
            Ok("error") => Level::Error,
            Ok("debug") => Level::Debug,
            _ => Level::Info,
        };
        LEVEL.store(level as u8, Ordering::Relaxed);
        level
    } else {
        match raw {
            0 => Level::Error,
            1 => Level::Info,
            _ => Level::Debug,
        }
    };
    level
}

/// Whether lines at `at` are written.
pub fn enabled(at: Level) -> bool {
    at <= level()
}

/// Names this node in every later line.
pub fn set_node(id: &str) {
    let _ = NODE.set(id.to_string());
}

/// Writes one line at `at`, if enabled.
pub fn write(at: Level, args: std::fmt::Arguments<'_>) {
    if !enabled(at) {
        return;
    }
    let node = NODE.get().map_or("-", String::as_str);
    let tag = match at {
        Level::Error => "error",
        Level::Info => "info",
        Level::Debug => "debug",
    };
    // A closed stderr must not take the node down; the line is lost, nothing else.
    let _ = writeln!(std::io::stderr().lock(), "{node} {tag}: {args}");
}

/// Logs at error level.
#[macro_export]
macro_rules! log_error { ($($t:tt)*) => { $crate::log::write($crate::log::Level::Error, format_args!($($t)*)) } }
/// Logs at info level.
#[macro_export]
macro_rules! log_info { ($($t:tt)*) => { $crate::log::write($crate::log::Level::Info, format_args!($($t)*)) } }
/// Logs at debug level; the arguments are not formatted when debug is off.
#[macro_export]
macro_rules! log_debug { ($($t:tt)*) => { if $crate::log::enabled($crate::log::Level::Debug) { $crate::log::write($crate::log::Level::Debug, format_args!($($t)*)) } } }
