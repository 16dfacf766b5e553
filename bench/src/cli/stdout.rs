//! The one way commands write to stdout. A reader that goes away (`| head`, `| true`) is not
//! an error: like ripgrep, the command then exits quietly with success instead of panicking as
//! `print!` would.

use std::io::{self, Write};

/// Writes `text` to stdout as is; on a closed pipe, exits the process with code 0.
pub fn print(text: &str) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        // Any other failure to write results to the console leaves the run directory as the
        // record; there is nobody left to tell.
    }
}

/// Writes `line` and a newline to stdout, as [`print()`] does.
pub fn println(line: &str) {
    print(&format!("{line}\n"));
}
