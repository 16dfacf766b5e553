//! Many nodes in one test: every message a node sends to another node or to a service goes
//! through the harness's simulated network (the workbench's own, docs/protocol.md §3), and time
//! moves from event to event.
//!
//! Latency is constant or, with `jitter`, uniform in `[0, 2·latency)` whole milliseconds
//! (Maelstrom's uniform distribution, §3.1), which reorders messages; `duplicate_every` delivers
//! about one message in n twice. As in Maelstrom (§3.2), a message is dropped when it is taken for
//! delivery across a cut pair, and each receiver takes its messages in deadline order. Messages to
//! `seq-kv`, `lin-kv`, `lww-kv` and `lin-tso` are answered by the harness's `Services` (stale
//! `seq-kv` included): a request and its reply each take one latency, and services are never
//! partitioned. Messages to anyone else (clients) are collected as `Delivered` for the test to
//! read.

use super::TestNode;
use crate::message::{Message, MsgId, NodeId};
use crate::node::{Node, Outgoing, Payload};
use glomers_harness::net::{Ep, Latency, LatencyDist, Net, NetFaults, Packet, Role};
use glomers_harness::services::{Services, NAMES};
use glomers_harness::Rng;
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// A message that left the cluster (to a client), with when and who sent it.
#[derive(Debug)]
pub struct Delivered<B> {
    /// When it was sent.
    pub at: Duration,
    /// The node that sent it.
    pub from: NodeId,
    /// The message.
    pub msg: Outgoing<B>,
}

/// A cluster of nodes of one type under a fake clock.
pub struct Cluster<N: Node> {
    nodes: BTreeMap<NodeId, TestNode<N>>,
    now: Duration,
    net: Net<Outgoing<N::Body>>,
    /// Each endpoint's name, by index: the nodes, then the services.
    names: Vec<NodeId>,
    latency: Latency,
    faults: NetFaults,
    services: Services,
    cut: HashSet<(NodeId, NodeId)>,
    outside: Vec<Delivered<N::Body>>,
    /// Messages sent between nodes, dropped ones included (Maelstrom's count, §3.3).
    pub sent_between_nodes: u64,
    /// Messages between nodes that a partition dropped.
    pub dropped: u64,
    /// Messages between nodes and services, both ways (also Maelstrom's servers count, §3.3).
    pub sent_with_services: u64,
}

