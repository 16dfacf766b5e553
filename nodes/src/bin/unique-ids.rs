//! The `unique-ids` binary: runs the node under the engine on stdin/stdout, with a boot id of
//! this process's own (`settings::boot_id`), so that a restarted node's ids differ from its last
//! process's. The engine's settings (`GLOMERS_WORKERS`, `GLOMERS_MAX_LINE`) are read here.

use glomers_engine::settings::boot_id;
use glomers_nodes::unique_ids::UniqueIds;

fn main() -> std::process::ExitCode {
    let boot = boot_id();
    glomers_engine::run_factory(move |init| UniqueIds::booted(init, boot))
}
