//! The kafka controls (docs/protocol.md §7.5). Correct: the node with the smallest id keeps
//! every log, and the others forward client requests to it. Broken: every node keeps its own
//! logs ([`OffsetReuse`], so two nodes hand out one offset), the 5th send is acknowledged and
//! dropped ([`LostSend`]), or every [`SKIP_EVERY`]th poll that could skip a message leaves the
//! first one of each key out ([`PollSkip`]).

use crate::Flawed;
use glomers_engine::{Init, Message, Node, NodeId, Out, RpcError};
use parking_lot::Mutex;
use serde_json::Value;
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::time::Duration;

flaws! {
    /// Every node allocates offsets on its own.
    OffsetReuse,
    /// Acknowledges its [`LOST_SEND`]th send and never stores it.
    LostSend,
    /// Some polls leave out a message.
    PollSkip,
}

/// Which send [`LostSend`] acknowledges without storing.
pub const LOST_SEND: u64 = 5;

/// [`PollSkip`] leaves a message out of every this many polls that could skip one: a key with
/// two or more messages past a requested offset above 0 (a poll from 0 follows an assign, and
/// the checker does not judge skips there).
pub const SKIP_EVERY: u64 = 3;

/// How long a follower waits for the leader's answer to a forwarded request, under the
/// client's 5 s timeout (docs/protocol.md §2.5); then it answers error 0 (timeout, outcome unknown).
const FORWARD_TIMEOUT: Duration = Duration::from_secs(4);

/// The kafka messages, as the real node declares them (its replication messages are not
/// requests to a control).
pub use glomers_nodes::kafka::Body;

/// One node's logs.
#[derive(Default)]
struct Logs {
    /// Per key: `(offset, msg)` in offset order (with a gap where a send was lost), and the
    /// next offset to hand out.
    logs: BTreeMap<String, (Vec<(u64, Value)>, u64)>,
    committed: BTreeMap<String, u64>,
    sends: u64,
    /// Polls that could skip a message.
    skippable: u64,
}

impl Logs {
    /// Appends `msg` to `key`; its offset. With `lose`, the [`LOST_SEND`]th send takes its
    /// offset and is not stored.
    fn send(&mut self, key: String, msg: Value, lose: bool) -> u64 {
        self.sends += 1;
        let (entries, next) = self.logs.entry(key).or_default();
        let offset = *next;
        *next += 1;
        if !(lose && self.sends == LOST_SEND) {
            entries.push((offset, msg));
        }
        offset
    }

    /// Messages from each requested offset on; with `skip`, every [`SKIP_EVERY`]th poll that
    /// could skip leaves out the first message of each key.
    fn poll(&mut self, offsets: &BTreeMap<String, u64>, skip: bool) -> BTreeMap<String, Vec<(u64, Value)>> {
        let from = |entries: &[(u64, Value)], o: u64| entries.partition_point(|(at, _)| *at < o);
        let could = offsets
            .iter()
            .any(|(k, o)| self.logs.get(k).is_some_and(|(e, _)| *o > 0 && e.len() - from(e, *o) >= 2));
        self.skippable += u64::from(could);
        let drop = usize::from(skip && could && self.skippable.is_multiple_of(SKIP_EVERY));
        let mut msgs = BTreeMap::new();
        for (k, o) in offsets {
            let Some((e, _)) = self.logs.get(k) else { continue };
            let pairs: Vec<(u64, Value)> = e.iter().skip(from(e, *o)).skip(drop).cloned().collect();
            if !pairs.is_empty() {
                msgs.insert(k.clone(), pairs);
            }
        }
        msgs
    }

    /// Runs a client request on these logs; the answer.
    fn apply(&mut self, body: Body, flaw: Option<Flaw>) -> Result<Body, RpcError> {
        Ok(match body {
            Body::Send { key, msg } => {
                Body::SendOk { offset: self.send(key, msg, flaw == Some(Flaw::LostSend)) }
            }
            Body::Poll { offsets } => {
                Body::PollOk { msgs: self.poll(&offsets, flaw == Some(Flaw::PollSkip)) }
            }
            Body::CommitOffsets { offsets } => {
                for (k, o) in offsets {
                    let c = self.committed.entry(k).or_insert(o);
                    *c = (*c).max(o);
                }
                Body::CommitOffsetsOk
            }
            Body::ListCommittedOffsets { keys } => {
                let offsets = keys.into_iter().filter_map(|k| Some((k.clone(), *self.committed.get(&k)?)));
                Body::ListCommittedOffsetsOk { offsets: offsets.collect() }
            }
            Body::SendOk { .. }
            | Body::PollOk { .. }
            | Body::CommitOffsetsOk
            | Body::ListCommittedOffsetsOk { .. }
            | Body::Replicate { .. } => {
                return Err(RpcError::not_supported("not a client request"));
            }
        })
    }
}

/// A kafka node with flaw `F` (or none).
pub struct Kafka<F> {
    me: NodeId,
    peers: Vec<NodeId>,
    /// The node that keeps every log (unless [`OffsetReuse`]).
    leader: NodeId,
    logs: Mutex<Logs>,
    flaw: PhantomData<F>,
}

impl<F: Flawed<Flaw>> Node for Kafka<F> {
    type Body = Body;

