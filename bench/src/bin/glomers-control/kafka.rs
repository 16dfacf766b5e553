//! The kafka modes of the control node (MAELSTROM.md §7.5), as a plain state machine: a message
//! in, the messages to send out. `kafka` is correct: the node with the smallest id keeps every
//! log, and the others forward client requests to it. The broken modes: `kafka-offset-reuse`
//! (each node keeps its own logs, so two nodes hand out the same offsets), `kafka-lost-send`
//! (acknowledges its 5th send and drops it), `kafka-poll-skip` (every 10th poll leaves out the
//! first message of each key).

use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Which send `kafka-lost-send` acknowledges without storing.
const LOST_SEND: u64 = 5;

/// `kafka-poll-skip` leaves a message out of every this many polls that could skip one (a key
/// with two or more messages past a requested offset above 0: a poll from 0 follows an assign,
/// after which the checker does not judge skips).
const SKIP_EVERY: u64 = 3;

/// The kafka behaviours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Correct on any number of nodes.
    Correct,
    /// Every node allocates offsets on its own.
    OffsetReuse,
    /// One acknowledged send is never stored.
    LostSend,
    /// Some polls skip a message.
    PollSkip,
}

/// One key's log: messages at rising offsets, with a gap where a lost send was acknowledged.
#[derive(Debug, Default)]
struct KeyLog {
    /// `(offset, msg)` in offset order.
    entries: Vec<(i64, Value)>,
    /// The next offset to hand out.
    next: i64,
}

/// A kafka node's state.
#[derive(Debug)]
pub struct Log {
    mode: Mode,
    logs: HashMap<String, KeyLog>,
    committed: HashMap<String, i64>,
    sends: u64,
    polls: u64,
    next_msg_id: u64,
    /// Requests forwarded to the leader, by the msg_id we sent them with.
    forwarded: HashMap<u64, Value>,
}

impl Log {
    /// A node for mode `mode` (`kafka`, `kafka-offset-reuse`, `kafka-lost-send`, `kafka-poll-skip`).
    pub fn new(mode: &str) -> Self {
        let mode = match mode {
            "kafka-offset-reuse" => Mode::OffsetReuse,
            "kafka-lost-send" => Mode::LostSend,
            "kafka-poll-skip" => Mode::PollSkip,
            _ => Mode::Correct,
        };
        Log {
            mode,
            logs: HashMap::new(),
            committed: HashMap::new(),
            sends: 0,
            polls: 0,
            next_msg_id: 0,
            forwarded: HashMap::new(),
        }
    }

    /// Handles one message to node `me` (whose peers are `peers`); returns `(dest, body)` pairs
    /// to send.
    pub fn on_message(&mut self, me: &str, peers: &[String], msg: &Value) -> Vec<(String, Value)> {
        let body = &msg["body"];
        let src = msg["src"].as_str().unwrap_or_default();
        if let Some(id) = body["in_reply_to"].as_u64() {
            return self.relay(id, body);
        }
        let leader = peers.iter().map(String::as_str).chain([me]).min().unwrap_or(me);
        if self.mode != Mode::OffsetReuse && leader != me && !peers.iter().any(|p| p == src) {
            self.next_msg_id += 1;
            let mut fwd = body.clone();
            fwd["msg_id"] = json!(self.next_msg_id);
            self.forwarded.insert(self.next_msg_id, msg.clone());
            return vec![(leader.to_owned(), fwd)];
        }
        let mut reply = self.apply(body);
        reply["in_reply_to"] = body["msg_id"].clone();
        vec![(src.to_owned(), reply)]
    }

    /// Passes the leader's reply back to the client that asked.
    fn relay(&mut self, id: u64, body: &Value) -> Vec<(String, Value)> {
        let Some(req) = self.forwarded.remove(&id) else { return Vec::new() };
        let mut reply = body.clone();
        if let Some(o) = reply.as_object_mut() {
            o.remove("msg_id");
        }
        reply["in_reply_to"] = req["body"]["msg_id"].clone();
        vec![(req["src"].as_str().unwrap_or_default().to_owned(), reply)]
    }

    /// Runs a client request on this node's logs; the reply body.
    fn apply(&mut self, body: &Value) -> Value {
        let offsets = || body["offsets"].as_object().cloned().unwrap_or_default();
        match body["type"].as_str().unwrap_or_default() {
            "send" => match (body["key"].as_str(), body.get("msg")) {
                (Some(key), Some(msg)) => json!({"type": "send_ok", "offset": self.send(key, msg)}),
                _ => json!({"type": "error", "code": 12, "text": "send needs a string key and a msg"}),
            },
            "poll" => json!({"type": "poll_ok", "msgs": self.poll(&offsets())}),
            "commit_offsets" => {
                for (k, o) in offsets() {
                    if let Some(o) = o.as_i64() {
                        let c = self.committed.entry(k).or_insert(o);
                        *c = (*c).max(o);
                    }
                }
                json!({"type": "commit_offsets_ok"})
            }
            "list_committed_offsets" => {
                let keys = body["keys"].as_array().cloned().unwrap_or_default();
                let found: Map<String, Value> = keys
                    .iter()
                    .filter_map(Value::as_str)
                    .filter_map(|k| self.committed.get(k).map(|o| (k.to_owned(), json!(o))))
                    .collect();
                json!({"type": "list_committed_offsets_ok", "offsets": found})
            }
            t => json!({"type": "error", "code": 10, "text": format!("unsupported type {t}")}),
        }
    }

