//! The `txn-list-append` checker (docs/protocol.md §7.10): Elle's list-append analysis. Reads
//! of whole lists reveal each key's order of appends (`orders`); from it, every append depends
//! on the append right before it (`ww`), every read on the append of its last element (`wr`),
//! and every read of a list that an append then extended precedes that append (`rw`). The
//! graph's vertices are the `ok` and `info` transactions (an `info` one may have taken effect);
//! the cycle search, models and verdict are the rw-register checker's.
//!
//! Layout: `parse` (list transactions), `orders` (version orders, `incompatible-order`,
//! `duplicate-elements`), `anomalies` (G1a, G1b, internal, future-read, dirty-update,
//! lost-update).

mod anomalies;
mod orders;
mod parse;

use super::graph::{Flavor, Graph, Order, Why, RW, WR, WW};
use super::hashing::FastMap;
use super::{prepare, unreadable, Found, TxnResult};
use crate::core::checkers::verdict::Checked;
use crate::core::history::{History, Kind};
use orders::Orders;
use parse::{Mop, Txn};

/// Checks a txn-list-append history against `models` (the `--consistency-models` text).
pub fn check(history: &History, models: &str) -> Checked<TxnResult> {
    let (judge, txns, invalid) = match prepare(history, models, false, parse::transactions) {
        Ok(p) => p,
        Err(why) => return unreadable(why),
    };
    let (orders, incompatible, duplicates) = orders::infer(&txns);
    let mut found = Found::default();
    found.invalid_replies(&invalid);
    found.add("G1a", anomalies::g1a(&txns));
    found.add("G1b", anomalies::g1b(&txns));
    found.add("internal", anomalies::internal(&txns));
    found.add("future-read", anomalies::future_read(&txns));
    found.add("dirty-update", anomalies::dirty_update(&txns, &orders));
    found.add("lost-update", anomalies::lost_update(&txns));
    found.add("incompatible-order", incompatible);
    found.add("duplicate-elements", duplicates);
    let g = graph(&txns, &orders, history, judge.order);
    found.cycles(&g, judge.order);
    judge.verdict(found, None)
}

/// The dependency graph over the `ok` and `info` transactions.
fn graph<'a>(txns: &'a [Txn], orders: &Orders, history: &History, order: Order) -> Graph<'a, Txn> {
    let mut g = Graph::new(
        txns.iter().filter(|t| matches!(t.kind, Kind::Ok | Kind::Info)).collect(),
        Flavor::ListAppend,
    );
    let mut writer: FastMap<(i64, i64), u32> = FastMap::default();
    // Who read each state of a key, named by its last element (`None`: the empty list). An
    // `info` transaction's reads were never done.
    let mut readers: FastMap<(i64, Option<i64>), Vec<u32>> = FastMap::default();
    for (i, t) in g.txns.iter().enumerate() {
        for m in &t.mops {
            match m {
                Mop::Append(k, v) => {
                    writer.insert((*k, *v), i as u32);
                }
                Mop::Read(k, v) if t.kind == Kind::Ok => {
                    let last = v.as_ref().and_then(|l| l.last()).copied();
                    readers.entry((*k, last)).or_default().push(i as u32);
                }
                Mop::Read(..) => {}
            }
        }
    }
    let none = Vec::new();
    let vertices = g.txns.clone();
    for (i, t) in vertices.iter().enumerate() {
        let b = i as u32;
        for m in &t.mops {
            match m {
                Mop::Append(k, v) => {
                    let prev = orders.previous(*k, *v);
                    let why = Why { key: *k, from: prev, to: Some(*v) };
                    if let Some(a) = prev.and_then(|p| writer.get(&(*k, p))) {
                        g.link(*a, b, WW, Some(why));
                    }
                    for a in readers.get(&(*k, prev)).unwrap_or(&none) {
                        g.link(*a, b, RW, Some(why));
                    }
                }
                Mop::Read(k, Some(v)) if t.kind == Kind::Ok => {
                    if let Some(e) = v.last() {
                        if let Some(a) = writer.get(&(*k, *e)) {
                            g.link(*a, b, WR, Some(Why { key: *k, from: Some(*e), to: Some(*e) }));
                        }
                    }
                }
                Mop::Read(..) => {}
            }
        }
    }
    g.finish(history, order)
}

#[cfg(test)]
mod tests;