    fn init(init: &Init) -> Result<Self, RpcError> {
        let leader = init.node_ids.iter().min_by(|a, b| a.as_str().cmp(b.as_str())).unwrap_or(&init.node_id);
        Ok(Kafka {
            me: init.node_id.clone(),
            peers: crate::peers(init),
            leader: leader.clone(),
            logs: Mutex::new(Logs::default()),
            flaw: PhantomData,
        })
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        let forward =
            F::FLAW != Some(Flaw::OffsetReuse) && self.leader != self.me && !self.peers.contains(&msg.src);
        let (to, msg_id) = (msg.src, msg.msg_id);
        if forward {
            out.rpc(self.leader.clone(), msg.body, FORWARD_TIMEOUT, move |_, answer, out| match answer {
                Ok(body) => out.reply((to, msg_id), body),
                Err(e) => out.reply_error((to, msg_id), e),
            });
            return Ok(());
        }
        let answer = self.logs.lock().apply(msg.body, F::FLAW)?;
        out.reply((to, msg_id), answer);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{bodies, Probe};
    use crate::Control;
    use serde_json::{json, Value};

    fn send(k: &str, m: i64) -> Value {
        json!({"type": "send", "key": k, "msg": m})
    }

    fn poll(k: &str, from: u64) -> Value {
        json!({"type": "poll", "offsets": {k: from}})
    }

    /// The answers a single node `n0` gives to each request.
    fn run(control: Control, reqs: &[Value]) -> Vec<Value> {
        let mut p = Probe::new(control.factory(), "n0", &["n0"]);
        reqs.iter().enumerate().flat_map(|(i, b)| bodies(&p.request("c1", i as u64 + 2, b.clone()))).collect()
    }

    #[test]
    fn the_correct_node_logs_polls_and_commits() {
        let out = run(
            Control::Kafka,
            &[
                send("3", 7),
                send("3", 8),
                send("5", 1),
                poll("3", 1),
                json!({"type": "poll", "offsets": {"3": 0, "9": 0}}),
                json!({"type": "commit_offsets", "offsets": {"3": 1}}),
                json!({"type": "list_committed_offsets", "keys": ["3", "5"]}),
                json!({"type": "bogus"}),
            ],
        );
        assert_eq!(out[0], json!({"type": "send_ok", "offset": 0}));
        assert_eq!(out[1], json!({"type": "send_ok", "offset": 1}));
        assert_eq!(out[2], json!({"type": "send_ok", "offset": 0}));
        assert_eq!(out[3], json!({"type": "poll_ok", "msgs": {"3": [[1, 8]]}}));
        assert_eq!(out[4], json!({"type": "poll_ok", "msgs": {"3": [[0, 7], [1, 8]]}}));
        assert_eq!(out[5], json!({"type": "commit_offsets_ok"}));
        assert_eq!(out[6], json!({"type": "list_committed_offsets_ok", "offsets": {"3": 1}}));
        assert_eq!(out[7]["code"], json!(10));
    }

    #[test]
    fn lost_send_acknowledges_the_fifth_send_and_drops_it() {
        let reqs: Vec<Value> = (1..=6).map(|m| send("3", m)).chain([poll("3", 0)]).collect();
        let out = run(Control::KafkaLostSend, &reqs);
        assert_eq!(out[4], json!({"type": "send_ok", "offset": 4}));
        assert_eq!(
            out[6],
            json!({"type": "poll_ok", "msgs": {"3": [[0, 1], [1, 2], [2, 3], [3, 4], [5, 6]]}})
        );
    }

    #[test]
    fn poll_skip_leaves_out_a_message_of_every_third_poll_that_could_skip() {
        let mut reqs = vec![send("3", 7), send("3", 8), send("3", 9)];
        // Polls from 0 never skip (they follow an assign); those from 1 with two messages can.
        reqs.extend((0..3).map(|_| poll("3", 0)));
        reqs.extend((0..3).map(|_| poll("3", 1)));
        let out = run(Control::KafkaPollSkip, &reqs);
        assert_eq!(out[5], json!({"type": "poll_ok", "msgs": {"3": [[0, 7], [1, 8], [2, 9]]}}));
        assert_eq!(out[7], json!({"type": "poll_ok", "msgs": {"3": [[1, 8], [2, 9]]}}));
        assert_eq!(out[8], json!({"type": "poll_ok", "msgs": {"3": [[2, 9]]}}));
    }

    #[test]
    fn followers_forward_to_the_leader_unless_offsets_are_reused() {
        let mut n1 = Probe::new(Control::Kafka.factory(), "n1", &["n0", "n1"]);
        let fwd = n1.line(
            &json!({"src": "c2", "dest": "n1", "body": {"type": "send", "key": "3", "msg": 7, "msg_id": 4}}),
        );
        assert_eq!(
            fwd,
            [json!({"src": "n1", "dest": "n0", "body": {"type": "send", "key": "3", "msg": 7, "msg_id": 1}})]
        );
        let back = n1.line(
            &json!({"src": "n0", "dest": "n1", "body": {"type": "send_ok", "offset": 0, "in_reply_to": 1}}),
        );
        assert_eq!(
            back,
            [json!({"src": "n1", "dest": "c2", "body": {"type": "send_ok", "offset": 0, "in_reply_to": 4}})]
        );

        let mut n0 = Probe::new(Control::Kafka.factory(), "n0", &["n0", "n1"]);
        let from_peer =
            json!({"src": "n1", "dest": "n0", "body": {"type": "send", "key": "3", "msg": 7, "msg_id": 1}});
        assert_eq!(bodies(&n0.line(&from_peer)), [json!({"type": "send_ok", "offset": 0})]);

        let mut n1 = Probe::new(Control::KafkaOffsetReuse.factory(), "n1", &["n0", "n1"]);
        let own = n1.line(
            &json!({"src": "c2", "dest": "n1", "body": {"type": "send", "key": "3", "msg": 7, "msg_id": 4}}),
        );
        assert_eq!(
            own,
            [json!({"src": "n1", "dest": "c2", "body": {"type": "send_ok", "offset": 0, "in_reply_to": 4}})]
        );
    }
}
