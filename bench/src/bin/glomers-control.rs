//! `glomers-control MODE`: runs one control node (see `glomers_controls::Control`, in `bench/controls`) on
//! stdin/stdout. A missing or unknown mode exits 254 (bad arguments) with the valid ones on stderr.

use glomers_controls::Control;
use std::process::ExitCode;

fn main() -> ExitCode {
    match Control::from_args(std::env::args().skip(1)) {
        Ok(control) => {
            eprintln!("glomers-control: {control}");
            control.run()
        }
        Err(e) => {
            eprintln!("glomers-control: {e}");
            ExitCode::from(254)
        }
    }
}
