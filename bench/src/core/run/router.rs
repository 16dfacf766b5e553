//! The router: the simulated network, who is on it ([`Endpoints`]) and the message journal.
//!
//! Invariants it owns:
//! - every message goes into the network through [`Router::send_raw`], which journals it
//!   (`send`, with the id the network gives it) before the partition check, so dropped messages
//!   still count as sent (docs/protocol.md §3.3); every delivery is journaled `recv` and every
//!   partition drop `drop`, so the journal replays the network exactly;
//! - node `i`'s endpoint is `node_eps[i]`, registered first and in node order, so a
//!   [`NodeIdx`] handed out by the run always names an endpoint.
//!
//! The journal is JSON lines: `{"event":"send","id","time","src","dest","body"}` for each send
//! (plus `"cause"`, the id of the message whose handler sent it, when the shell knows it),
//! `{"event":"recv"|"drop","id","time"}` for each delivery or partition drop, times in ns since
//! the run began.
//!
//! Beside the network's message counts it weighs what was sent ([`SentBytes`]): each message as
//! the line its receiver reads ([`wire::line_len`]), counted with the message, before the
//! partition check.

use super::endpoints::{Endpoints, Owner};
use super::NodeIdx;
use crate::core::wire::{self, Body};
use glomers_harness::net::{Ep, Net, NetStats, Packet, Role};
use std::time::Duration;

/// Bytes sent per statistics group (docs/protocol.md §3.3), each message weighed as the line
/// its receiver reads, `{"id":..,"src":..,"dest":..,"body":..}` and its newline: the same in
/// process mode and in the simulator, since bodies are forwarded byte for byte.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SentBytes {
    /// Every message.
    pub all: u64,
    /// Messages with a client at either end.
    pub clients: u64,
    /// Messages with no client at either end (node↔node, node↔service).
    pub servers: u64,
}

/// The network, its endpoints and the journal of everything that crossed it.
pub struct Router {
    net: Net<Box<str>>,
    eps: Endpoints,
    node_eps: Vec<Ep>,
    /// Per node: deliveries held because its stdin is backed up, or because it is paused.
    held: Vec<(bool, bool)>,
    /// Per node: killed, not yet restarted.
    down: Vec<bool>,
    /// Whether a message to a client that has gone away is dropped rather than an error: under
    /// the kill and pause nemeses, a node that was paused (or whose request was cut short)
    /// answers late as a matter of course.
    late_answers_dropped: bool,
    journal: Vec<u8>,
    bytes: SentBytes,
}

impl Router {
    /// A router over `net` with one endpoint per node name, in order.
    pub fn new(mut net: Net<Box<str>>, nodes: &[String]) -> Self {
        let mut eps = Endpoints::default();
        let node_eps = nodes
            .iter()
            .enumerate()
            .map(|(i, name)| eps.add(&mut net, name.clone(), Role::Node, Owner::Node(NodeIdx(i))))
            .collect();
        let n = nodes.len();
        Router {
            net,
            eps,
            node_eps,
            held: vec![(false, false); n],
            down: vec![false; n],
            late_answers_dropped: false,
            journal: Vec::new(),
            bytes: SentBytes::default(),
        }
    }

    /// Drops messages to clients that have gone away instead of refusing the node's output
    /// (for the kill and pause nemeses, which make late answers normal; §5.3).
    pub fn drop_late_answers(&mut self) {
        self.late_answers_dropped = true;
    }

    /// Registers service `i` under `name`.
    pub fn add_service(&mut self, name: &str, i: usize) {
        self.eps.add(&mut self.net, name.to_owned(), Role::Service, Owner::Service(i));
    }

    /// Node `i`'s endpoint.
    ///
    /// # Panics
    /// `i` is not a node of this run: a bug, since only the run hands out node indices.
    pub fn node_ep(&self, i: NodeIdx) -> Ep {
        *self.node_eps.get(i.0).expect("node index from Run")
    }

