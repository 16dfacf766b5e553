//! Broadcast topologies (docs/protocol.md §6): neighbour lists built from the node list in order.

use std::collections::BTreeMap;

/// A topology name accepted by `--topology`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topology {
    /// Square grid, neighbours below, above, right, left.
    Grid,
    /// Previous and next node.
    Line,
    /// A B-ary tree filled level by level; parent first, then children.
    Tree(usize),
    /// Every other node.
    Total,
}

impl Topology {
    /// Parses a `--topology` value.
    pub fn parse(s: &str) -> Option<Topology> {
        Some(match s {
            "grid" => Topology::Grid,
            "line" => Topology::Line,
            "tree" | "tree2" => Topology::Tree(2),
            "tree3" => Topology::Tree(3),
            "tree4" => Topology::Tree(4),
            "total" => Topology::Total,
            _ => return None,
        })
    }

    /// The neighbour map over `nodes`.
    pub fn build(self, nodes: &[String]) -> BTreeMap<String, Vec<String>> {
        let n = nodes.len();
        let name = |i: usize| nodes.get(i).cloned().unwrap_or_default();
        let mut map = BTreeMap::new();
        match self {
            Topology::Line if n < 2 => {}
            Topology::Line => {
                for i in 0..n {
                    let mut nb = Vec::new();
                    if i > 0 {
                        nb.push(name(i - 1));
                    }
                    if i + 1 < n {
                        nb.push(name(i + 1));
                    }
                    map.insert(name(i), nb);
                }
            }
            Topology::Grid => {
                let side = (1..=n).find(|s| s * s >= n).unwrap_or(1);
                for i in 0..n {
                    let (row, col) = (i / side, i % side);
                    let mut nb = Vec::new();
                    if i + side < n {
                        nb.push(name(i + side));
                    }
                    if row > 0 {
                        nb.push(name(i - side));
                    }
                    if col + 1 < side && i + 1 < n {
                        nb.push(name(i + 1));
                    }
                    if col > 0 {
                        nb.push(name(i - 1));
                    }
                    map.insert(name(i), nb);
                }
            }
            Topology::Tree(b) => {
                for i in 0..n {
                    let mut nb = Vec::new();
                    if i > 0 {
                        nb.push(name((i - 1) / b));
                    }
                    nb.extend((1..=b).map(|k| i * b + k).filter(|&c| c < n).map(name));
                    map.insert(name(i), nb);
                }
            }
            Topology::Total => {
                for i in 0..n {
                    map.insert(name(i), (0..n).filter(|&j| j != i).map(name).collect());
                }
            }
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("n{i}")).collect()
    }

    #[test]
    fn grid_of_five_matches_maelstrom() {
        let got = serde_json::to_string(&Topology::Grid.build(&nodes(5))).expect("serializable");
        assert_eq!(
            got,
            r#"{"n0":["n3","n1"],"n1":["n4","n2","n0"],"n2":["n1"],"n3":["n0","n4"],"n4":["n1","n3"]}"#
        );
    }

    #[test]
    fn line_tree_total() {
        let line = Topology::Line.build(&nodes(3));
        assert_eq!(line.get("n1"), Some(&vec!["n0".to_owned(), "n2".to_owned()]));
        assert!(Topology::Line.build(&nodes(1)).is_empty());
        let tree = Topology::Tree(2).build(&nodes(5));
        assert_eq!(tree.get("n1"), Some(&vec!["n0".to_owned(), "n3".to_owned(), "n4".to_owned()]));
        assert_eq!(Topology::Total.build(&nodes(25)).get("n7").map(Vec::len), Some(24));
        let grid = Topology::Grid.build(&nodes(25));
        assert!(grid.values().all(|nb| nb.len() <= 4));
    }
}
