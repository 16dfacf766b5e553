//! The `unique-ids` binary: runs the node under the engine on stdin/stdout.

fn main() {
    glomers_engine::run::<glomers_nodes::unique_ids::UniqueIds>();
}
