//! Time as every driver of a node sees it: a node's own [`Clock`] (skewed against the
//! simulation's, for the simulator's clock-skew fault) and its periodic [`Ticks`], under one
//! policy for the threaded engine's timer, the simulator's line driver and the testkit.

use std::fmt;
use std::time::Duration;

/// How a node's own clock relates to the simulation's: `local = offset + global × (1 + ppm/10⁶)`,
/// and when its tick schedule starts.
///
/// The default is a perfect clock whose ticks start one period after `init`. A skewed clock
/// makes the node's ticks and RPC timeouts run early or late relative to the rest of the
/// simulation, as a drifting crystal would.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    /// How far ahead the node's clock starts.
    pub offset: Duration,
    /// Rate error in parts per million; negative runs slow. Kept above -1,000,000.
    pub ppm: i32,
    /// Local time from `init` to the start of the node's tick schedule (its first tick comes
    /// one period later). In the threaded engine this is when the timer thread next wakes; a
    /// simulator draws it per node, so that nodes' ticks are not all in phase, as they are not
    /// between processes.
    pub timer_start: Duration,
    /// Which start of the node this clock belongs to, as a number unique to that start, like a
    /// machine's boot id: 0 for the first, drawn from the run's seed at each restart (the kill
    /// nemesis). A node that must tell its incarnations apart without storage (unique ids
    /// across restarts) gets it through its factory; the engine's timers ignore it.
    pub boot: u64,
}

impl Clock {
    fn rate(self) -> f64 {
        1.0 + f64::from(self.ppm.max(-999_999)) / 1e6
    }

    /// The node's local time at global time `global`.
    pub fn local(self, global: Duration) -> Duration {
        if self.ppm == 0 {
            return self.offset + global;
        }
        self.offset + scale(global, self.rate())
    }

    /// The earliest global time at which the node's local time reaches `local`.
    pub fn global(self, local: Duration) -> Duration {
        let since = local.saturating_sub(self.offset);
        if self.ppm == 0 {
            return since;
        }
        let mut g = scale(since, 1.0 / self.rate());
        // Rounding may land a little short; a deadline must never be missed. One step of
        // ⌈1/rate⌉ ns moves the local clock by at least 1 ns.
        let step = Duration::from_nanos((1.0 / self.rate()).ceil() as u64);
        while self.local(g) < local {
            g += step;
        }
        g
    }
}

fn scale(d: Duration, by: f64) -> Duration {
    if by == 1.0 {
        return d;
    }
    Duration::from_nanos((d.as_nanos() as f64 * by).round() as u64)
}

/// A tick period of zero: a node's bug, refused rather than run (it would tick forever at one
/// instant).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZeroTickPeriod;

impl fmt::Display for ZeroTickPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tick_every() returned zero: a tick period must be positive")
    }
}

impl std::error::Error for ZeroTickPeriod {}

/// A node's periodic tick. The first comes one period after the schedule starts. A tick that
/// runs late is not made up for: the next is due a period after the late one was due, and at
/// least half a period after it ran, so a stalled node does not fire a burst of ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticks {
    due: Duration,
}

impl Ticks {
    /// Ticks every `every` from `start`.
    ///
    /// # Errors
    /// [`ZeroTickPeriod`] when `every` is zero.
    pub fn start(start: Duration, every: Duration) -> Result<Ticks, ZeroTickPeriod> {
        if every.is_zero() {
            return Err(ZeroTickPeriod);
        }
        Ok(Ticks { due: start.saturating_add(every) })
    }

    /// When the next tick is due.
    pub fn due(&self) -> Duration {
        self.due
    }

    /// Whether the next tick is due at `now`.
    pub fn is_due(&self, now: Duration) -> bool {
        self.due <= now
    }

    /// Records that the tick due at [`Ticks::due`] ran at `now`; `every` is the node's period
    /// now (it may change between ticks).
    ///
    /// # Errors
    /// [`ZeroTickPeriod`] when `every` is zero; the schedule is then unchanged.
    pub fn ran(&mut self, now: Duration, every: Duration) -> Result<(), ZeroTickPeriod> {
        if every.is_zero() {
            return Err(ZeroTickPeriod);
        }
        self.due = self.due.saturating_add(every).max(now.saturating_add(every / 2));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn ticks_keep_their_phase_skip_what_was_missed_and_refuse_zero() {
        let mut t = Ticks::start(ms(5), ms(100)).expect("positive");
        assert_eq!(t.due(), ms(105));
        assert!(!t.is_due(ms(104)) && t.is_due(ms(105)));
        t.ran(ms(105), ms(100)).expect("positive");
        assert_eq!(t.due(), ms(205), "on time: one period later, in phase");
        // Run 290 ms late: the ticks missed are not made up for.
        t.ran(ms(495), ms(100)).expect("positive");
        assert_eq!(t.due(), ms(545), "late: half a period after it ran");
        t.ran(ms(545), ms(100)).expect("positive");
        assert_eq!(t.due(), ms(645));
        assert_eq!(Ticks::start(ms(0), Duration::ZERO), Err(ZeroTickPeriod));
        assert_eq!(t.ran(ms(645), Duration::ZERO), Err(ZeroTickPeriod));
        assert_eq!(t.due(), ms(645), "a refused period changes nothing");
    }

    #[test]
    fn a_skewed_clock_maps_back_without_missing_a_deadline() {
        for ppm in [-500_000, -2000, 0, 3, 2000, 900_000] {
            let c = Clock { offset: ms(7), ppm, ..Clock::default() };
            for local in [ms(7), ms(8), ms(1000), Duration::from_nanos(123_456_789_123)] {
                let g = c.global(local);
                assert!(c.local(g) >= local, "ppm {ppm}: {local:?} missed");
                if let Some(before) = g.checked_sub(Duration::from_nanos(2)) {
                    assert!(c.local(before) < local || g.is_zero(), "ppm {ppm}: {local:?} late");
                }
            }
        }
    }
}
