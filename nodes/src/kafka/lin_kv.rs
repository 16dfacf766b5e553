//! The simple design for challenges 5a–5c, kept to measure ours against (selected with
//! `GLOMERS_KAFKA_DESIGN=lin-kv`): every key's whole log is one `lin-kv` value.
//!
//! A `send` reads the key's log and cas-es it to the log plus the message; the offset is the
//! old length, and a lost race (error 22) starts over. A `poll` reads each requested key's log;
//! `commit_offsets` raises `commit/<key>` with a cas loop; `list_committed_offsets` reads them.
//! Correct because `lin-kv` is linearizable, and costly: at least four server messages per send
//! (two round trips), two per key polled.

use super::Body;
use glomers_engine::{Effects, ErrorCode, Init, Kv, Message, MsgId, Node, NodeId, Out, RpcError};
use parking_lot::Mutex;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The kafka node backed by `lin-kv` alone.
pub struct KafkaLinKv {
    kv: Kv,
}

/// Gives up a send after this many lost races (error 11: it was certainly not applied).
const MAX_ATTEMPTS: u32 = 100;

/// Who asked, so the last continuation can answer.
type ReplyTo = (NodeId, Option<MsgId>);

/// Results of one request's calls, key by key; the last to finish answers.
struct Gather<T> {
    left: usize,
    got: BTreeMap<String, T>,
    failed: Option<RpcError>,
}

impl KafkaLinKv {
    /// Appends `msg` to `key`'s log: read, then cas; a lost race starts over.
    fn append(&self, out: &mut Effects<Self>, key: String, msg: Value, to: ReplyTo, attempt: u32) {
        self.kv.read(
            out,
            format!("log/{key}"),
            move |node: &Self, read: Result<Vec<Value>, RpcError>, out| {
                let (log, create) = match read {
                    Ok(log) => (log, false),
                    Err(e) if e.code == ErrorCode::KeyDoesNotExist => (Vec::new(), true),
                    Err(e) => return out.reply_error((to.0, to.1), e),
                };
                let offset = log.len() as u64;
                let mut longer = log.clone();
                longer.push(msg.clone());
                node.kv.cas(out, format!("log/{key}"), log, longer, create, move |node: &Self, cas, out| {
                    match cas {
                        Ok(()) => out.reply((to.0, to.1), Body::SendOk { offset }),
                        Err(e) if e.code == ErrorCode::PreconditionFailed && attempt < MAX_ATTEMPTS => {
                            node.append(out, key, msg, to, attempt + 1)
                        }
                        Err(e) if e.code == ErrorCode::PreconditionFailed => out.reply_error(
                            (to.0, to.1),
                            RpcError::new(
                                ErrorCode::TemporarilyUnavailable,
                                "too many concurrent sends to this key",
                            ),
                        ),
                        Err(e) => out.reply_error((to.0, to.1), e),
                    }
                });
            },
        );
    }

    /// Raises `commit/<key>` to at least `offset` (a cas loop), then records the key in `gather`.
    fn commit(
        &self,
        out: &mut Effects<Self>,
        key: String,
        offset: u64,
        gather: Arc<Mutex<Gather<u64>>>,
        to: ReplyTo,
    ) {
        self.kv.read(out, format!("commit/{key}"), move |node: &Self, read: Result<u64, RpcError>, out| {
            let (current, create) = match read {
                Ok(c) if c >= offset => {
                    return finish(&gather, key, Ok(c), to, out, |_| Body::CommitOffsetsOk)
                }
                Ok(c) => (c, false),
                Err(e) if e.code == ErrorCode::KeyDoesNotExist => (0, true),
                Err(e) => return finish(&gather, key, Err(e), to, out, |_| Body::CommitOffsetsOk),
            };
            node.kv.cas(
                out,
                format!("commit/{key}"),
                current,
                offset,
                create,
                move |node: &Self, cas, out| match cas {
                    Err(e) if e.code == ErrorCode::PreconditionFailed => {
                        node.commit(out, key, offset, gather, to)
                    }
                    result => {
                        finish(&gather, key, result.map(|()| offset), to, out, |_| Body::CommitOffsetsOk)
                    }
                },
            );
        });
    }
}

