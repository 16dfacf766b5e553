//! The envelope of a Maelstrom message and the ids inside it (docs/protocol.md §2).
//!
//! `NodeId` keeps short ids inline so that copying a sender into a reply never allocates.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::sync::Arc;

/// Longest id kept inline; Maelstrom's ids (`n12`, `c4031`, `seq-kv`) are far shorter.
const INLINE: usize = 22;

/// A participant on the network: a node (`n3`), a client (`c12`) or a service (`lin-kv`).
#[derive(Clone)]
pub struct NodeId(Repr);

#[derive(Clone)]
enum Repr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Arc<str>),
}

impl NodeId {
    /// Makes an id from its text.
    pub fn new(id: &str) -> Self {
        if id.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..id.len()].copy_from_slice(id.as_bytes());
            NodeId(Repr::Inline { len: id.len() as u8, bytes })
        } else {
            NodeId(Repr::Heap(Arc::from(id)))
        }
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline { len, bytes } => {
                // Built from a &str in `new`, so the prefix is valid UTF-8 ending on a boundary.
                std::str::from_utf8(&bytes[..*len as usize]).expect("inline id holds UTF-8")
            }
            Repr::Heap(s) => s,
        }
    }

    /// Whether this id is a Maelstrom client: any id starting with `c` (§1).
    pub fn is_client(&self) -> bool {
        self.as_str().starts_with('c')
    }
}

impl std::ops::Deref for NodeId {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for NodeId {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}
impl Eq for NodeId {}
impl PartialEq<str> for NodeId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}
impl PartialEq<&str> for NodeId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
impl std::hash::Hash for NodeId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}
impl PartialOrd for NodeId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for NodeId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}
impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}
impl From<&str> for NodeId {
    fn from(s: &str) -> Self {
        NodeId::new(s)
    }
}
impl From<&NodeId> for NodeId {
    fn from(id: &NodeId) -> Self {
        id.clone()
    }
}
impl Serialize for NodeId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
impl<'de> Deserialize<'de> for NodeId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = NodeId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a node id string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<NodeId, E> {
                Ok(NodeId::new(v))
            }
        }
        d.deserialize_str(Visitor)
    }
}

/// A message number; each sender numbers its own messages (§2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MsgId(pub u64);

impl fmt::Display for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A message addressed to this node, with its body decoded into the workload's type.
#[derive(Clone, Debug, PartialEq)]
pub struct Message<B> {
    /// Who sent it; a reply goes back here.
    pub src: NodeId,
    /// This node.
    pub dest: NodeId,
    /// The sender's number for it, if it expects a reply.
    pub msg_id: Option<MsgId>,
    /// Set when the message answers one of ours.
    pub in_reply_to: Option<MsgId>,
    /// The workload body.
    pub body: B,
}

impl<B> Message<B> {
    /// Where a reply to this message goes; keep it to answer later (after a call of your own,
    /// say) with [`Effects::reply`](crate::Effects::reply).
    pub fn reply_to(&self) -> ReplyTo {
        ReplyTo { src: self.src.clone(), msg_id: self.msg_id }
    }
}

/// Where a reply goes: the request's sender and its `msg_id`. Every `reply` takes one, or
/// anything that converts into one: `&msg` (the request itself) or a `(src, msg_id)` pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyTo {
    /// The request's sender.
    pub src: NodeId,
    /// The request's number; a request without one expects no reply.
    pub msg_id: Option<MsgId>,
}

impl<B> From<&Message<B>> for ReplyTo {
    fn from(msg: &Message<B>) -> Self {
        msg.reply_to()
    }
}

impl From<&ReplyTo> for ReplyTo {
    fn from(to: &ReplyTo) -> Self {
        to.clone()
    }
}

impl From<(NodeId, Option<MsgId>)> for ReplyTo {
    fn from((src, msg_id): (NodeId, Option<MsgId>)) -> Self {
        ReplyTo { src, msg_id }
    }
}

/// This node's place in the cluster, as `init` gave it: what [`Effects::me`](crate::Effects::me)
/// and [`Effects::peers`](crate::Effects::peers) read, wherever node code runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Members {
    me: NodeId,
    all: Arc<[NodeId]>,
    peers: Arc<[NodeId]>,
}

impl Members {
    /// This node's id.
    pub fn me(&self) -> &NodeId {
        &self.me
    }

    /// Every node in the cluster, this one included, in Maelstrom's order.
    pub fn all(&self) -> &[NodeId] {
        &self.all
    }

    /// Every other node, in Maelstrom's order: cheap to hold, and iterating it yields owned
    /// ids, so `for peer in out.peers() { out.send(peer, ..) }` needs no clone.
    pub fn peers(&self) -> Peers {
        Peers(self.peers.clone())
    }
}

impl From<&Init> for Members {
    fn from(init: &Init) -> Self {
        let peers: Vec<NodeId> = init.node_ids.iter().filter(|n| **n != init.node_id).cloned().collect();
        Members { me: init.node_id.clone(), all: init.node_ids.clone().into(), peers: peers.into() }
    }
}

impl Default for Members {
    /// A node not yet initialised: no id, no cluster.
    fn default() -> Self {
        Members { me: NodeId::new(""), all: Arc::from([]), peers: Arc::from([]) }
    }
}

/// The other nodes of the cluster (see [`Members::peers`]); a slice through `Deref`.
#[derive(Clone, Debug)]
pub struct Peers(Arc<[NodeId]>);

impl std::ops::Deref for Peers {
    type Target = [NodeId];
    fn deref(&self) -> &[NodeId] {
        &self.0
    }
}

impl IntoIterator for Peers {
    type Item = NodeId;
    type IntoIter = PeersIter;
    fn into_iter(self) -> PeersIter {
        PeersIter { peers: self.0, next: 0 }
    }
}

/// The owned ids of [`Peers`], one by one.
#[derive(Debug)]
pub struct PeersIter {
    peers: Arc<[NodeId]>,
    next: usize,
}

impl Iterator for PeersIter {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        let id = self.peers.get(self.next)?.clone();
        self.next += 1;
        Some(id)
    }
}

/// The `init` message's payload (§2.3): who this node is and who else is in the cluster.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Init {
    /// This node's id.
    pub node_id: NodeId,
    /// Every node in the cluster, this one included, in Maelstrom's order.
    pub node_ids: Vec<NodeId>,
}

impl Init {
    /// An `Init` for tests and simulators.
    pub fn new(node_id: &str, node_ids: &[&str]) -> Self {
        Init { node_id: NodeId::new(node_id), node_ids: node_ids.iter().map(|n| NodeId::new(n)).collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_ids_read_back_and_compare_by_text() {
        let long = "a-very-long-node-name-that-is-not-inline-at-all";
        for text in ["n1", "c123456", "", "seq-kv", long, "ünï"] {
            let id = NodeId::new(text);
            assert_eq!(id.as_str(), text);
            assert_eq!(id, NodeId::from(text));
            assert_eq!(serde_json::to_string(&id).unwrap(), serde_json::to_string(text).unwrap());
        }
        assert!(NodeId::new("c1").is_client());
        assert!(!NodeId::new("n1").is_client());
        assert!(NodeId::new("n1") < NodeId::new("n2"));
    }
}
