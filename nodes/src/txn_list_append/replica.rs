//! This node's copy of the database: the lists after the first `len` slots of the commit log, the
//! slots learnt ahead of a gap, and the tags of the last slots applied. Slots are immutable once
//! written, so whatever a node learns of one (from `lin-kv`, or from the peer that wrote it) is
//! final and is kept as long as needed.

use super::{Entry, MicroOp, Tag};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Slots kept ahead of the applied prefix; a peer's slot further ahead is dropped (it will be
/// read from `lin-kv` when its turn comes).
const AHEAD_LIMIT: u64 = 4096;
/// Tags of the last slots applied that are remembered, so that a lost race whose winner is
/// already known needs no read.
const TAGS_KEPT: usize = 256;

/// The lists after the first `len` slots, as stored in `lin-kv` for nodes that start late.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct Snapshot {
    /// The slots it covers: `0..len`.
    pub(super) len: u64,
    /// Each key's list, by the key's JSON text.
    pub(super) lists: Vec<(String, Vec<Value>)>,
}

/// The lists after a prefix of the log.
#[derive(Debug, Default)]
pub(super) struct Replica {
    /// Each key's list, by the key's JSON text (JSON values compare as text: `1` is not `1.0`).
    lists: HashMap<String, Vec<Value>>,
    /// Slots applied: the log's prefix `0..len`.
    len: u64,
    /// Slots learnt beyond the prefix, waiting for the gap before them.
    ahead: BTreeMap<u64, Entry>,
    /// The tags of the last slots applied, oldest first.
    tags: VecDeque<(u64, Tag)>,
}

impl Replica {
    /// The number of slots applied; the next slot to claim.
    pub(super) fn len(&self) -> u64 {
        self.len
    }

    /// Takes in slot `slot`: applied at once if it is next, kept if it is ahead (within
    /// `AHEAD_LIMIT`), ignored if it is applied already. Whatever it made next is applied too.
    pub(super) fn learn(&mut self, slot: u64, entry: Entry) {
        if slot < self.len || slot >= self.len.saturating_add(AHEAD_LIMIT) {
            return;
        }
        self.ahead.insert(slot, entry);
        self.apply_ready();
    }

    /// Applies the slots kept ahead that the prefix has reached.
    fn apply_ready(&mut self) {
        while let Some(entry) = self.ahead.remove(&self.len) {
            for (key, value) in entry.appends {
                self.lists.entry(key.to_string()).or_default().push(value);
            }
            self.tags.push_back((self.len, entry.by));
            if self.tags.len() > TAGS_KEPT {
                self.tags.pop_front();
            }
            self.len += 1;
        }
    }

    /// The lists after the prefix, keys in order.
    pub(super) fn snapshot(&self) -> Snapshot {
        let mut lists: Vec<(String, Vec<Value>)> =
            self.lists.iter().map(|(k, list)| (k.clone(), list.clone())).collect();
        lists.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Snapshot { len: self.len, lists }
    }

    /// Jumps to `snapshot` if it is past the prefix (tags before it are forgotten).
    pub(super) fn install(&mut self, snapshot: Snapshot) {
        if snapshot.len <= self.len {
            return;
        }
        self.lists = snapshot.lists.into_iter().collect();
        self.len = snapshot.len;
        self.ahead = self.ahead.split_off(&snapshot.len);
        self.tags.clear();
        self.apply_ready();
    }

    /// The tag of applied slot `slot`, if it is still remembered.
    pub(super) fn tag(&self, slot: u64) -> Option<&Tag> {
        self.tags.iter().find(|(s, _)| *s == slot).map(|(_, tag)| tag)
    }

