//! The `g-counter` binary: runs the node under the engine on stdin/stdout.

fn main() {
    glomers_engine::run::<glomers_nodes::g_counter::GCounter>();
}
