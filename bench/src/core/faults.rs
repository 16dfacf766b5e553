//! Faults beyond Maelstrom's, for the simulator only (`glomers-bench sim`), each off by default
//! and behind its own flag: message duplication and reordering (applied by the harness's network),
//! one-way and flapping partitions (applied by `crate::core::nemesis`), and clock skew between the
//! nodes' timers (applied by the simulator to each node's driver). A process run never sets
//! them, so `test` stays Maelstrom's network.

use glomers_engine::driver::{Clock, TIMER_START_MAX};
use glomers_harness::net::NetFaults;
use glomers_harness::Rng;
use std::time::Duration;

/// Which extra faults a run injects.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Faults {
    /// Probability that a message between servers (nodes and services) is delivered twice.
    pub duplicate: f64,
    /// Up to this much extra delay, uniform, on each message between servers, so that later
    /// messages overtake earlier ones even at constant latency.
    pub reorder: Duration,
    /// Each partition cuts one direction only of every pair it separates (chosen at random).
    pub one_way: bool,
    /// While a partition lasts, it is healed and re-applied every this long.
    pub flap: Option<Duration>,
    /// Each node's timers run at a rate off by up to this many parts per million, from a clock
    /// that starts up to 1 s ahead.
    pub clock_skew_ppm: u32,
}

impl Faults {
    /// The faults the network applies.
    pub fn net(&self) -> NetFaults {
        NetFaults { duplicate: self.duplicate, reorder: self.reorder }
    }

    /// Whether any fault is on.
    pub fn any(&self) -> bool {
        *self != Faults::default()
    }

    /// Names of the faults that are on, for the console.
    pub fn describe(&self) -> String {
        let mut on = Vec::new();
        if self.duplicate > 0.0 {
            on.push(format!("duplicate {}", self.duplicate));
        }
        if !self.reorder.is_zero() {
            on.push(format!("reorder {} ms", self.reorder.as_millis()));
        }
        if self.one_way {
            on.push("one-way partitions".to_owned());
        }
        if let Some(f) = self.flap {
            on.push(format!("flapping every {} ms", f.as_millis()));
        }
        if self.clock_skew_ppm > 0 {
            on.push(format!("clock skew ±{} ppm", self.clock_skew_ppm));
        }
        on.join(", ")
    }

    /// Each node's clock for a run seeded `seed`. Always: its timer starts uniformly within
    /// the engine's [`TIMER_START_MAX`] after init, as a process's does. With skew: a rate error
    /// uniform in ±`clock_skew_ppm` and an offset uniform in [0, 1 s).
    pub fn clocks(&self, nodes: usize, seed: u64) -> Vec<Clock> {
        // Streams of their own, so the clocks change nothing else about the run.
        let mut starts = Rng::new(seed ^ 0x7133_e125);
        let mut skews = Rng::new(seed ^ 0x5eed_c10c);
        let span = 2 * u64::from(self.clock_skew_ppm) + 1;
        (0..nodes)
            .map(|_| {
                let timer_start = Duration::from_nanos(starts.below(TIMER_START_MAX.as_nanos() as u64));
                if self.clock_skew_ppm == 0 {
                    return Clock { timer_start, ..Clock::default() };
                }
                let ppm = skews.below(span) as i64 - i64::from(self.clock_skew_ppm);
                Clock {
                    offset: Duration::from_micros(skews.below(1_000_000)),
                    ppm: i32::try_from(ppm).unwrap_or(0),
                    timer_start,
                    boot: 0,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_are_skewed_within_bounds_per_seed_and_perfect_when_off() {
        let perfect = Faults::default().clocks(5, 1);
        assert!(perfect.iter().all(|c| c.ppm == 0 && c.offset.is_zero() && c.timer_start < TIMER_START_MAX));
        assert!(perfect.iter().any(|c| c.timer_start != perfect[0].timer_start), "timers out of phase");
        let f = Faults { clock_skew_ppm: 2000, ..Faults::default() };
        let a = f.clocks(25, 7);
        assert_eq!(a.len(), 25);
        assert!(a.iter().all(|c| c.ppm.abs() <= 2000 && c.offset < Duration::from_secs(1)));
        let starts = |c: &[Clock]| c.iter().map(|c| c.timer_start).collect::<Vec<_>>();
        assert_eq!(starts(&a), starts(&Faults::default().clocks(25, 7)), "skew leaves timer starts alone");
        assert!(a.iter().any(|c| c.ppm != a[0].ppm), "nodes differ");
        assert_eq!(a, f.clocks(25, 7), "same seed, same clocks");
        assert_ne!(a, f.clocks(25, 8));
        assert_eq!(f.describe(), "clock skew ±2000 ppm");
        assert!(f.any() && !Faults::default().any());
    }
}