    /// Node `i`'s id.
    ///
    /// # Panics
    /// As [`Router::node_ep`].
    pub fn node_name(&self, i: NodeIdx) -> &str {
        self.eps.name(self.node_ep(i))
    }

    /// Opens a client with the next id `c<k>`.
    pub fn add_client(&mut self, owner: Owner) -> Ep {
        self.eps.add_client(&mut self.net, owner)
    }

    /// Closes a client: later messages to its id have an unknown `dest`.
    pub fn close(&mut self, ep: Ep) {
        self.eps.close(ep);
    }

    /// An endpoint's id.
    pub fn name(&self, ep: Ep) -> &str {
        self.eps.name(ep)
    }

    /// An endpoint's owner.
    pub fn owner(&self, ep: Ep) -> Option<Owner> {
        self.eps.owner(ep)
    }

    /// Routes a line node `from` wrote: parses it and sends its body on, byte for byte.
    ///
    /// # Errors
    /// Why the line cannot be routed, in plain words (§2.1: the node goes deaf).
    /// `cause`, when known, is the journal id of the message the node was handling.
    pub fn route_line(&mut self, now: Duration, line: &[u8], cause: Option<u64>) -> Result<(), String> {
        let msg = wire::parse_line(line)
            .map_err(|e| format!("wrote a line that is not a valid protocol message ({e})"))?;
        match (self.eps.lookup(&msg.src), self.eps.lookup(&msg.dest)) {
            (Some(src), Some(dest)) => {
                let body: Box<str> = msg.body.get().into();
                self.send_caused(now, src, dest, body, cause);
                Ok(())
            }
            (None, _) => Err(format!("sent a message from an unknown src {:?}", msg.src)),
            (_, None) if self.late_answers_dropped && self.eps.closed_owner(&msg.dest).is_some() => Ok(()),
            (_, None) => Err(self.explain_unknown_dest(&msg.dest, &msg.msg_type)),
        }
    }

    fn explain_unknown_dest(&self, dest: &str, msg_type: &str) -> String {
        match self.eps.closed_owner(dest) {
            Some(Owner::Init(_)) => {
                format!("sent {msg_type} to {dest}, the init client, which closed after init_ok")
            }
            Some(_) => format!(
                "sent {msg_type} to {dest}, a client that has gone away (its request timed out \
                 or failed and it was replaced)"
            ),
            None => format!("sent {msg_type} to {dest:?}, which is not on the network"),
        }
    }

    /// Sends a raw body through the network, journaling it first.
    pub fn send_raw(&mut self, now: Duration, src: Ep, dest: Ep, body: Box<str>) {
        self.send_caused(now, src, dest, body, None);
    }

    fn send_caused(&mut self, now: Duration, src: Ep, dest: Ep, body: Box<str>, cause: Option<u64>) {
        let id = self.net.next_id();
        self.weigh(id, src, dest, &body);
        let cause = cause.map_or(String::new(), |c| format!(",\"cause\":{c}"));
        let line = format!(
            "{{\"event\":\"send\",\"id\":{},\"time\":{},\"src\":{},\"dest\":{}{cause},\"body\":{body}}}\n",
            id,
            now.as_nanos(),
            serde_json::Value::from(self.eps.name(src)),
            serde_json::Value::from(self.eps.name(dest)),
        );
        self.journal.extend_from_slice(line.as_bytes());
        self.net.send(now, src, dest, body);
        self.journal_drops(now);
    }

    /// Adds message `id`'s line to the bytes sent, in its group as the network counts it (a
    /// client at either end, or none); a message with an unknown end is counted nowhere.
    fn weigh(&mut self, id: u64, src: Ep, dest: Ep, body: &str) {
        let (Some(rs), Some(rd)) = (self.net.role(src), self.net.role(dest)) else { return };
        let n = wire::line_len(id, self.eps.name(src), self.eps.name(dest), body);
        self.bytes.all += n;
        if rs == Role::Client || rd == Role::Client {
            self.bytes.clients += n;
        } else {
            self.bytes.servers += n;
        }
    }

