//! The `kafka` binary: runs the node under the engine on stdin/stdout.
//! `GLOMERS_KAFKA_DESIGN=lin-kv` runs the simple lin-kv design instead, for comparison;
//! `owner` (the default) runs ours.

use glomers_nodes::kafka::{Kafka, KafkaLinKv};

fn main() {
    match std::env::var("GLOMERS_KAFKA_DESIGN").as_deref() {
        Ok("lin-kv") => glomers_engine::run::<KafkaLinKv>(),
        Ok("owner") | Err(_) => glomers_engine::run::<Kafka>(),
        Ok(other) => {
            eprintln!("kafka: GLOMERS_KAFKA_DESIGN={other:?} is unknown (owner or lin-kv); running owner");
            glomers_engine::run::<Kafka>()
        }
    }
}