/// Records one key's result; the last one answers with `reply` (or the first error).
fn finish<T>(
    gather: &Mutex<Gather<T>>,
    key: String,
    result: Result<T, RpcError>,
    to: ReplyTo,
    out: &mut Effects<KafkaLinKv>,
    reply: impl FnOnce(BTreeMap<String, T>) -> Body,
) {
    let mut g = gather.lock();
    match result {
        Ok(v) => {
            g.got.insert(key, v);
        }
        Err(e) => {
            g.failed.get_or_insert(e);
        }
    }
    g.left = g.left.saturating_sub(1);
    if g.left == 0 {
        let got = std::mem::take(&mut g.got);
        match g.failed.take() {
            Some(e) => out.reply_error((to.0, to.1), e),
            None => out.reply((to.0, to.1), reply(got)),
        }
    }
}

fn gather<T>(left: usize) -> Arc<Mutex<Gather<T>>> {
    Arc::new(Mutex::new(Gather { left, got: BTreeMap::new(), failed: None }))
}

impl Node for KafkaLinKv {
    type Body = Body;

    fn init(_: &Init) -> Result<Self, RpcError> {
        Ok(KafkaLinKv { kv: Kv::lin() })
    }

    fn on_message(&self, msg: Message<Body>, out: &mut Out<Self>) -> Result<(), RpcError> {
        let to = (msg.src, msg.msg_id);
        match msg.body {
            Body::Send { key, msg } => self.append(out, key, msg, to, 1),
            Body::Poll { offsets } if offsets.is_empty() => {
                out.reply((to.0, to.1), Body::PollOk { msgs: BTreeMap::new() })
            }
            Body::Poll { offsets } => {
                let g = gather::<Vec<(u64, Value)>>(offsets.len());
                for (key, from) in offsets {
                    let (g, to) = (g.clone(), to.clone());
                    self.kv.read(
                        out,
                        format!("log/{key}"),
                        move |_: &Self, read: Result<Vec<Value>, RpcError>, out| {
                            let pairs = match read {
                                Ok(log) => Ok((0u64..)
                                    .zip(log)
                                    .skip(usize::try_from(from).unwrap_or(usize::MAX))
                                    .collect()),
                                Err(e) if e.code == ErrorCode::KeyDoesNotExist => Ok(Vec::new()),
                                Err(e) => Err(e),
                            };
                            finish(&g, key, pairs, to, out, |got| Body::PollOk {
                                msgs: got.into_iter().filter(|(_, p)| !p.is_empty()).collect(),
                            });
                        },
                    );
                }
            }
            Body::CommitOffsets { offsets } if offsets.is_empty() => {
                out.reply((to.0, to.1), Body::CommitOffsetsOk)
            }
            Body::CommitOffsets { offsets } => {
                let g = gather::<u64>(offsets.len());
                for (key, offset) in offsets {
                    self.commit(out, key, offset, g.clone(), to.clone());
                }
            }
            Body::ListCommittedOffsets { keys } if keys.is_empty() => {
                out.reply((to.0, to.1), Body::ListCommittedOffsetsOk { offsets: BTreeMap::new() })
            }
            Body::ListCommittedOffsets { keys } => {
                let g = gather::<Option<u64>>(keys.len());
                for key in keys {
                    let (g, to) = (g.clone(), to.clone());
                    self.kv.read(
                        out,
                        format!("commit/{key}"),
                        move |_: &Self, read: Result<u64, RpcError>, out| {
                            let result = match read {
                                Ok(c) => Ok(Some(c)),
                                Err(e) if e.code == ErrorCode::KeyDoesNotExist => Ok(None),
                                Err(e) => Err(e),
                            };
                            finish(&g, key, result, to, out, |got| Body::ListCommittedOffsetsOk {
                                offsets: got.into_iter().filter_map(|(k, c)| c.map(|c| (k, c))).collect(),
                            });
                        },
                    );
                }
            }
            Body::Replicate { .. } => return Err(RpcError::not_supported("this design does not replicate")),
            Body::SendOk { .. }
            | Body::PollOk { .. }
            | Body::CommitOffsetsOk
            | Body::ListCommittedOffsetsOk { .. } => {
                return Err(RpcError::not_supported("a reply type, not a request"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glomers_engine::testkit::TestNode;
    use serde_json::json;

    /// The msg_id and body of every message sent to lin-kv.
    fn calls(t: &TestNode<KafkaLinKv>, sent: &[glomers_engine::Outgoing<Body>]) -> Vec<(u64, String)> {
        sent.iter()
            .filter(|m| m.dest == "lin-kv")
            .map(|m| (m.msg_id.map_or(0, |id| id.0), t.body_json(m)))
            .collect()
    }

    #[test]
    fn a_send_reads_then_cas_es_and_retries_a_lost_race() {
        let mut t = TestNode::<KafkaLinKv>::new("n0", &["n0", "n1"]);
        let sent = t.request("c1", Body::Send { key: "3".into(), msg: json!(7) });
        assert_eq!(calls(&t, &sent), [(1, r#"{"type":"read","key":"log/3","msg_id":1}"#.to_string())]);
        let sent = t.reply_json(1, "lin-kv", r#"{"type":"error","code":20,"text":"missing"}"#);
        assert_eq!(
            calls(&t, &sent),
            [(
                2,
                r#"{"type":"cas","key":"log/3","from":[],"to":[7],"create_if_not_exists":true,"msg_id":2}"#
                    .into()
            )]
        );
        // Another node got there first: read again, append after its message.
        let sent = t.reply_json(2, "lin-kv", r#"{"type":"error","code":22,"text":"exists"}"#);
        assert_eq!(calls(&t, &sent)[0].1, r#"{"type":"read","key":"log/3","msg_id":3}"#);
        let sent = t.reply_json(3, "lin-kv", r#"{"type":"read_ok","value":[5]}"#);
        assert_eq!(calls(&t, &sent)[0].1, r#"{"type":"cas","key":"log/3","from":[5],"to":[5,7],"msg_id":4}"#);
        let sent = t.reply_json(4, "lin-kv", r#"{"type":"cas_ok"}"#);
        assert_eq!(t.body_json(&sent[0]), r#"{"type":"send_ok","offset":1,"in_reply_to":1}"#);
    }

    #[test]
    fn a_poll_answers_once_every_key_is_read() {
        let mut t = TestNode::<KafkaLinKv>::new("n0", &["n0"]);
        let offsets = BTreeMap::from([("1".to_string(), 1), ("2".to_string(), 0)]);
        let sent = t.request("c1", Body::Poll { offsets });
        assert_eq!(calls(&t, &sent).len(), 2);
        assert!(t.reply_json(1, "lin-kv", r#"{"type":"read_ok","value":[10,11,12]}"#).is_empty());
        let sent = t.reply_json(2, "lin-kv", r#"{"type":"error","code":20,"text":"missing"}"#);
        assert_eq!(
            t.body_json(&sent[0]),
            r#"{"type":"poll_ok","msgs":{"1":[[1,11],[2,12]]},"in_reply_to":1}"#
        );
    }

    #[test]
    fn a_commit_never_lowers_the_stored_offset() {
        let mut t = TestNode::<KafkaLinKv>::new("n0", &["n0"]);
        t.request("c1", Body::CommitOffsets { offsets: BTreeMap::from([("1".to_string(), 3)]) });
        let sent = t.reply_json(1, "lin-kv", r#"{"type":"read_ok","value":9}"#);
        assert_eq!(t.body_json(&sent[0]), r#"{"type":"commit_offsets_ok","in_reply_to":1}"#);
        assert!(calls(&t, &sent).is_empty(), "no cas: 9 is already past 3");
    }
}