    /// Sends a decoded body.
    pub fn send_body(&mut self, now: Duration, src: Ep, dest: Ep, body: &Body) {
        self.send_raw(now, src, dest, wire::encode_body(body).into());
    }

    /// The next message due at or before `now`, journaled as received.
    pub fn poll(&mut self, now: Duration) -> Option<Packet<Box<str>>> {
        let p = self.net.poll(now)?;
        self.journal_event("recv", p.id, now);
        self.journal_drops(now);
        Some(p)
    }

    fn journal_drops(&mut self, now: Duration) {
        for id in self.net.take_dropped() {
            self.journal_event("drop", id, now);
        }
    }

    fn journal_event(&mut self, event: &str, id: u64, now: Duration) {
        let line = format!("{{\"event\":\"{event}\",\"id\":{id},\"time\":{}}}\n", now.as_nanos());
        self.journal.extend_from_slice(line.as_bytes());
    }

    /// When the next message falls due, if any is in flight.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.net.next_deadline()
    }

    /// Whether messages charged to node `i` fill its share of the network (see
    /// [`Net::backlog`]): the shell should stop reading that node until they drain.
    pub fn is_backlogged(&self, i: NodeIdx) -> bool {
        self.net.backlog(self.node_ep(i)) >= super::MAX_BACKLOG
    }

    /// Holds (or releases) deliveries to node `i` while its stdin is backed up.
    pub fn hold(&mut self, i: NodeIdx, held: bool) {
        if let Some(h) = self.held.get_mut(i.0) {
            h.0 = held;
        }
        self.apply_hold(i);
    }

    /// Holds deliveries to node `i` while it is paused (they wait, in order, until it resumes).
    pub fn pause(&mut self, i: NodeIdx, paused: bool) {
        if let Some(h) = self.held.get_mut(i.0) {
            h.1 = paused;
        }
        self.apply_hold(i);
    }

    fn apply_hold(&mut self, i: NodeIdx) {
        let (backed_up, paused) = self.held.get(i.0).copied().unwrap_or_default();
        let ep = self.node_ep(i);
        self.net.hold(ep, backed_up || paused);
    }

    /// Takes node `i` down (killed) or brings it back (restarted): going down loses every
    /// message in flight to or from it, journaled as dropped, and while down what is sent to it
    /// is dropped too.
    pub fn set_down(&mut self, now: Duration, i: NodeIdx, down: bool) {
        if let Some(d) = self.down.get_mut(i.0) {
            *d = down;
        }
        let ep = self.node_ep(i);
        self.net.set_down(ep, down);
        self.journal_drops(now);
    }

    /// Whether node `i` is killed and not yet restarted.
    pub fn is_down(&self, i: NodeIdx) -> bool {
        self.down.get(i.0).copied().unwrap_or(false)
    }

    /// Partitions the nodes: each receiver drops messages from its listed senders.
    pub fn set_grudge(&mut self, grudge: &[(NodeIdx, Vec<NodeIdx>)]) {
        let eps: Vec<(Ep, Vec<Ep>)> = grudge
            .iter()
            .map(|(r, senders)| (self.node_ep(*r), senders.iter().map(|s| self.node_ep(*s)).collect()))
            .collect();
        self.net.set_grudge(&eps);
    }

    /// Heals every partition.
    pub fn heal(&mut self) {
        self.net.heal();
    }

    /// Journal lines since the last call.
    pub fn take_journal(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.journal)
    }

    /// Network statistics.
    pub fn stats(&self) -> NetStats {
        self.net.stats()
    }

    /// Bytes sent so far.
    pub fn bytes(&self) -> SentBytes {
        self.bytes
    }
}
