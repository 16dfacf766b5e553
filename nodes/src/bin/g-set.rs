//! The `g-set` binary: reads the node's timing (`GLOMERS_G_SET_BATCH_MS`, `_ACK_MS`,
//! `_RETRY_MS`) from the environment, then runs the node under the engine on stdin/stdout. A
//! malformed setting stops it before it starts (exit code 2).

use glomers_engine::settings::millis;
use glomers_nodes::g_set::GSet;
use std::process::ExitCode;

fn main() -> ExitCode {
    match GSet::TIMING.overridden("GLOMERS_G_SET", millis) {
        Ok(timing) => glomers_engine::run_factory(move |init| Ok(GSet::with_timing(init, timing))),
        Err(error) => error.report(),
    }
}
