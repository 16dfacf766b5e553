//! The `kafka` binary: reads its design (`GLOMERS_KAFKA_DESIGN`: `owner`, the default, or
//! `lin-kv`, the simple design kept for comparison) and the owner design's replication timing
//! (`GLOMERS_KAFKA_BATCH_MS`, `_ACK_MS`, `_RETRY_MS`) from the environment, then runs the node
//! under the engine on stdin/stdout. A malformed setting stops it before it starts (exit code 2).

use glomers_engine::settings::{millis, var};
use glomers_engine::SettingError;
use glomers_nodes::kafka::{Design, Kafka, KafkaLinKv};
use std::process::ExitCode;

fn main() -> ExitCode {
    let settings = || -> Result<_, SettingError> {
        let design = var::<Design>("GLOMERS_KAFKA_DESIGN", "owner or lin-kv")?.unwrap_or_default();
        Ok((design, Kafka::TIMING.overridden("GLOMERS_KAFKA", millis)?))
    };
    match settings() {
        Ok((Design::Owner, timing)) => {
            glomers_engine::run_factory(move |init| Ok(Kafka::with_timing(init, timing)))
        }
        Ok((Design::LinKv, _)) => glomers_engine::run::<KafkaLinKv>(),
        Err(error) => error.report(),
    }
}
