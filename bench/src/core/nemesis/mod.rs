//! The nemesis (docs/protocol.md §5.3): which faults a run injects ([`Nemesis`]); the partition
//! nemesis here (the four partition shapes as grudges over server node indices, and the
//! alternating start/stop schedule); the faults that stop node processes (kill, pause) in
//! `node_faults.rs`. Plain values driven by a seeded RNG.

mod node_faults;

pub use node_faults::{NodeFault, NodeSchedule, NodeStep};

use glomers_harness::Rng;
use std::time::Duration;

/// The faults `--nemesis` names: a comma-separated set of `partition`, `kill` and `pause`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Nemesis {
    /// Network partitions (Maelstrom's only fault).
    pub partition: bool,
    /// Nodes killed (SIGKILL) and restarted as fresh processes.
    pub kill: bool,
    /// Nodes paused (SIGSTOP) and resumed (SIGCONT).
    pub pause: bool,
}

impl Nemesis {
    /// Parses `--nemesis`: names separated by commas, each at most once; empty is none.
    ///
    /// # Errors
    /// A sentence naming the bad or repeated fault.
    pub fn parse(list: &str) -> Result<Nemesis, String> {
        let mut n = Nemesis::default();
        for f in list.split(',').map(str::trim).filter(|f| !f.is_empty()) {
            let on = match f {
                "partition" => &mut n.partition,
                "kill" => &mut n.kill,
                "pause" => &mut n.pause,
                _ => return Err(format!("--nemesis takes partition, kill and pause, got {f:?}")),
            };
            if std::mem::replace(on, true) {
                return Err(format!("--nemesis names {f} twice"));
            }
        }
        Ok(n)
    }

    /// Whether any fault is on.
    pub fn any(self) -> bool {
        self.partition || self.kill || self.pause
    }

    /// The faults that are on, in the order partition, kill, pause.
    pub fn names(self) -> Vec<&'static str> {
        [("partition", self.partition), ("kill", self.kill), ("pause", self.pause)]
            .into_iter()
            .filter_map(|(name, on)| on.then_some(name))
            .collect()
    }
}

/// One of Jepsen's partition shapes, chosen uniformly at each start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One random node isolated from all others.
    One,
    /// floor((N-1)/3) random nodes split from the rest.
    MinorityThird,
    /// Shuffled nodes split floor(N/2) | rest.
    Majority,
    /// Every node still reaches a majority, but no two reach the same one.
    MajoritiesRing,
}

impl Shape {
    /// All shapes, in Jepsen's order.
    pub const ALL: [Shape; 4] = [Shape::One, Shape::MinorityThird, Shape::Majority, Shape::MajoritiesRing];

    /// The shape's name as Jepsen writes it.
    pub fn name(self) -> &'static str {
        match self {
            Shape::One => "one",
            Shape::MinorityThird => "minority-third",
            Shape::Majority => "majority",
            Shape::MajoritiesRing => "majorities-ring",
        }
    }
}

/// A partition over nodes `0..n`: `drops[r]` lists the senders receiver `r` drops, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// The shape drawn.
    pub shape: Shape,
    /// For each receiver, the senders it drops.
    pub drops: Vec<Vec<usize>>,
}

impl Partition {
    /// Draws a partition of `shape` over `n` nodes.
    pub fn draw(shape: Shape, n: usize, rng: &mut Rng) -> Partition {
        let mut order: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut order);
        let drops = match shape {
            Shape::One => split(n, order.get(..1.min(n)).unwrap_or(&[])),
            Shape::MinorityThird => split(n, order.get(..n.saturating_sub(1) / 3).unwrap_or(&[])),
            Shape::Majority => split(n, order.get(..n / 2).unwrap_or(&[])),
            Shape::MajoritiesRing if n <= 5 => ring(&order),
            Shape::MajoritiesRing => stochastic_ring(n, rng),
        };
        Partition { shape, drops }
    }

    /// Keeps one direction of every two-way cut, chosen at random: the receiver still drops
    /// the sender, but the sender hears the receiver (simulator only).
    pub fn one_way(&mut self, rng: &mut Rng) {
        let n = self.drops.len();
        for r in 0..n {
            for s in 0..r {
                let both = self.drops.get(r).is_some_and(|d| d.contains(&s))
                    && self.drops.get(s).is_some_and(|d| d.contains(&r));
                if both {
                    // Heal one direction: `receiver` hears `sender` again.
                    let (receiver, sender) = if rng.below(2) == 0 { (s, r) } else { (r, s) };
                    if let Some(d) = self.drops.get_mut(receiver) {
                        d.retain(|&x| x != sender);
                    }
                }
            }
        }
    }

    /// A short description, e.g. `majority: n0 n3 | n1 n2 n4` or the drop lists.
    pub fn describe(&self, names: &[String]) -> String {
        let name = |i: &usize| names.get(*i).cloned().unwrap_or_else(|| format!("#{i}"));
        let cuts: Vec<String> = self
            .drops
            .iter()
            .enumerate()
            .filter(|(_, d)| !d.is_empty())
            .map(|(r, d)| {
                let from: Vec<String> = d.iter().map(name).collect();
                format!("{} drops {}", name(&r), from.join(","))
            })
            .collect();
        if cuts.is_empty() {
            format!("{} (no-op)", self.shape.name())
        } else {
            format!("{}: {}", self.shape.name(), cuts.join("; "))
        }
    }
}