    /// Runs `txns` one after another on the current lists, without changing them: each read
    /// sees the appends of the transactions before it and its own earlier ones. Returns each
    /// transaction with its reads filled in (a list, or `null` for a key never appended to),
    /// and every append in order.
    pub(super) fn run<'a>(
        &self,
        txns: impl IntoIterator<Item = &'a Vec<MicroOp>>,
    ) -> (Vec<Vec<MicroOp>>, Vec<(Value, Value)>) {
        let mut changed: HashMap<String, Vec<Value>> = HashMap::new();
        let mut appends = Vec::new();
        let done = txns
            .into_iter()
            .map(|txn| {
                txn.iter()
                    .map(|(f, key, value)| {
                        let text = key.to_string();
                        if f == super::APPEND {
                            let list = changed
                                .entry(text)
                                .or_insert_with_key(|k| self.lists.get(k).cloned().unwrap_or_default());
                            list.push(value.clone());
                            appends.push((key.clone(), value.clone()));
                            return (f.clone(), key.clone(), value.clone());
                        }
                        let seen = changed.get(&text).or_else(|| self.lists.get(&text));
                        let read = seen.map_or(Value::Null, |list| Value::Array(list.clone()));
                        (f.clone(), key.clone(), read)
                    })
                    .collect()
            })
            .collect();
        (done, appends)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glomers_engine::NodeId;
    use serde_json::json;

    fn entry(node: &str, seq: u64, appends: &[(i64, i64)]) -> Entry {
        Entry {
            by: (NodeId::new(node), 1, seq),
            appends: appends.iter().map(|&(k, v)| (json!(k), json!(v))).collect(),
        }
    }

    fn op(f: &str, k: i64, v: Value) -> MicroOp {
        (f.to_owned(), json!(k), v)
    }

    #[test]
    fn slots_apply_in_order_whatever_order_they_arrive_in() {
        let mut r = Replica::default();
        r.learn(1, entry("n1", 1, &[(1, 20)]));
        assert_eq!(r.len(), 0, "slot 0 is missing");
        r.learn(0, entry("n0", 1, &[(1, 10), (2, 5)]));
        r.learn(0, entry("n9", 9, &[(1, 99)]));
        assert_eq!(r.len(), 2);
        let (done, _) = r.run([&vec![op("r", 1, Value::Null), op("r", 2, Value::Null)]]);
        assert_eq!(done[0][0].2, json!([10, 20]));
        assert_eq!(done[0][1].2, json!([5]));
        assert_eq!(r.tag(1), Some(&(NodeId::new("n1"), 1, 1)));
        assert_eq!(r.tag(2), None);
    }

    #[test]
    fn a_batch_runs_serially_without_changing_the_lists() {
        let mut r = Replica::default();
        r.learn(0, entry("n0", 1, &[(1, 1)]));
        let t1 = vec![op("r", 1, Value::Null), op("append", 1, json!(2)), op("r", 1, Value::Null)];
        let t2 = vec![op("r", 1, Value::Null), op("r", 3, Value::Null), op("append", 3, json!(7))];
        let (done, appends) = r.run([&t1, &t2]);
        assert_eq!(done[0][0].2, json!([1]));
        assert_eq!(done[0][1], op("append", 1, json!(2)));
        assert_eq!(done[0][2].2, json!([1, 2]), "a txn reads its own append");
        assert_eq!(done[1][0].2, json!([1, 2]), "and the next one reads it too");
        assert_eq!(done[1][1].2, Value::Null, "a key never appended to reads null");
        assert_eq!(appends, [(json!(1), json!(2)), (json!(3), json!(7))]);
        let (again, _) = r.run([&vec![op("r", 1, Value::Null)]]);
        assert_eq!(again[0][0].2, json!([1]), "running a batch changes nothing");
    }

    #[test]
    fn a_snapshot_installed_past_the_prefix_replaces_it_and_keeps_later_slots() {
        let mut r = Replica::default();
        r.learn(0, entry("n0", 1, &[(1, 1), (2, 2)]));
        let snap = r.snapshot();
        assert_eq!(
            snap,
            Snapshot { len: 1, lists: vec![("1".into(), vec![json!(1)]), ("2".into(), vec![json!(2)])] }
        );
        let mut late = Replica::default();
        late.learn(2, entry("n1", 1, &[(1, 3)]));
        late.install(Snapshot { len: 2, lists: vec![("1".into(), vec![json!(1), json!(5)])] });
        assert_eq!(late.len(), 3, "slot 2, kept ahead, applies after the snapshot");
        let (done, _) = late.run([&vec![op("r", 1, Value::Null), op("r", 2, Value::Null)]]);
        assert_eq!((done[0][0].2.clone(), done[0][1].2.clone()), (json!([1, 5, 3]), Value::Null));
        late.install(snap);
        assert_eq!(late.len(), 3, "an older snapshot changes nothing");
    }

    #[test]
    fn slots_far_ahead_or_behind_are_ignored() {
        let mut r = Replica::default();
        r.learn(AHEAD_LIMIT, entry("n0", 1, &[(1, 1)]));
        assert!(r.ahead.is_empty());
        r.learn(0, entry("n0", 2, &[(1, 2)]));
        r.learn(0, entry("n0", 3, &[(1, 3)]));
        let (done, _) = r.run([&vec![op("r", 1, Value::Null)]]);
        assert_eq!(done[0][0].2, json!([2]));
    }
}