impl<N: Node> Cluster<N>
where
    N::Body: Clone,
{
    /// Nodes `n0`…`n(count-1)`, initialised at time zero, with constant `latency` (whole
    /// milliseconds).
    pub fn new(count: usize, latency: Duration) -> Self {
        let names: Vec<String> = (0..count).map(|i| format!("n{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let nodes = refs.iter().map(|n| (NodeId::new(n), TestNode::new(n, &refs))).collect();
        let latency = Latency { dist: LatencyDist::Constant, mean_ms: latency.as_millis() as u64 };
        let mut c = Cluster {
            nodes,
            now: Duration::ZERO,
            net: Net::new(latency, Rng::new(0)),
            names: Vec::new(),
            latency,
            faults: NetFaults::default(),
            services: Services::new(&mut Rng::new(0)),
            cut: HashSet::new(),
            outside: Vec::new(),
            sent_between_nodes: 0,
            dropped: 0,
            sent_with_services: 0,
        };
        c.rebuild_net(Rng::new(0));
        c
    }

    /// Puts on the network what each node's `on_start` sent, once: at the first request or
    /// run, so that the builders (`with_jitter`, ...) have set the network up by then.
    fn started(&mut self) {
        let ids: Vec<NodeId> = self.nodes.keys().cloned().collect();
        for id in ids {
            let startup = self.nodes.get_mut(&id).map(TestNode::take_startup).unwrap_or_default();
            self.route(&id, startup);
        }
    }

    /// A fresh network with the current settings and every node and service on it.
    fn rebuild_net(&mut self, rng: Rng) {
        self.net = Net::new(self.latency, rng);
        self.net.set_faults(self.faults);
        self.names.clear();
        for id in self.nodes.keys() {
            self.net.add(Role::Node);
            self.names.push(id.clone());
        }
        for name in NAMES {
            self.net.add(Role::Service);
            self.names.push(NodeId::new(name));
        }
    }

    /// Answers service calls with `services` (say, seeded differently).
    pub fn with_services(mut self, services: Services) -> Self {
        self.services = services;
        self
    }

    /// The services, to inspect what they hold.
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Draws latencies uniformly from `[0, 2·latency)` with this seed, reordering messages.
    pub fn with_jitter(mut self, seed: u64) -> Self {
        self.latency.dist = LatencyDist::Uniform;
        self.rebuild_net(Rng::new(seed));
        self
    }

    /// Delivers about one message in `n` between servers twice.
    pub fn with_duplicates(mut self, n: u64) -> Self {
        self.faults.duplicate = 1.0 / n.max(1) as f64;
        self.net.set_faults(self.faults);
        self
    }

    /// The node named `id`.
    ///
    /// # Panics
    /// If there is no such node.
    pub fn node(&self, id: &str) -> &N {
        self.nodes.get(&NodeId::new(id)).map(TestNode::node).unwrap_or_else(|| panic!("no node {id}"))
    }

    /// Every node's id.
    pub fn ids(&self) -> Vec<NodeId> {
        self.nodes.keys().cloned().collect()
    }

    /// The fake clock.
    pub fn now(&self) -> Duration {
        self.now
    }

    /// Cuts traffic between the two groups of nodes, both ways (a Maelstrom partition, §5.3);
    /// services named in a group stay reachable, as they are never partitioned.
    pub fn partition(&mut self, a: &[&str], b: &[&str]) {
        for x in a {
            for y in b {
                self.cut.insert((NodeId::new(x), NodeId::new(y)));
                self.cut.insert((NodeId::new(y), NodeId::new(x)));
            }
        }
        self.apply_cut();
    }

    /// Removes every cut.
    pub fn heal(&mut self) {
        self.cut.clear();
        self.net.heal();
    }

    /// Hands the cut pairs between nodes to the network as each receiver's grudge.
    fn apply_cut(&mut self) {
        let node_ep = |id: &NodeId| self.nodes.keys().position(|n| n == id).map(|i| Ep(i as u32));
        let mut grudge: BTreeMap<Ep, Vec<Ep>> = BTreeMap::new();
        for (from, to) in &self.cut {
            if let (Some(f), Some(t)) = (node_ep(from), node_ep(to)) {
                grudge.entry(t).or_default().push(f);
            }
        }
        self.net.set_grudge(&grudge.into_iter().collect::<Vec<_>>());
    }

    /// A client request to node `to` (clients have no latency, §3.1); returns what the node
    /// sent outside the cluster in direct response.
    pub fn request(&mut self, client: &str, to: &str, body: N::Body) -> Vec<Outgoing<N::Body>> {
        self.started();
        let before = self.outside.len();
        let id = NodeId::new(to);
        self.catch_up(&id);
        let Some(node) = self.nodes.get_mut(&id) else { panic!("no node {to}") };
        let sent = node.request(client, body);
        self.route(&id, sent);
        self.outside.drain(before..).map(|d| d.msg).collect()
    }

    /// Runs until `by` has passed: deliveries, ticks and timeouts in time order.
    pub fn run_for(&mut self, by: Duration) {
        self.started();
        let until = self.now + by;
        loop {
            let delivery = self.net.next_deadline();
            let timer = self.nodes.values().filter_map(TestNode::next_event).min();
            let Some(next) = [delivery, timer].into_iter().flatten().min().filter(|t| *t <= until) else {
                break;
            };
            self.now = self.now.max(next);
            if delivery == Some(next) {
                if let Some(packet) = self.net.poll(self.now) {
                    self.deliver(packet);
                }
            } else {
                let ids: Vec<NodeId> = self.nodes.keys().cloned().collect();
                for id in ids {
                    if self.nodes.get(&id).and_then(TestNode::next_event).is_some_and(|t| t <= self.now) {
                        self.catch_up(&id);
                    }
                }
            }
            self.dropped += self.net.take_dropped().len() as u64;
        }
        self.now = until;
    }

    /// Everything sent outside the cluster so far, in order, and forgets it.
    pub fn take_outside(&mut self) -> Vec<Delivered<N::Body>> {
        std::mem::take(&mut self.outside)
    }

    fn name(&self, ep: Ep) -> Option<NodeId> {
        self.names.get(ep.0 as usize).cloned()
    }

    fn ep(&self, name: &str) -> Option<Ep> {
        self.names.iter().position(|n| n == name).map(|i| Ep(i as u32))
    }

    fn deliver(&mut self, packet: Packet<Outgoing<N::Body>>) {
        let (Some(from), Some(to)) = (self.name(packet.src), self.name(packet.dest)) else { return };
        let msg = packet.payload;
        if Services::is_service(&to) {
            self.serve(from, to, msg);
            return;
        }
        if Services::is_service(&from) {
            // A service's reply: it goes to the call's continuation (or nowhere, if the call
            // already timed out).
            let (Some(id), Payload::Json(body)) = (msg.in_reply_to, msg.payload) else { return };
            self.catch_up(&to);
            let Some(node) = self.nodes.get_mut(&to) else { return };
            let sent = node.reply_json(id.0, &from, &body);
            self.route(&to, sent);
            return;
        }
        self.catch_up(&to);
        let Some(node) = self.nodes.get_mut(&to) else { return };
        let sent = match msg.payload {
            Payload::Body(body) => node.deliver(Message {
                src: from,
                dest: to.clone(),
                msg_id: msg.msg_id,
                in_reply_to: msg.in_reply_to,
                body,
            }),
            // Sent as another type (or an error): the node reads it as the wire would carry it.
            other => match other.to_json() {
                Ok(json) => node.deliver_json(&from, msg.msg_id, msg.in_reply_to, &json),
                Err(_) => return,
            },
        };
        self.route(&to, sent);
    }

    /// Lets `service` handle a request from node `from` and sends its reply back, after one
    /// more latency.
    fn serve(&mut self, from: NodeId, service: NodeId, msg: Outgoing<N::Body>) {
        let body = match &msg.payload {
            Payload::Json(json) => serde_json::from_str::<serde_json::Value>(json).ok(),
            Payload::Body(body) => serde_json::to_value(body).ok(),
            Payload::Error(_) | Payload::InitOk => None,
        };
        let Some(serde_json::Value::Object(mut body)) = body else { return };
        if let Some(id) = msg.msg_id {
            body.insert("msg_id".into(), id.0.into());
        }
        let Some(reply) = self.services.handle(&service, &from, &body) else { return };
        let in_reply_to = reply.get("in_reply_to").and_then(serde_json::Value::as_u64).map(MsgId);
        let json = serde_json::Value::Object(reply).to_string();
        let back = Outgoing { dest: from, msg_id: None, in_reply_to, payload: Payload::Json(json) };
        self.sent_with_services += 1;
        self.send(&service, back);
    }

    /// Brings a node's clock to the cluster's, routing whatever its timers send on the way.
    fn catch_up(&mut self, id: &NodeId) {
        let Some(node) = self.nodes.get_mut(id) else { return };
        let sent = node.advance(self.now.saturating_sub(node.now()));
        self.route(id, sent);
    }

    fn route(&mut self, from: &NodeId, sent: Vec<Outgoing<N::Body>>) {
        for msg in sent {
            if Services::is_service(&msg.dest) {
                self.sent_with_services += 1;
            } else if self.nodes.contains_key(&msg.dest) {
                self.sent_between_nodes += 1;
            } else {
                self.outside.push(Delivered { at: self.now, from: from.clone(), msg });
                continue;
            }
            self.send(from, msg);
        }
    }

    /// Puts `msg` from `from` on the network.
    fn send(&mut self, from: &NodeId, msg: Outgoing<N::Body>) {
        if let (Some(src), Some(dest)) = (self.ep(from), self.ep(&msg.dest)) {
            self.net.send(self.now, src, dest, msg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Calls `seq-kv` on request and records when, and with what, the reply came.
    #[derive(Default)]
    struct Probe {
        answers: parking_lot::Mutex<Vec<(Duration, Result<(), crate::ErrorCode>)>>,
    }

    #[derive(Clone, serde::Serialize, serde::Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Body {
        Go,
    }

    impl Node for Probe {
        type Body = Body;
        fn init(_: &crate::Init) -> Result<Self, crate::RpcError> {
            Ok(Probe::default())
        }
        fn on_message(&self, _: Message<Body>, out: &mut crate::Out<Self>) -> Result<(), crate::RpcError> {
            crate::Kv::seq().write(out, "k", 1, |p: &Probe, r, out| {
                p.answers.lock().push((out.now(), r.map_err(|e| e.code)))
            });
            Ok(())
        }
    }

    #[test]
    fn services_answer_after_two_latencies_even_across_a_partition() {
        let mut c = Cluster::<Probe>::new(2, Duration::from_millis(30));
        c.partition(&["n0"], &["n1", "seq-kv", "lin-kv"]);
        c.request("c1", "n0", Body::Go);
        c.run_for(Duration::from_secs(2));
        assert_eq!(*c.node("n0").answers.lock(), [(Duration::from_millis(60), Ok(()))]);
        assert_eq!(c.sent_with_services, 2);
        let stored = c.services().seq_kv().and_then(|kv| kv.latest_value(&json!("k")).cloned());
        assert_eq!(stored, Some(json!(1)));
        assert!(c.take_outside().is_empty(), "service traffic never leaves the cluster");
    }
}