/// A complete split between `side` and the other nodes, in both directions.
fn split(n: usize, side: &[usize]) -> Vec<Vec<usize>> {
    let mut inside = vec![false; n];
    for &i in side {
        if let Some(x) = inside.get_mut(i) {
            *x = true;
        }
    }
    (0..n).map(|r| (0..n).filter(|&s| inside.get(s) != inside.get(r)).collect()).collect()
}

/// Jepsen's "perfect" ring for small clusters: windows of a majority of consecutive nodes around
/// the shuffled ring; the middle node of each window hears only its window.
fn ring(order: &[usize]) -> Vec<Vec<usize>> {
    let n = order.len();
    let m = n / 2 + 1;
    let mut drops = vec![Vec::new(); n];
    for start in 0..n {
        let window: Vec<usize> = (0..m).filter_map(|k| order.get((start + k) % n).copied()).collect();
        let Some(&middle) = window.get(m / 2) else {
            continue;
        };
        if let Some(d) = drops.get_mut(middle) {
            *d = (0..n).filter(|s| !window.contains(s)).collect();
        }
    }
    drops
}

/// For larger clusters: a random symmetric graph in which every node is linked to at least a
/// majority (itself included); each node drops everyone it is not linked to.
fn stochastic_ring(n: usize, rng: &mut Rng) -> Vec<Vec<usize>> {
    let m = n / 2 + 1;
    let mut linked = vec![vec![false; n]; n];
    for (i, row) in linked.iter_mut().enumerate() {
        if let Some(x) = row.get_mut(i) {
            *x = true;
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    for &x in &order {
        loop {
            let row = linked.get(x).cloned().unwrap_or_default();
            if row.iter().filter(|&&l| l).count() >= m {
                break;
            }
            let free: Vec<usize> = (0..n).filter(|&y| !row.get(y).copied().unwrap_or(true)).collect();
            let Some(&y) = free.get(rng.index(free.len())) else {
                break;
            };
            for (a, b) in [(x, y), (y, x)] {
                if let Some(cell) = linked.get_mut(a).and_then(|r| r.get_mut(b)) {
                    *cell = true;
                }
            }
        }
    }
    linked.iter().map(|row| (0..n).filter(|&s| !row.get(s).copied().unwrap_or(true)).collect()).collect()
}

/// What the nemesis does at a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Cut the network.
    Start(Partition),
    /// Heal it.
    Stop,
}

/// The alternating start/stop schedule: first start at 0, each later step after a delay uniform
/// in `[0, 2·interval)`.
pub struct Schedule {
    interval: Duration,
    next_at: Duration,
    start_next: bool,
    nodes: usize,
    rng: Rng,
    /// Simulator only: partitions cut one direction of each pair.
    one_way: bool,
    /// Simulator only: a partition is healed and re-applied every this long while it lasts.
    flap: Option<Duration>,
    /// The partition in force (or flapping), and when its ordinary stop is due.
    flapping: Option<(Partition, Duration)>,
    /// Whether the flapping partition is applied right now.
    flap_on: bool,
}

impl Schedule {
    /// A schedule over `nodes` nodes, its first step at `origin`.
    pub fn new(interval: Duration, nodes: usize, origin: Duration, rng: Rng) -> Self {
        Schedule {
            interval,
            next_at: origin,
            start_next: true,
            nodes,
            rng,
            one_way: false,
            flap: None,
            flapping: None,
            flap_on: false,
        }
    }

    /// Turns on the simulator's partition faults (see `crate::core::faults`).
    pub fn with_faults(mut self, one_way: bool, flap: Option<Duration>) -> Self {
        self.one_way = one_way;
        self.flap = flap.filter(|f| !f.is_zero());
        self
    }

    /// When the next step is due.
    pub fn next_at(&self) -> Duration {
        self.next_at
    }

    /// The step due at `now`, if any; schedules the one after it.
    pub fn poll(&mut self, now: Duration) -> Option<Action> {
        if now < self.next_at {
            return None;
        }
        if let (Some(flap), Some((p, stop_at))) = (self.flap, &self.flapping) {
            if self.next_at < *stop_at {
                self.flap_on = !self.flap_on;
                let action = if self.flap_on { Action::Start(p.clone()) } else { Action::Stop };
                self.next_at = (self.next_at + flap).min(*stop_at);
                return Some(action);
            }
        }
        let action = if self.start_next {
            let shape = Shape::ALL.get(self.rng.index(Shape::ALL.len())).copied().unwrap_or(Shape::One);
            let mut p = Partition::draw(shape, self.nodes, &mut self.rng);
            if self.one_way {
                p.one_way(&mut self.rng);
            }
            Action::Start(p)
        } else {
            Action::Stop
        };
        self.start_next = !self.start_next;
        let span = 2 * self.interval.as_nanos() as u64;
        self.next_at += Duration::from_nanos(self.rng.below(span));
        self.flapping = None;
        if let (Some(flap), Action::Start(p)) = (self.flap, &action) {
            self.flapping = Some((p.clone(), self.next_at));
            self.flap_on = true;
            self.next_at = (now + flap).min(self.next_at);
        }
        Some(action)
    }
}

#[cfg(test)]
mod tests;
