//! The simulated network (docs/protocol.md §3): a sans-IO value driven by a seeded RNG and a
//! `now` passed in by the caller. The workbench routes every message of a run through it, and the
//! engine's testkit routes its clusters' messages through it.
//!
//! Each receiver has a queue ordered by deadline and, like Maelstrom's delivery thread, holds at
//! most one message "in hand": the earliest one, taken as soon as the receiver is idle, and
//! checked against the partition at that moment (§3.2). Statistics follow §3.3.
//!
//! Two hooks let a shell bound its memory without dropping anything: [`Net::backlog`] counts the
//! messages in flight charged to an endpoint (so the shell can stop reading a node that floods),
//! and [`Net::hold`] keeps a receiver's message in hand past its deadline (so the shell can stop
//! writing to a node that does not read). Neither changes a run that never uses them.

use crate::Rng;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

/// Index of an endpoint (node, client or service) on the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ep(pub u32);

impl Ep {
    fn at(self) -> usize {
        self.0 as usize
    }
}

/// What kind of party an endpoint is; it decides latency and statistics groups (§1, §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A server node process.
    Node,
    /// A Maelstrom client: latency 0, excluded from `:servers`.
    Client,
    /// A service (`lin-kv`, ...): counted with the servers.
    Service,
}

/// The shape of the latency distribution (`--latency-dist`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatencyDist {
    /// Exactly the mean.
    Constant,
    /// An integer uniform in `[0, 2·mean)`.
    Uniform,
    /// Exponential with the given mean, cut to whole ms.
    Exponential,
}

/// Latency settings: a distribution and its mean in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    /// The distribution.
    pub dist: LatencyDist,
    /// The mean in milliseconds (`--latency`).
    pub mean_ms: u64,
}

impl Latency {
    /// Draws one latency.
    pub fn draw(&self, rng: &mut Rng) -> Duration {
        let ms = match self.dist {
            LatencyDist::Constant => self.mean_ms,
            LatencyDist::Uniform => rng.below(2 * self.mean_ms),
            LatencyDist::Exponential => {
                let u = rng.unit();
                (-(self.mean_ms as f64) * (1.0 - u).ln()).floor() as u64
            }
        };
        Duration::from_millis(ms)
    }
}

/// Send and receive counts of one statistics group (§3.3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Messages sent (counted before the partition check).
    pub send: u64,
    /// Messages delivered.
    pub recv: u64,
}

/// The three groups of §3.3.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Every message.
    pub all: Counts,
    /// Messages with a client at either end.
    pub clients: Counts,
    /// Messages with no client at either end (node↔node, node↔service).
    pub servers: Counts,
}

/// Faults of the network itself beyond Maelstrom's, each off by default (the simulator's
/// `--duplicate` and `--reorder`); they apply to messages between servers only.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NetFaults {
    /// Probability that a message is delivered twice; the copy trails by a fresh latency draw.
    pub duplicate: f64,
    /// Up to this much extra delay, uniform, on each message, so that later messages overtake
    /// earlier ones even at constant latency.
    pub reorder: Duration,
}

impl NetFaults {
    /// Whether any fault is on.
    pub fn any(&self) -> bool {
        *self != NetFaults::default()
    }
}

/// A message in flight.
#[derive(Debug)]
pub struct Packet<P> {
    /// Network-wide message id, from 0.
    pub id: u64,
    /// Sender.
    pub src: Ep,
    /// Receiver.
    pub dest: Ep,
    /// When it is due.
    pub deadline: Duration,
    /// What it carries.
    pub payload: P,
}

struct Inbox<P> {
    queue: BinaryHeap<Reverse<Queued<P>>>,
    in_hand: Option<Packet<P>>,
    /// Senders this receiver drops (the nemesis's grudge), by endpoint index; missing = kept.
    grudge: Vec<bool>,
    /// Deliveries to this receiver wait (see [`Net::hold`]).
    held: bool,
    /// The message in hand fell due while held, and left `due` until the hold ends.
    parked: bool,
    /// Messages in flight charged to this endpoint (see [`Net::backlog`]).
    charged: u32,
    /// The endpoint is down (its process killed): everything sent to it is lost.
    down: bool,
}

struct Queued<P>(Packet<P>);

impl<P> PartialEq for Queued<P> {
    fn eq(&self, other: &Self) -> bool {
        (self.0.deadline, self.0.id) == (other.0.deadline, other.0.id)
    }
}
impl<P> Eq for Queued<P> {}
impl<P> PartialOrd for Queued<P> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<P> Ord for Queued<P> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0.deadline, self.0.id).cmp(&(other.0.deadline, other.0.id))
    }
}

/// The simulated network.
pub struct Net<P> {
    roles: Vec<Role>,
    inboxes: Vec<Inbox<P>>,
    /// Receivers holding a message in hand, by that message's deadline.
    due: BinaryHeap<Reverse<(Duration, u64, Ep)>>,
    latency: Latency,
    rng: Rng,
    next_id: u64,
    stats: NetStats,
    dropped: Vec<u64>,
    faults: NetFaults,
}

