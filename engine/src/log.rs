//! Logging to stderr, the only place logs may go (stdout is the wire).
//!
//! The level comes from `GLOMERS_LOG` (`error`, `info` (default), `debug`); every line starts
//! with this node's id once `init` has named it.
//!
//! A simulator running many nodes in one thread [`capture`]s each node's lines into a buffer
//! of its own instead, so they can go to that node's log file as they would from a process.

use std::cell::RefCell;
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

thread_local! {
    /// Where this thread's lines go instead of stderr, and the node they are from.
    static CAPTURE: RefCell<Option<(String, Vec<u8>)>> = const { RefCell::new(None) };
}

/// Runs `f` with every line this thread logs appended to `buf`, under the name `node`
/// (lines as on stderr, one per line). Captures nest: the outer one resumes afterwards.
pub fn capture<R>(node: &str, buf: &mut Vec<u8>, f: impl FnOnce() -> R) -> R {
    let outer = CAPTURE.with(|c| c.replace(Some((node.to_owned(), std::mem::take(buf)))));
    let result = f();
    if let Some((_, lines)) = CAPTURE.with(|c| c.replace(outer)) {
        *buf = lines;
    }
    result
}

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

/// Names this node in every later line: the lines this thread captures, while it captures
/// (a simulator's node), or else every line of the process.
pub fn set_node(id: &str) {
    let captured = CAPTURE.with(|c| match c.borrow_mut().as_mut() {
        Some((node, _)) => {
            id.clone_into(node);
            true
        }
        None => false,
    });
    if !captured {
        let _ = NODE.set(id.to_string());
    }
}

/// Writes one line at `at`, if enabled.
pub fn write(at: Level, args: std::fmt::Arguments<'_>) {
    if !enabled(at) {
        return;
    }
    let tag = match at {
        Level::Error => "error",
        Level::Info => "info",
        Level::Debug => "debug",
    };
    let captured = CAPTURE.with(|c| match c.borrow_mut().as_mut() {
        Some((node, buf)) => {
            let _ = writeln!(buf, "{node} {tag}: {args}");
            true
        }
        None => false,
    });
    if captured {
        return;
    }
    let node = NODE.get().map_or("-", String::as_str);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_lines_go_to_their_buffer_and_nest() {
        let (mut outer, mut inner) = (Vec::new(), Vec::new());
        capture("n1", &mut outer, || {
            write(Level::Error, format_args!("one"));
            capture("n2", &mut inner, || write(Level::Error, format_args!("two")));
            write(Level::Error, format_args!("three"));
        });
        assert_eq!(String::from_utf8_lossy(&outer), "n1 error: one\nn1 error: three\n");
        assert_eq!(String::from_utf8_lossy(&inner), "n2 error: two\n");
        let mut named = Vec::new();
        capture("-", &mut named, || {
            write(Level::Error, format_args!("before"));
            set_node("n3");
            write(Level::Error, format_args!("after"));
        });
        assert_eq!(String::from_utf8_lossy(&named), "- error: before\nn3 error: after\n");
    }
}
