//! The `kafka` binary: runs the node under the engine on stdin/stdout.
//! `GLOMERS_KAFKA_DESIGN=lin-kv` runs the simple lin-kv design instead, for comparison.

use glomers_nodes::kafka::{Kafka, KafkaLinKv};

fn main() {
    match std::env::var("GLOMERS_KAFKA_DESIGN").as_deref() {
        Ok("lin-kv") => glomers_engine::run::<KafkaLinKv>(),
        _ => glomers_engine::run::<Kafka>(),
    }
}