impl<P> Net<P> {
    /// An empty network.
    pub fn new(latency: Latency, rng: Rng) -> Self {
        Net {
            roles: Vec::new(),
            inboxes: Vec::new(),
            due: BinaryHeap::new(),
            latency,
            rng,
            next_id: 0,
            stats: NetStats::default(),
            dropped: Vec::new(),
            faults: NetFaults::default(),
        }
    }

    /// Turns on the network's extra faults (duplication, reordering); off by default.
    pub fn set_faults(&mut self, faults: NetFaults) {
        self.faults = faults;
    }

    /// Adds an endpoint and returns its index.
    pub fn add(&mut self, role: Role) -> Ep {
        self.roles.push(role);
        // Grudges start empty and grow only when set: clients come and go all run long.
        self.inboxes.push(Inbox {
            queue: BinaryHeap::new(),
            in_hand: None,
            grudge: Vec::new(),
            held: false,
            parked: false,
            charged: 0,
            down: false,
        });
        Ep((self.roles.len() - 1) as u32)
    }

    /// The role of an endpoint.
    pub fn role(&self, ep: Ep) -> Option<Role> {
        self.roles.get(ep.at()).copied()
    }

    /// Sends a message at `now`; returns its id. Unknown endpoints are the caller's bug and the
    /// message is dropped silently.
    pub fn send(&mut self, now: Duration, src: Ep, dest: Ep, payload: P) -> u64
    where
        P: Clone,
    {
        let id = self.next_id;
        self.next_id += 1;
        let (Some(rs), Some(rd)) = (self.role(src), self.role(dest)) else {
            return id;
        };
        let client = rs == Role::Client || rd == Role::Client;
        let payer = if rs == Role::Service { dest } else { src };
        let latency = if client { Duration::ZERO } else { self.latency.draw(&mut self.rng) };
        self.stats.all.send += 1;
        if client {
            self.stats.clients.send += 1;
        } else {
            self.stats.servers.send += 1;
        }
        let mut deadline = now + latency;
        if !client && self.faults.any() {
            // Random draws only when a fault is on, so a run without faults is Maelstrom's.
            if !self.faults.reorder.is_zero() {
                deadline += Duration::from_nanos(self.rng.below(self.faults.reorder.as_nanos() as u64 + 1));
            }
            if self.faults.duplicate > 0.0 && self.rng.unit() < self.faults.duplicate {
                // The duplicate trails the original by a fresh latency draw.
                let late = deadline + self.latency.draw(&mut self.rng);
                let copy = Packet { id, src, dest, deadline: late, payload: payload.clone() };
                if let Some(inbox) = self.inboxes.get_mut(dest.at()) {
                    inbox.queue.push(Reverse(Queued(copy)));
                }
                self.charge(payer, true);
            }
        }
        let packet = Packet { id, src, dest, deadline, payload };
        if let Some(inbox) = self.inboxes.get_mut(dest.at()) {
            inbox.queue.push(Reverse(Queued(packet)));
        }
        self.charge(payer, true);
        self.refill(dest);
        id
    }

    /// Who a message from `src` to `dest` is charged to: its sender, except that a service's
    /// answer is charged to the node that asked (a service only answers), so a node that
    /// floods a service with requests and never reads fills its own share, not the service's.
    fn payer(&self, src: Ep, dest: Ep) -> Ep {
        if self.role(src) == Some(Role::Service) {
            dest
        } else {
            src
        }
    }

    fn charge(&mut self, payer: Ep, add: bool) {
        if let Some(inbox) = self.inboxes.get_mut(payer.at()) {
            inbox.charged =
                if add { inbox.charged.saturating_add(1) } else { inbox.charged.saturating_sub(1) };
        }
    }

    /// Messages in flight (queued, in hand or held) charged to `ep`: those it sent, and the
    /// answers of services to it.
    pub fn backlog(&self, ep: Ep) -> u32 {
        self.inboxes.get(ep.at()).map_or(0, |i| i.charged)
    }

    /// Holds deliveries to `ep` (its message in hand stays in hand when due) or, with
    /// `held == false`, releases them: a held message due by then is delivered by the next
    /// [`Net::poll`]. Partitions are still checked when a message is taken in hand.
    pub fn hold(&mut self, ep: Ep, held: bool) {
        let Some(inbox) = self.inboxes.get_mut(ep.at()) else { return };
        inbox.held = held;
        if !held && inbox.parked {
            inbox.parked = false;
            if let Some(p) = &inbox.in_hand {
                self.due.push(Reverse((p.deadline, p.id, ep)));
            }
        }
    }

