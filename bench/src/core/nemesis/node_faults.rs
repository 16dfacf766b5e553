//! The faults that stop node processes (docs/protocol.md §5.3), which Maelstrom cannot make:
//! `kill` (SIGKILL, then a fresh process that gets `init` again) and `pause` (SIGSTOP, then
//! SIGCONT). Each kind alternates start and stop on its own seeded schedule, like partitions;
//! this module only chooses who and when, and the run and its shell carry it out.

use glomers_harness::Rng;
use std::time::Duration;

/// A fault that stops node processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeFault {
    /// SIGKILL; the stop restarts each victim as a fresh process.
    Kill,
    /// SIGSTOP; the stop sends SIGCONT.
    Pause,
}

impl NodeFault {
    /// The words of the nemesis log for a start and a stop: `kill`/`restart`, `pause`/`resume`.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            NodeFault::Kill => ("kill", "restart"),
            NodeFault::Pause => ("pause", "resume"),
        }
    }
}

/// The most nodes stopped (killed or paused) at once among `n`: a minority, as Jepsen's
/// nemeses take, but at least one so that two- and one-node clusters see the fault too.
pub fn most_down(n: usize) -> usize {
    (n.saturating_sub(1) / 2).max(1).min(n)
}

/// A step of a node-fault schedule: stop these nodes, or bring them back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeStep {
    /// Kill or pause these nodes (indices, sorted).
    Start(NodeFault, Vec<usize>),
    /// Restart or resume them.
    Stop(NodeFault, Vec<usize>),
}

/// One fault kind's alternating schedule: first start at `origin`, each later step after a
/// delay uniform in `[0, 2·interval)`, as partitions.
pub struct NodeSchedule {
    fault: NodeFault,
    interval: Duration,
    next_at: Duration,
    /// The nodes this fault holds stopped now.
    victims: Vec<usize>,
    /// Whether the next step is a start.
    start_next: bool,
    rng: Rng,
}

impl NodeSchedule {
    /// A schedule of `fault`, its first step at `origin`.
    pub fn new(fault: NodeFault, interval: Duration, origin: Duration, rng: Rng) -> Self {
        NodeSchedule { fault, interval, next_at: origin, victims: Vec::new(), start_next: true, rng }
    }

    /// When the next step is due.
    pub fn next_at(&self) -> Duration {
        self.next_at
    }

    /// The step due at `now`, if any; `up[i]` says whether node `i` is running (neither killed
    /// nor paused by any fault). A start picks between one node and as many as keep the
    /// stopped nodes a minority ([`most_down`]); it is skipped (`None`) when none may stop.
    pub fn poll(&mut self, now: Duration, up: &[bool]) -> Option<NodeStep> {
        if now < self.next_at {
            return None;
        }
        let span = 2 * self.interval.as_nanos() as u64;
        self.next_at += Duration::from_nanos(self.rng.below(span));
        self.start_next = !self.start_next;
        if !self.start_next {
            let down = up.iter().filter(|&&u| !u).count();
            let room = most_down(up.len()).saturating_sub(down);
            let mut candidates: Vec<usize> =
                (0..up.len()).filter(|&i| up.get(i).copied().unwrap_or(false)).collect();
            let most = room.min(candidates.len());
            if most == 0 {
                return None;
            }
            self.rng.shuffle(&mut candidates);
            let k = 1 + self.rng.index(most);
            candidates.truncate(k);
            candidates.sort_unstable();
            self.victims.clone_from(&candidates);
            return Some(NodeStep::Start(self.fault, candidates));
        }
        let victims = std::mem::take(&mut self.victims);
        (!victims.is_empty()).then_some(NodeStep::Stop(self.fault, victims))
    }

    /// Brings back every node this fault holds (the heal before the final phase).
    pub fn stop_all(&mut self) -> Option<NodeStep> {
        self.start_next = true;
        let victims = std::mem::take(&mut self.victims);
        (!victims.is_empty()).then_some(NodeStep::Stop(self.fault, victims))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minority_at_most_and_at_least_one() {
        assert_eq!([1, 2, 3, 4, 5, 25].map(most_down), [1, 1, 1, 1, 2, 12]);
    }

    #[test]
    fn starts_and_stops_alternate_over_up_nodes_and_keep_the_stopped_a_minority() {
        let mut s = NodeSchedule::new(NodeFault::Kill, Duration::from_secs(5), Duration::ZERO, Rng::new(3));
        let mut up = vec![true; 5];
        let mut last = Duration::ZERO;
        let (mut starts, mut stops) = (0, 0);
        for _ in 0..200 {
            let at = s.next_at();
            assert!(at >= last && at - last < Duration::from_secs(10));
            last = at;
            match s.poll(at, &up) {
                Some(NodeStep::Start(NodeFault::Kill, v)) => {
                    assert!(!v.is_empty() && v.len() <= 2, "{v:?}");
                    v.iter().for_each(|&i| up[i] = false);
                    starts += 1;
                }
                Some(NodeStep::Stop(NodeFault::Kill, v)) => {
                    v.iter().for_each(|&i| up[i] = true);
                    stops += 1;
                }
                other => panic!("{other:?}"),
            }
            assert!(up.iter().filter(|&&u| !u).count() <= 2);
        }
        assert_eq!((starts, stops), (100, 100));
        assert!(s.poll(s.next_at() - Duration::from_nanos(1), &up).is_none());
    }

    #[test]
    fn no_room_means_no_start_and_no_stop() {
        let mut s = NodeSchedule::new(NodeFault::Pause, Duration::from_secs(1), Duration::ZERO, Rng::new(1));
        // Two of five are already down (another fault): no room for more.
        let up = [false, true, false, true, true];
        assert_eq!(s.poll(Duration::ZERO, &up), None);
        assert_eq!(s.poll(s.next_at(), &up), None, "nothing to bring back");
        let mut s = NodeSchedule::new(NodeFault::Pause, Duration::from_secs(1), Duration::ZERO, Rng::new(1));
        let Some(NodeStep::Start(_, v)) = s.poll(Duration::ZERO, &[true; 3]) else { panic!("starts") };
        assert_eq!(s.stop_all(), Some(NodeStep::Stop(NodeFault::Pause, v)));
        assert_eq!(s.stop_all(), None);
    }
}
