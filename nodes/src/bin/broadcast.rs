//! The `broadcast` binary: reads the node's timing (`GLOMERS_BROADCAST_BATCH_MS`, `_ACK_MS`,
//! `_RETRY_MS`) and when it answers (`GLOMERS_BROADCAST_REPLY`: `second-copy`, the default, or
//! `at-once`) from the environment, then runs the node under the engine on stdin/stdout. A
//! malformed setting stops it before it starts (exit code 2).

use glomers_engine::settings::{millis, var};
use glomers_nodes::broadcast::{Broadcast, Reply};
use std::process::ExitCode;

fn main() -> ExitCode {
    let timing = Broadcast::TIMING.overridden("GLOMERS_BROADCAST", millis);
    let reply = var::<Reply>("GLOMERS_BROADCAST_REPLY", "second-copy or at-once");
    match (timing, reply) {
        (Ok(timing), Ok(reply)) => glomers_engine::run_factory(move |init| {
            Ok(Broadcast::with_timing(init, timing).replying(reply.unwrap_or_default()))
        }),
        (Err(error), _) | (_, Err(error)) => error.report(),
    }
}
