//! The last lines each node wrote to its stdout, kept as the run goes so that a node that
//! crashes can be shown with them, as Maelstrom shows a crashed node's output
//! (docs/protocol.md §8.1): protocol messages and stray lines alike, up to [`TAIL_LINES`].

use crate::shell::rundir::TAIL_LINES;
use std::collections::VecDeque;

/// The last [`TAIL_LINES`] lines of each node's stdout.
#[derive(Debug, Default)]
pub struct StdoutTails {
    nodes: Vec<VecDeque<String>>,
}

impl StdoutTails {
    /// Tails for `n` nodes, empty.
    pub fn new(n: usize) -> Self {
        StdoutTails { nodes: (0..n).map(|_| VecDeque::with_capacity(TAIL_LINES)).collect() }
    }

    /// Keeps `line` as node `i`'s newest, dropping its oldest when full (its buffer reused).
    pub fn record(&mut self, i: usize, line: &[u8]) {
        let Some(tail) = self.nodes.get_mut(i) else { return };
        let mut s =
            if tail.len() >= TAIL_LINES { tail.pop_front().unwrap_or_default() } else { String::new() };
        s.clear();
        s.push_str(&String::from_utf8_lossy(line));
        tail.push_back(s);
    }

    /// Node `i`'s lines, oldest first.
    pub fn lines(&self, i: usize) -> Vec<String> {
        self.nodes.get(i).map(|t| t.iter().cloned().collect()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_last_lines_are_kept_per_node() {
        let mut t = StdoutTails::new(2);
        for k in 0..TAIL_LINES + 5 {
            t.record(0, format!("line {k}").as_bytes());
        }
        t.record(1, b"\xffnot utf-8");
        t.record(7, b"no such node");
        let kept = t.lines(0);
        assert_eq!(kept.len(), TAIL_LINES);
        assert_eq!(
            (kept[0].as_str(), kept[TAIL_LINES - 1].as_str()),
            ("line 5", format!("line {}", TAIL_LINES + 4).as_str())
        );
        assert_eq!(t.lines(1), vec!["\u{fffd}not utf-8".to_owned()]);
        assert!(t.lines(7).is_empty());
    }
}
