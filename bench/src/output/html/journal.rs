//! The message journal (`net-journal.jsonl`) read back whole: every message with its lanes,
//! type, send time, fate (delivered, dropped, or still in flight) and its *parent*, the message
//! whose handling caused it (docs/reports.md, "Which messages an operation caused").
//!
//! The report's per-second counts and the message diagram are both made from one read.

use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Delivered at this time (ns since the run began).
    Delivered(u64),
    /// Dropped by a partition at this time.
    Dropped(u64),
    /// Still on the network when the run ended.
    InFlight,
}

/// One message of the journal.
#[derive(Debug, Clone, PartialEq)]
pub struct Msg {
    /// The network's id for it (the `id` of its journal lines).
    pub id: u64,
    /// Its sender's lane (index into [`Journal::lanes`]).
    pub src: u32,
    /// Its receiver's lane.
    pub dest: u32,
    /// Its body's `type` (index into [`Journal::types`]).
    pub ty: u32,
    /// When it was sent, ns since the run began.
    pub sent: u64,
    /// What became of it.
    pub fate: Fate,
    /// The message whose handling sent it (index into [`Journal::msgs`]), if known.
    pub parent: Option<u32>,
    /// The body as JSON text: as the journal holds it, or, when longer than [`MAX_BODY`]
    /// characters, its first ones as a JSON string (the journal keeps them whole).
    pub body: Box<str>,
}

/// The whole journal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Journal {
    /// Whether a journal was read at all.
    pub present: bool,
    /// Every endpoint named in it: nodes (`n0`, `n1`, … in numeric order), then services,
    /// then clients (`c1`, `c2`, … in numeric order).
    pub lanes: Vec<String>,
    /// Every body type seen, in order of first appearance.
    pub types: Vec<String>,
    /// Messages in the order they were sent (the first [`MAX_MESSAGES`]).
    pub msgs: Vec<Msg>,
    /// Messages in the file, kept or not.
    pub total: u64,
    /// Whether the journal records each send's cause (simulator runs do, process runs do not:
    /// then parents are inferred, see [`Journal::read`]).
    pub exact_causes: bool,
}

/// Messages kept in memory at most (about 250 bytes each): the report of a run that flooded
/// the network with millions must not take gigabytes; the counts cover every message.
pub const MAX_MESSAGES: usize = 200_000;

/// Characters of a body kept.
pub const MAX_BODY: usize = 160;

/// What the journal says of each send, for counts over the whole file.
#[derive(Debug, Clone, Copy)]
pub struct Sent<'a> {
    /// The sender's id.
    pub src: &'a str,
    /// The receiver's id.
    pub dest: &'a str,
    /// The body's type.
    pub ty: &'a str,
    /// When, ns since the run began.
    pub time: u64,
}

/// What kind of endpoint a lane is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LaneKind {
    /// A node under test (`n…`).
    Node,
    /// A service (`seq-kv`, `lin-kv`, …).
    Service,
    /// A client (`c…`).
    Client,
}

/// The kind of endpoint `name` is, by Maelstrom's naming (docs/protocol.md §1).
pub fn lane_kind(name: &str) -> LaneKind {
    let numbered = |p: char| {
        name.strip_prefix(p).is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()))
    };
    if numbered('c') {
        LaneKind::Client
    } else if numbered('n') {
        LaneKind::Node
    } else {
        LaneKind::Service
    }
}

/// A body as kept: whole when short, else its first [`MAX_BODY`] characters as a JSON string.
fn short(body: &str) -> Box<str> {
    if body.len() <= MAX_BODY {
        return body.into();
    }
    serde_json::Value::from(super::page::clip(body, MAX_BODY)).to_string().into()
}

#[derive(Deserialize)]
struct Line<'a> {
    event: &'a str,
    id: u64,
    #[serde(default)]
    time: u64,
    #[serde(default, borrow)]
    src: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    dest: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    cause: Option<u64>,
    #[serde(default, borrow)]
    body: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
struct Head<'a> {
    #[serde(rename = "type", default, borrow)]
    ty: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    msg_id: Option<u64>,
    #[serde(default)]
    in_reply_to: Option<u64>,
}

/// A message while the journal is read: what deciding its parent needs.
struct Pending {
    cause: Option<u64>,
    msg_id: Option<u64>,
    in_reply_to: Option<u64>,
    /// The last message delivered to the sender before this send.
    last_recv: Option<u32>,
}

/// Interns names into indices.
#[derive(Default)]
struct Names {
    list: Vec<String>,
    index: HashMap<String, u32>,
}

impl Names {
    fn get(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.list.len() as u32;
        self.list.push(name.to_owned());
        self.index.insert(name.to_owned(), i);
        i
    }
}

