//! The `lin-kv` binary: runs the Raft node under the engine on stdin/stdout. It has no settings
//! of its own; the engine's (`GLOMERS_WORKERS`, `GLOMERS_MAX_LINE`) are read here, in `main`.

fn main() -> std::process::ExitCode {
    glomers_engine::run::<glomers_nodes::lin_kv::Raft>()
}
