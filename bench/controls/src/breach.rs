//! The controls that break the protocol itself, which no engine node can do: junk on stdout,
//! exiting at the first echo, never answering `init`. Each is a correct echo behind a [`Shim`]
//! that decides, per input line, whether the echo sees it (`Breach::step`). The same shim is
//! the simulator's driver and, behind a plain stdin loop ([`Breach::run`]), the process.

use crate::echo::Echo;
use crate::registry::Factory;
use crate::Correct;
use glomers_engine::driver::{Clock, Driver, LineDriver};
use serde::Deserialize;
use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The line [`Breach::Junk`] writes to stdout before each `echo_ok`.
pub const JUNK: &[u8] = b"debug: got an echo request";

/// The exit status of [`Breach::ExitEarly`].
pub const EXIT_STATUS: u8 = 3;

/// A way to break the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Breach {
    /// Writes [`JUNK`], which is not a message, before each `echo_ok` (docs/protocol.md §2.1:
    /// stdout carries only messages).
    Junk,
    /// Exits with status [`EXIT_STATUS`] at its first echo.
    ExitEarly,
    /// Never answers `init` (docs/protocol.md §2.3).
    Silent,
}

/// What the shim does with one input line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// Hand it to the echo.
    Pass,
    /// Write [`JUNK`], then hand it to the echo.
    JunkFirst,
    /// Drop it.
    Ignore,
    /// Exit (in the simulator: go quiet for good).
    Exit,
}

/// Just enough of a message to read its type.
#[derive(Deserialize)]
struct Peek {
    body: PeekBody,
}

/// See [`Peek`].
#[derive(Deserialize)]
struct PeekBody {
    #[serde(rename = "type")]
    kind: String,
}

impl Breach {
    /// The decision for a message of type `kind` (`None`: not a readable message).
    fn step(self, kind: Option<&str>) -> Step {
        match (self, kind) {
            (Breach::Junk, Some("echo")) => Step::JunkFirst,
            (Breach::ExitEarly, Some("echo")) => Step::Exit,
            (Breach::Silent, Some("init")) => Step::Ignore,
            _ => Step::Pass,
        }
    }

    /// The factory of this breach's simulator driver.
    pub fn factory(self) -> Factory {
        match self {
            Breach::Junk => |clock| Box::new(Shim::new(Breach::Junk, clock)),
            Breach::ExitEarly => |clock| Box::new(Shim::new(Breach::ExitEarly, clock)),
            Breach::Silent => |clock| Box::new(Shim::new(Breach::Silent, clock)),
        }
    }

    /// Runs the shim on stdin/stdout until stdin ends, or it exits on purpose. The echo behind
    /// it has no ticks or calls, so nothing happens between lines.
    pub fn run(self) -> ExitCode {
        let mut shim = Shim::new(self, Clock::default());
        let start = Instant::now();
        let mut stdout = std::io::stdout().lock();
        let mut lines = Vec::new();
        for line in std::io::stdin().lock().split(b'\n') {
            let Ok(line) = line else { break };
            shim.on_line(start.elapsed(), &line, &mut lines);
            for l in lines.drain(..) {
                let _ = stdout.write_all(&l).and_then(|()| stdout.write_all(b"\n"));
            }
            let _ = stdout.flush();
            let _ = std::io::stderr().write_all(&shim.take_log());
            if shim.exited {
                return ExitCode::from(EXIT_STATUS);
            }
        }
        ExitCode::SUCCESS
    }
}

/// A correct echo behind a [`Breach`].
pub struct Shim {
    breach: Breach,
    echo: LineDriver<Echo<Correct>>,
    /// Set once the shim has exited; it then reads and writes nothing.
    exited: bool,
    log: Vec<u8>,
}

impl Shim {
    /// An uninitialised shim whose echo's timers follow `clock`.
    pub fn new(breach: Breach, clock: Clock) -> Self {
        Shim { breach, echo: LineDriver::with_clock(clock), exited: false, log: Vec::new() }
    }
}

impl Driver for Shim {
    fn on_line(&mut self, now: Duration, line: &[u8], out: &mut Vec<Vec<u8>>) {
        if self.exited {
            return;
        }
        let peek = serde_json::from_slice::<Peek>(line).ok();
        match self.breach.step(peek.as_ref().map(|p| p.body.kind.as_str())) {
            Step::Pass => self.echo.on_line(now, line, out),
            Step::JunkFirst => {
                out.push(JUNK.to_vec());
                self.echo.on_line(now, line, out);
            }
            Step::Ignore => self.log.extend_from_slice(b"glomers-control: ignoring init on purpose\n"),
            Step::Exit => {
                self.log.extend_from_slice(b"glomers-control: exiting early on purpose\n");
                self.exited = true;
            }
        }
    }

    fn next_deadline(&self) -> Option<Duration> {
        if self.exited {
            return None;
        }
        self.echo.next_deadline()
    }

    fn advance(&mut self, now: Duration, out: &mut Vec<Vec<u8>>) {
        if !self.exited {
            self.echo.advance(now, out);
        }
    }

    fn take_log(&mut self) -> Vec<u8> {
        let mut log = std::mem::take(&mut self.log);
        log.extend(self.echo.take_log());
        log
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::Probe;
    use crate::Control;
    use serde_json::json;

    #[test]
    fn junk_comes_before_each_echo_ok() {
        let mut p = Probe::new(Control::Junk.factory(), "n0", &["n0"]);
        let out = p.request("c1", 2, json!({"type": "echo", "echo": "hi"}));
        assert_eq!(out[0], json!("debug: got an echo request"));
        assert_eq!(out[1]["body"], json!({"type": "echo_ok", "echo": "hi", "in_reply_to": 2}));
    }

    #[test]
    fn exit_early_goes_quiet_at_its_first_echo() {
        let mut p = Probe::new(Control::ExitEarly.factory(), "n0", &["n0"]);
        assert!(p.request("c1", 2, json!({"type": "echo", "echo": "hi"})).is_empty());
        assert!(p.request("c1", 3, json!({"type": "bogus"})).is_empty(), "nothing after the exit");
    }
}
