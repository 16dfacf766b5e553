//! The node for Maelstrom (or `glomers-bench test --bin`): the engine on stdin and stdout.

fn main() -> std::process::ExitCode {
    glomers_engine::run::<gossip_broadcast::Gossip>()
}