impl Journal {
    /// Reads the journal at `path`; a missing file gives an empty journal, and lines that do
    /// not parse are skipped.
    ///
    /// Each message's parent is, in order of preference: the `cause` its send line records
    /// (the simulator knows which delivery a node was handling); for a reply, the request it
    /// answers (`in_reply_to` against the receiver's `msg_id`); and, only in journals without
    /// causes (process runs, where the handler is unknown), the last message delivered to the
    /// sender before the send. Client requests have no parent.
    ///
    /// Every send goes to `on_send` and every partition drop to `on_drop`, the first
    /// [`MAX_MESSAGES`] messages and what became of them are kept.
    pub fn read(path: &Path, mut on_send: impl FnMut(Sent<'_>), mut on_drop: impl FnMut()) -> Journal {
        let Ok(f) = std::fs::File::open(path) else { return Journal::default() };
        let mut lanes = Names::default();
        let mut types = Names::default();
        let mut msgs: Vec<Msg> = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
        let mut by_id: HashMap<u64, u32> = HashMap::new();
        let mut last_recv: Vec<Option<u32>> = Vec::new();
        let mut exact_causes = false;
        let mut total = 0;
        for line in BufReader::with_capacity(1 << 20, f).lines() {
            let Ok(line) = line else { break };
            let Ok(j) = serde_json::from_str::<Line<'_>>(&line) else { continue };
            match j.event {
                "send" => {
                    let (Some(src), Some(dest), Some(body)) = (j.src, j.dest, j.body) else { continue };
                    let head: Head<'_> = serde_json::from_str(body.get()).unwrap_or_default();
                    let ty = head.ty.as_deref().unwrap_or("?");
                    on_send(Sent { src: &src, dest: &dest, ty, time: j.time });
                    total += 1;
                    if msgs.len() >= MAX_MESSAGES {
                        continue;
                    }
                    let (src, dest) = (lanes.get(&src), lanes.get(&dest));
                    last_recv.resize(lanes.list.len(), None);
                    exact_causes |= j.cause.is_some();
                    by_id.insert(j.id, msgs.len() as u32);
                    pending.push(Pending {
                        cause: j.cause,
                        msg_id: head.msg_id,
                        in_reply_to: head.in_reply_to,
                        last_recv: last_recv.get(src as usize).copied().flatten(),
                    });
                    msgs.push(Msg {
                        id: j.id,
                        src,
                        dest,
                        ty: types.get(ty),
                        sent: j.time,
                        fate: Fate::InFlight,
                        parent: None,
                        body: short(body.get()),
                    });
                }
                "recv" | "drop" => {
                    if j.event == "drop" {
                        on_drop();
                    }
                    let Some(&k) = by_id.get(&j.id) else { continue };
                    let Some(m) = msgs.get_mut(k as usize) else { continue };
                    if j.event == "recv" {
                        m.fate = Fate::Delivered(j.time);
                        if let Some(r) = last_recv.get_mut(m.dest as usize) {
                            *r = Some(k);
                        }
                    } else {
                        m.fate = Fate::Dropped(j.time);
                    }
                }
                _ => {}
            }
        }
        let mut journal =
            Journal { present: true, lanes: lanes.list, types: types.list, msgs, total, exact_causes };
        journal.link_parents(&pending, &by_id);
        journal.order_lanes();
        journal
    }

    /// Reads the journal at `path` without counting anything more.
    pub fn read_all(path: &Path) -> Journal {
        Journal::read(path, |_| {}, || {})
    }

    fn link_parents(&mut self, pending: &[Pending], by_id: &HashMap<u64, u32>) {
        // (sender, msg_id) -> the latest such message, for replies.
        let mut requests: HashMap<(u32, u64), u32> = HashMap::new();
        let kinds: Vec<LaneKind> = self.lanes.iter().map(|l| lane_kind(l)).collect();
        let exact = self.exact_causes;
        for (k, (m, p)) in self.msgs.iter_mut().zip(pending).enumerate() {
            let reply_to = p
                .in_reply_to
                .and_then(|r| requests.get(&(m.dest, r)).copied())
                .filter(|&r| pending.get(r as usize).is_some() && r < k as u32);
            let from_client = kinds.get(m.src as usize) == Some(&LaneKind::Client);
            m.parent = match p.cause.and_then(|c| by_id.get(&c).copied()) {
                Some(c) => Some(c),
                None if reply_to.is_some() => reply_to,
                None if !exact && !from_client => p.last_recv,
                None => None,
            };
            if let Some(id) = p.msg_id {
                requests.insert((m.src, id), k as u32);
            }
        }
    }

    /// Renumbers lanes: nodes, services, clients; numbered names in numeric order.
    fn order_lanes(&mut self) {
        let key = |name: &str| {
            let n: u64 = name.get(1..).and_then(|r| r.parse().ok()).unwrap_or(0);
            (lane_kind(name), n, name.to_owned())
        };
        let mut order: Vec<u32> = (0..self.lanes.len() as u32).collect();
        order.sort_by_key(|&i| key(self.lanes.get(i as usize).map_or("", String::as_str)));
        let mut new_of = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            if let Some(slot) = new_of.get_mut(old as usize) {
                *slot = new as u32;
            }
        }
        let renumber = |i: u32| new_of.get(i as usize).copied().unwrap_or(i);
        for m in &mut self.msgs {
            m.src = renumber(m.src);
            m.dest = renumber(m.dest);
        }
        self.lanes = order.iter().filter_map(|&i| self.lanes.get(i as usize).cloned()).collect();
    }

