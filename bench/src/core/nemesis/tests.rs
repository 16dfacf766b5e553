//! Unit tests of the partition shapes (N = 3, 5, 25) and the schedule.

use super::*;

trait Cuts {
    fn cuts(&self, s: usize, r: usize) -> bool;
}

impl Cuts for Partition {
    /// Whether receiver `r` drops messages from sender `s`.
    fn cuts(&self, s: usize, r: usize) -> bool {
        self.drops.get(r).is_some_and(|d| d.binary_search(&s).is_ok())
    }
}

/// Every (sender, receiver) pair the partition cuts.
fn cut_pairs(p: &Partition, n: usize) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    for r in 0..n {
        for s in 0..n {
            if p.cuts(s, r) {
                v.push((s, r));
            }
        }
    }
    v
}

/// Checks that `p` is exactly a complete split with one side of size `k` and returns that side.
fn assert_split(p: &Partition, n: usize, k: usize) {
    let pairs = cut_pairs(p, n);
    if k == 0 {
        assert!(pairs.is_empty(), "{p:?}");
        return;
    }
    // Reconstruct the sides from what node 0 drops.
    let from0: Vec<usize> = (0..n).filter(|&s| p.cuts(s, 0)).collect();
    let side0: Vec<usize> = (0..n).filter(|s| !from0.contains(s)).collect();
    let small = if side0.len() == k { side0 } else { from0 };
    assert_eq!(small.len(), k, "{p:?}");
    let mut want = Vec::new();
    for r in 0..n {
        for s in 0..n {
            if small.contains(&s) != small.contains(&r) {
                want.push((s, r));
            }
        }
    }
    assert_eq!(pairs, want, "{p:?}");
}

#[test]
fn splits_cut_exactly_the_cross_pairs() {
    for seed in 0..20 {
        let mut rng = Rng::new(seed);
        for (n, one, third, major) in [(3, 1, 0, 1), (5, 1, 1, 2), (25, 1, 8, 12), (1, 0, 0, 0)] {
            assert_split(&Partition::draw(Shape::One, n, &mut rng), n, one);
            assert_split(&Partition::draw(Shape::MinorityThird, n, &mut rng), n, third);
            assert_split(&Partition::draw(Shape::Majority, n, &mut rng), n, major);
        }
    }
}

#[test]
fn majorities_ring_shapes() {
    for seed in 0..20 {
        let mut rng = Rng::new(seed);
        // N=3: a one-way cycle, each node drops exactly one peer and is not dropped back by it.
        let p = Partition::draw(Shape::MajoritiesRing, 3, &mut rng);
        for r in 0..3 {
            let d = p.drops.get(r).expect("3 receivers");
            assert_eq!(d.len(), 1, "{p:?}");
            let s = *d.first().expect("one sender");
            assert_ne!(s, r);
            assert!(!p.cuts(r, s), "{p:?}");
        }
        assert_eq!(cut_pairs(&p, 3).len(), 3);
        // N=5: a ring, each node hears exactly two peers, symmetrically.
        let p = Partition::draw(Shape::MajoritiesRing, 5, &mut rng);
        for r in 0..5 {
            let heard: Vec<usize> = (0..5).filter(|&s| s != r && !p.cuts(s, r)).collect();
            assert_eq!(heard.len(), 2, "{p:?}");
            for s in heard {
                assert!(!p.cuts(r, s));
            }
        }
        // N=25: symmetric, every node linked to at least 13 including itself, and cut somewhere.
        let p = Partition::draw(Shape::MajoritiesRing, 25, &mut rng);
        for r in 0..25 {
            let linked = (0..25).filter(|&s| !p.cuts(s, r)).count();
            assert!(linked >= 13, "{linked}");
            assert!(!p.cuts(r, r));
            for s in 0..25 {
                assert_eq!(p.cuts(s, r), p.cuts(r, s));
            }
        }
        assert!(!cut_pairs(&p, 25).is_empty());
    }
}

#[test]
fn schedule_alternates_with_delays_below_twice_the_interval() {
    let interval = Duration::from_secs(10);
    let mut s = Schedule::new(interval, 5, Duration::ZERO, Rng::new(3));
    let mut last = Duration::ZERO;
    for k in 0..200 {
        let at = s.next_at();
        assert!(at >= last && at - last < 2 * interval);
        let action = s.poll(at).expect("due");
        assert_eq!(matches!(action, Action::Start(_)), k % 2 == 0);
        last = at;
    }
    let next = s.next_at();
    assert!(s.poll(next - Duration::from_nanos(1)).is_none());
}

#[test]
fn one_way_partitions_keep_exactly_one_direction_of_each_cut() {
    let mut rng = Rng::new(9);
    for shape in Shape::ALL {
        for n in [3, 5, 9] {
            let before = Partition::draw(shape, n, &mut rng);
            let mut after = before.clone();
            after.one_way(&mut rng);
            let cut = |p: &Partition, r: usize, s: usize| p.drops.get(r).is_some_and(|d| d.contains(&s));
            for r in 0..n {
                for s in 0..n {
                    if cut(&before, r, s) && cut(&before, s, r) {
                        assert!(cut(&after, r, s) != cut(&after, s, r), "{shape:?} {r}<->{s}: one way");
                    } else {
                        assert_eq!(cut(&after, r, s), cut(&before, r, s));
                    }
                }
            }
        }
    }
}

#[test]
fn a_flapping_partition_is_reapplied_every_period_until_its_stop() {
    let flap = Duration::from_millis(300);
    let mut s =
        Schedule::new(Duration::from_secs(10), 5, Duration::ZERO, Rng::new(4)).with_faults(false, Some(flap));
    let Some(Action::Start(first)) = s.poll(Duration::ZERO) else { panic!("starts at 0") };
    assert_eq!(s.next_at(), flap);
    assert_eq!(s.poll(flap), Some(Action::Stop));
    assert_eq!(s.next_at(), 2 * flap);
    assert_eq!(s.poll(2 * flap), Some(Action::Start(first.clone())), "the same partition comes back");
    // It flaps until its ordinary stop; the next ordinary start draws a fresh partition.
    let mut fresh = false;
    for _ in 0..500 {
        if let Some(Action::Start(p)) = s.poll(s.next_at()) {
            if p != first {
                fresh = true;
                break;
            }
        }
    }
    assert!(fresh, "a new partition follows");
}
