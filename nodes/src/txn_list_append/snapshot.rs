//! Snapshots of the database in `lin-kv`, so that a node that starts late (a restart, say)
//! need not read the whole log. The node that commits slot `n - 1`, for `n` a multiple of
//! [`SNAPSHOT_EVERY`], writes the lists after slots `0..n` to `snapshot/<n>`, and then `n` to
//! `snapshot`. A starting node reads `snapshot` and the snapshot it names before it serves.
//!
//! A snapshot is a function of the log's prefix, which never changes, so any copy of
//! `snapshot/<n>` is right, and `snapshot` names only a snapshot already written (an older one
//! if two writes of it cross, which just means more slots to read). Neither is needed for
//! correctness: a failed write or read only costs reading more slots.

use super::replica::Snapshot;
use super::TxnListAppend;
use glomers_engine::{Effects, RpcError};

/// Slots between snapshots.
pub const SNAPSHOT_EVERY: u64 = 256;
/// The key naming the latest snapshot.
const POINTER: &str = "snapshot";

fn key(len: u64) -> String {
    format!("snapshot/{len}")
}

impl TxnListAppend {
    /// Writes `snapshot`, then points `snapshot` at it.
    pub(super) fn save(&self, out: &mut Effects<Self>, snapshot: Snapshot) {
        let len = snapshot.len;
        self.kv.write(out, key(len), snapshot, move |node: &Self, written, out| {
            if written.is_ok() {
                node.kv.write(out, POINTER, len, |_: &Self, _, _| {});
            }
        });
    }

    /// Whether a node that now knows `len` slots saves a snapshot.
    pub(super) fn is_snapshot_due(len: u64) -> bool {
        len > 0 && len.is_multiple_of(SNAPSHOT_EVERY)
    }

    /// Installs the latest snapshot, if any, then marks the node ready with `incarnation`.
    pub(super) fn restore(&self, out: &mut Effects<Self>, incarnation: u64) {
        self.kv.read(out, POINTER, move |node: &Self, pointer: Result<u64, RpcError>, out| {
            let Ok(len) = pointer else { return node.ready(out, incarnation) };
            node.kv.read(out, key(len), move |node: &Self, snapshot: Result<Snapshot, RpcError>, out| {
                if let Ok(snapshot) = snapshot {
                    node.state.lock().replica.install(snapshot);
                }
                node.ready(out, incarnation);
            });
        });
    }

    fn ready(&self, out: &mut Effects<Self>, incarnation: u64) {
        self.state.lock().incarnation = Some(incarnation);
        self.pump(out);
    }
}