    /// Appends `msg` to `key`; its offset. `kafka-lost-send` drops its 5th send but still takes
    /// the offset.
    fn send(&mut self, key: &str, msg: &Value) -> i64 {
        self.sends += 1;
        let log = self.logs.entry(key.to_owned()).or_default();
        let offset = log.next;
        log.next += 1;
        if !(self.mode == Mode::LostSend && self.sends == LOST_SEND) {
            log.entries.push((offset, msg.clone()));
        }
        offset
    }

    /// Messages from each requested offset on; keys with nothing are left out.
    fn poll(&mut self, offsets: &Map<String, Value>) -> Map<String, Value> {
        let skippable = offsets.iter().any(|(k, from)| {
            let (Some(log), Some(from)) = (self.logs.get(k), from.as_i64()) else { return false };
            from > 0 && log.entries.len() - log.entries.partition_point(|(o, _)| *o < from) >= 2
        });
        if skippable {
            self.polls += 1;
        }
        let skip =
            usize::from(self.mode == Mode::PollSkip && skippable && self.polls.is_multiple_of(SKIP_EVERY));
        let mut msgs = Map::new();
        for (k, from) in offsets {
            let (Some(log), Some(from)) = (self.logs.get(k), from.as_i64()) else { continue };
            let start = log.entries.partition_point(|(o, _)| *o < from);
            let pairs: Vec<Value> = log
                .entries
                .get(start..)
                .unwrap_or_default()
                .iter()
                .skip(skip)
                .map(|(o, m)| json!([o, m]))
                .collect();
            if !pairs.is_empty() {
                msgs.insert(k.clone(), Value::Array(pairs));
            }
        }
        msgs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(src: &str, id: u64, body: Value) -> Value {
        let mut body = body;
        body["msg_id"] = json!(id);
        json!({"src": src, "dest": "n0", "body": body})
    }

    /// The reply bodies a single node `n0` sends for each request.
    fn run(mode: &str, bodies: &[Value]) -> Vec<Value> {
        let mut log = Log::new(mode);
        let mut out = Vec::new();
        for (i, b) in bodies.iter().enumerate() {
            for (dest, mut body) in log.on_message("n0", &[], &req("c1", i as u64, b.clone())) {
                assert_eq!(dest, "c1");
                assert_eq!(body["in_reply_to"], json!(i));
                if let Some(o) = body.as_object_mut() {
                    o.remove("in_reply_to");
                }
                out.push(body);
            }
        }
        out
    }

    fn send(k: &str, m: i64) -> Value {
        json!({"type": "send", "key": k, "msg": m})
    }

    fn poll(k: &str, from: i64) -> Value {
        json!({"type": "poll", "offsets": {k: from}})
    }

    #[test]
    fn correct_node_logs_polls_and_commits() {
        let out = run(
            "kafka",
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
        let sends: Vec<Value> = (1..=6).map(|m| send("3", m)).chain([poll("3", 0)]).collect();
        let out = run("kafka-lost-send", &sends);
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
        let out = run("kafka-poll-skip", &reqs);
        assert_eq!(out[5], json!({"type": "poll_ok", "msgs": {"3": [[0, 7], [1, 8], [2, 9]]}}));
        assert_eq!(out[7], json!({"type": "poll_ok", "msgs": {"3": [[1, 8], [2, 9]]}}));
        assert_eq!(out[8], json!({"type": "poll_ok", "msgs": {"3": [[2, 9]]}}));
    }

    #[test]
    fn followers_forward_to_the_leader_unless_offsets_are_reused() {
        let peers = ["n0".to_owned()];
        let mut n1 = Log::new("kafka");
        let out = n1.on_message("n1", &peers, &req("c2", 4, send("3", 7)));
        assert_eq!(out, vec![("n0".to_owned(), json!({"type": "send", "key": "3", "msg": 7, "msg_id": 1}))]);
        let mut n0 = Log::new("kafka");
        let fwd = json!({"src": "n1", "dest": "n0", "body": out[0].1});
        let back = n0.on_message("n0", &["n1".to_owned()], &fwd);
        assert_eq!(back, vec![("n1".to_owned(), json!({"type": "send_ok", "offset": 0, "in_reply_to": 1}))]);
        let reply = json!({"src": "n0", "dest": "n1", "body": back[0].1});
        assert_eq!(
            n1.on_message("n1", &peers, &reply),
            vec![("c2".to_owned(), json!({"type": "send_ok", "offset": 0, "in_reply_to": 4}))]
        );

        let mut n1 = Log::new("kafka-offset-reuse");
        let out = n1.on_message("n1", &peers, &req("c2", 4, send("3", 7)));
        assert_eq!(out, vec![("c2".to_owned(), json!({"type": "send_ok", "offset": 0, "in_reply_to": 4}))]);
    }
}
