//! The `txn` binary: reads the node's replication timing (`GLOMERS_TXN_BATCH_MS`, `_ACK_MS`,
//! `_RETRY_MS`) from the environment, then runs the node under the engine on stdin/stdout. A
//! malformed setting stops it before it starts (exit code 2).

use glomers_engine::settings::millis;
use glomers_nodes::txn::Txn;
use std::process::ExitCode;

fn main() -> ExitCode {
    match Txn::TIMING.overridden("GLOMERS_TXN", millis) {
        Ok(timing) => glomers_engine::run_factory(move |init| Txn::with_timing(init, timing)),
        Err(error) => error.report(),
    }
}