    /// A lane's name.
    pub fn lane(&self, i: u32) -> &str {
        self.lanes.get(i as usize).map_or("?", String::as_str)
    }

    /// A type's name.
    pub fn type_name(&self, i: u32) -> &str {
        self.types.get(i as usize).map_or("?", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(lines: &[&str]) -> Journal {
        let path = std::env::temp_dir().join(format!(
            "glomers-journal-{}-{}.jsonl",
            std::process::id(),
            lines.len()
        ));
        let _ = std::fs::write(&path, lines.join("\n"));
        let j = Journal::read_all(&path);
        let _ = std::fs::remove_file(&path);
        j
    }

    /// (src, dest, parent's journal id) of each message.
    fn links(j: &Journal) -> Vec<(&str, &str, Option<u64>)> {
        j.msgs
            .iter()
            .map(|m| {
                let parent = m.parent.and_then(|p| j.msgs.get(p as usize)).map(|p| p.id);
                (j.lane(m.src), j.lane(m.dest), parent)
            })
            .collect()
    }

    #[test]
    fn recorded_causes_win_and_timer_sends_start_their_own_chain() {
        let j = read(&[
            r#"{"event":"send","id":0,"time":0,"src":"c3","dest":"n1","body":{"type":"broadcast","msg_id":1}}"#,
            r#"{"event":"recv","id":0,"time":5}"#,
            r#"{"event":"send","id":1,"time":5,"src":"n1","dest":"n0","cause":0,"body":{"type":"gossip"}}"#,
            r#"{"event":"send","id":2,"time":5,"src":"n1","dest":"c3","cause":0,"body":{"type":"broadcast_ok","in_reply_to":1}}"#,
            r#"{"event":"drop","id":1,"time":9}"#,
            // A tick's send: no cause, though n1 received message 0 before it.
            r#"{"event":"send","id":3,"time":50,"src":"n1","dest":"n0","body":{"type":"gossip"}}"#,
            r#"{"event":"send","id":4,"time":60,"src":"n0","dest":"lin-kv","cause":3,"body":{"type":"read","msg_id":7}}"#,
            r#"{"event":"send","id":5,"time":61,"src":"lin-kv","dest":"n0","body":{"type":"read_ok","in_reply_to":7}}"#,
            "not json",
        ]);
        assert!(j.exact_causes);
        assert_eq!(j.lanes, ["n0", "n1", "lin-kv", "c3"], "nodes, services, clients");
        assert_eq!(
            links(&j),
            [
                ("c3", "n1", None),
                ("n1", "n0", Some(0)),
                ("n1", "c3", Some(0)),
                ("n1", "n0", None),
                ("n0", "lin-kv", Some(3)),
                ("lin-kv", "n0", Some(4)),
            ]
        );
        let fates: Vec<Fate> = j.msgs.iter().map(|m| m.fate).collect();
        assert_eq!(fates[..3], [Fate::Delivered(5), Fate::Dropped(9), Fate::InFlight]);
    }

    #[test]
    fn without_causes_a_send_is_blamed_on_the_last_delivery_to_its_sender() {
        let j = read(&[
            r#"{"event":"send","id":0,"time":0,"src":"c1","dest":"n0","body":{"type":"add","msg_id":1}}"#,
            r#"{"event":"send","id":1,"time":1,"src":"n0","dest":"n1","body":{"type":"gossip"}}"#,
            r#"{"event":"recv","id":0,"time":2}"#,
            r#"{"event":"send","id":2,"time":3,"src":"n0","dest":"n1","body":{"type":"gossip"}}"#,
            r#"{"event":"send","id":3,"time":4,"src":"n0","dest":"c1","body":{"type":"add_ok","in_reply_to":1}}"#,
            r#"{"event":"send","id":4,"time":5,"src":"c1","dest":"n0","body":{"type":"read","msg_id":2}}"#,
        ]);
        assert!(!j.exact_causes);
        assert_eq!(
            links(&j),
            [
                ("c1", "n0", None),
                ("n0", "n1", None),
                ("n0", "n1", Some(0)),
                ("n0", "c1", Some(0)),
                ("c1", "n0", None),
            ],
            "before the first delivery nothing; a client's request never has a parent"
        );
    }

    #[test]
    fn a_missing_journal_is_empty_and_lanes_are_classified_by_name() {
        let j = Journal::read_all(Path::new("/nonexistent/net-journal.jsonl"));
        assert!(!j.present && j.msgs.is_empty());
        assert_eq!(
            ["n12", "c7", "seq-kv", "c", "nx"].map(lane_kind),
            [LaneKind::Node, LaneKind::Client, LaneKind::Service, LaneKind::Service, LaneKind::Service]
        );
    }
}
