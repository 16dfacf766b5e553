//! The `txn-list-append` binary: runs the node under the engine on stdin/stdout. It reads no
//! settings; its database lives in Maelstrom's `lin-kv` service.

fn main() -> std::process::ExitCode {
    glomers_engine::run::<glomers_nodes::txn_list_append::TxnListAppend>()
}
