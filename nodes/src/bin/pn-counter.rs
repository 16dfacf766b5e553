//! The `pn-counter` binary: reads the node's timing (`GLOMERS_PN_COUNTER_BATCH_MS`, `_ACK_MS`,
//! `_RETRY_MS`) from the environment, then runs the node under the engine on stdin/stdout. A
//! malformed setting stops it before it starts (exit code 2).

use glomers_engine::settings::millis;
use glomers_nodes::pn_counter::PnCounter;
use std::process::ExitCode;

fn main() -> ExitCode {
    match PnCounter::TIMING.overridden("GLOMERS_PN_COUNTER", millis) {
        Ok(timing) => glomers_engine::run_factory(move |init| Ok(PnCounter::with_timing(init, timing))),
        Err(error) => error.report(),
    }
}
