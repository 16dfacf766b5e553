//! `glomers-control MODE`: runs one control node (see `glomers_controls::Control`) on
//! stdin/stdout. A missing or unknown mode exits 254 with the valid ones on stderr.

use glomers_controls::Control;
use std::process::ExitCode;

/// The exit status for bad arguments, as the workbench uses.
const BAD_ARGS: u8 = 254;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let control = match args.as_slice() {
        [mode] => mode.parse::<Control>().map_err(|e| e.to_string()),
        _ => Err(format!("usage: glomers-control MODE, one of: {}", Control::names())),
    };
    match control {
        Ok(control) => {
            eprintln!("glomers-control: {control}");
            control.run()
        }
        Err(e) => {
            eprintln!("glomers-control: {e}");
            ExitCode::from(BAD_ARGS)
        }
    }
}
