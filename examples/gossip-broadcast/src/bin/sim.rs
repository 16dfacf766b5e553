//! `glomers-bench sim`'s command line with this crate's node: `cargo run --bin sim -- -w
//! broadcast --node-count 5 --nemesis partition --seeds 1..1000`, or `--seed 17` for one run
//! into a results directory.

fn main() -> std::process::ExitCode {
    glomers_bench::sim::main::<gossip_broadcast::Gossip>()
}
