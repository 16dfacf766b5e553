//! Hash maps and sets keyed by integers (keys, messages, processes) with a cheap multiplicative
//! hash. std's SipHash resists keys chosen by an attacker, which a checker reading its own
//! history does not need, and it dominated the checker's time on large histories.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A map keyed by integers (or tuples of them).
pub(super) type IntMap<K, V> = HashMap<K, V, BuildHasherDefault<IntHasher>>;
/// A set of integers (or tuples of them).
pub(super) type IntSet<K> = HashSet<K, BuildHasherDefault<IntHasher>>;

/// Rotate, xor and multiply by an odd constant per word, as rustc's own hasher does.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct IntHasher(u64);

/// An odd constant with well-spread bits.
const MIX: u64 = 0x517c_c1b7_2722_0a95;

impl IntHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(MIX);
    }
}

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.add(u64::from(*b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_i64(&mut self, n: i64) {
        self.add(n as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}
