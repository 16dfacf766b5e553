//! The `txn` binary: runs the node under the engine on stdin/stdout.

fn main() {
    glomers_engine::run::<glomers_nodes::txn::Txn>();
}