    /// Takes the earliest queued message into the receiver's hand if it is idle, dropping those
    /// whose sender the receiver holds a grudge against (§3.2).
    fn refill(&mut self, dest: Ep) {
        loop {
            let Some(inbox) = self.inboxes.get_mut(dest.at()) else { return };
            if inbox.in_hand.is_some() {
                return;
            }
            let Some(Reverse(Queued(p))) = inbox.queue.pop() else { return };
            if inbox.down || inbox.grudge.get(p.src.at()).copied().unwrap_or(false) {
                self.dropped.push(p.id);
                let payer = self.payer(p.src, p.dest);
                self.charge(payer, false);
                continue;
            }
            self.due.push(Reverse((p.deadline, p.id, dest)));
            inbox.in_hand = Some(p);
            return;
        }
    }

    /// Takes `ep` down (its process was killed) or, with `down == false`, brings it back.
    /// Going down loses every message in flight to or from it (as dropped, see
    /// [`Net::take_dropped`]): what was addressed to the dead process, and what it had sent, so
    /// that no answer to an old incarnation's request reaches the next one. While down, what is
    /// sent to it is dropped too.
    pub fn set_down(&mut self, ep: Ep, down: bool) {
        let Some(inbox) = self.inboxes.get_mut(ep.at()) else { return };
        inbox.down = down;
        if !down {
            return;
        }
        let mut lost = Vec::new();
        for (at, inbox) in self.inboxes.iter_mut().enumerate() {
            let gone = |p: &Packet<P>| at == ep.at() || p.src == ep;
            if inbox.queue.iter().any(|Reverse(Queued(p))| gone(p)) {
                let (out, kept): (Vec<_>, Vec<_>) =
                    std::mem::take(&mut inbox.queue).into_iter().partition(|Reverse(Queued(p))| gone(p));
                inbox.queue = kept.into_iter().collect();
                lost.extend(out.into_iter().map(|Reverse(Queued(p))| (p.id, p.src, p.dest)));
            }
            if inbox.in_hand.as_ref().is_some_and(gone) {
                if let Some(p) = inbox.in_hand.take() {
                    lost.push((p.id, p.src, p.dest));
                }
                inbox.parked = false;
            }
        }
        if lost.is_empty() {
            return;
        }
        // The deliveries due name messages in hand; some are gone, so list the rest afresh.
        self.due = self
            .inboxes
            .iter()
            .enumerate()
            .filter(|(_, i)| !i.parked)
            .filter_map(|(at, i)| i.in_hand.as_ref().map(|p| Reverse((p.deadline, p.id, Ep(at as u32)))))
            .collect();
        lost.sort_unstable();
        for &(id, src, dest) in &lost {
            let payer = self.payer(src, dest);
            self.charge(payer, false);
            self.dropped.push(id);
        }
        for at in 0..self.inboxes.len() {
            self.refill(Ep(at as u32));
        }
    }

    /// Delivers the next message due at or before `now`, if any.
    pub fn poll(&mut self, now: Duration) -> Option<Packet<P>> {
        let dest = loop {
            let &Reverse((deadline, _, dest)) = self.due.peek()?;
            if deadline > now {
                return None;
            }
            self.due.pop();
            let inbox = self.inboxes.get_mut(dest.at())?;
            if !inbox.held {
                break dest;
            }
            inbox.parked = true;
        };
        let packet = self.inboxes.get_mut(dest.at())?.in_hand.take()?;
        let payer = self.payer(packet.src, packet.dest);
        self.charge(payer, false);
        self.stats.all.recv += 1;
        let client =
            self.role(packet.src) == Some(Role::Client) || self.role(packet.dest) == Some(Role::Client);
        if client {
            self.stats.clients.recv += 1;
        } else {
            self.stats.servers.recv += 1;
        }
        self.refill(dest);
        Some(packet)
    }

    /// When the next message falls due, if any is in flight.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.due.peek().map(|Reverse((d, _, _))| *d)
    }

    /// Replaces the grudge: `receiver` drops everything from each sender in its list.
    pub fn set_grudge(&mut self, grudge: &[(Ep, Vec<Ep>)]) {
        self.heal();
        for (receiver, senders) in grudge {
            if let Some(inbox) = self.inboxes.get_mut(receiver.at()) {
                for s in senders {
                    if inbox.grudge.len() <= s.at() {
                        inbox.grudge.resize(s.at() + 1, false);
                    }
                    if let Some(g) = inbox.grudge.get_mut(s.at()) {
                        *g = true;
                    }
                }
            }
        }
    }

    /// Clears every grudge.
    pub fn heal(&mut self) {
        for inbox in &mut self.inboxes {
            inbox.grudge.iter_mut().for_each(|g| *g = false);
        }
    }

    /// Whether `receiver` currently drops messages from `sender` (for tests).
    #[cfg(test)]
    pub fn is_cut(&self, sender: Ep, receiver: Ep) -> bool {
        self.inboxes.get(receiver.at()).and_then(|i| i.grudge.get(sender.at()).copied()).unwrap_or(false)
    }

    /// Ids of messages dropped by partitions or lost to a node going down since the last call.
    pub fn take_dropped(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.dropped)
    }

    /// The id the next message will get.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// The statistics so far.
    pub fn stats(&self) -> NetStats {
        self.stats
    }
}

#[cfg(test)]
mod tests;
