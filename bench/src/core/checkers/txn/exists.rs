//! `<model>-cycle-exists`, Elle 0.2's fallback for a cycle the search did not single out. In each
//! strongly connected component, each model's subgraph (the edge kinds whose cycles the model
//! rules out) is cut into its own components: one with a cycle proves the model cannot hold,
//! whether or not the bounded search ([`super::search`]) found an example. As in Elle, the models
//! are tried weakest first and a model is skipped once a weaker one it implies failed; and a case
//! is dropped when the other anomalies found already rule its model out (it would add nothing).
//! Snapshot isolation's subgraphs are Elle's *extensions*: an `rw` step may only follow a step of
//! another kind.

use super::cycles::sccs;
use super::graph::{Graph, Kinds, Vertex, PROCESS, REALTIME, RW, WR, WW};
use super::models;
use super::search::OUTSIDE;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// A model whose subgraph must be acyclic, as Elle lists them.
struct Spec {
    /// The anomaly's name.
    name: &'static str,
    /// The model (canonical name).
    model: &'static str,
    /// The kinds of the subgraph's edges (`rw` excepted for an extension).
    kinds: Kinds,
    /// Whether `rw` steps may be taken, each right after a step of `kinds` (an extension).
    extension: bool,
    /// The subgraph as Elle prints it.
    subgraph: &'static str,
}

/// Elle's specifications, in its order.
const SPECS: [Spec; 13] = [
    spec("PL-1-cycle-exists", "PL-1", WW, false, r#"["union","ww","wwp"]"#),
    spec("PL-2-cycle-exists", "PL-2", WW | WR, false, r#"["union","ww","wwp","wr","wrp"]"#),
    spec(
        "PL-SI-cycle-exists",
        "PL-SI",
        WW | WR,
        true,
        r#"["extension",["union","ww","wwp","wr","wrp"],["union","rw","rwp"]]"#,
    ),
    spec("PL-2.99-cycle-exists", "PL-2.99", WW | WR | RW, false, r#"["union","ww","wwp","wr","wrp","rw"]"#),
    spec("PL-3-cycle-exists", "PL-3", WW | WR | RW, false, r#"["union","ww","wwp","wr","wrp","rw","rwp"]"#),
    spec(
        "strong-session-PL-1-cycle-exists",
        "strong-session-PL-1",
        WW | PROCESS,
        false,
        r#"["union","ww","wwp","process"]"#,
    ),
    spec(
        "strong-session-PL-2-cycle-exists",
        "strong-session-PL-2",
        WW | WR | PROCESS,
        false,
        r#"["union","ww","wwp","wr","wrp","process"]"#,
    ),
    spec(
        "strong-session-snapshot-isolation-cycle-exists",
        "strong-session-snapshot-isolation",
        WW | WR | PROCESS,
        true,
        r#"["extension",["union","ww","wwp","wr","wrp","process"],["union","rw","rwp"]]"#,
    ),
    spec(
        "strong-session-serializable-cycle-exists",
        "strong-session-serializable",
        WW | WR | RW | PROCESS,
        false,
        r#"["union","ww","wwp","wr","wrp","rw","rwp","process"]"#,
    ),
    spec(
        "strong-PL-1-cycle-exists",
        "strong-PL-1",
        WW | REALTIME,
        false,
        r#"["union","ww","wwp","realtime"]"#,
    ),
    spec(
        "strong-PL-2-cycle-exists",
        "strong-PL-2",
        WW | WR | REALTIME,
        false,
        r#"["union","ww","wwp","wr","wrp","realtime"]"#,
    ),
    spec(
        "strong-snapshot-isolation-cycle-exists",
        "strong-snapshot-isolation",
        WW | WR | REALTIME,
        true,
        r#"["extension",["union","ww","wwp","wr","wrp","realtime"],["union","rw","rwp"]]"#,
    ),
    spec(
        "PL-SS-cycle-exists",
        "PL-SS",
        WW | WR | RW | REALTIME,
        false,
        r#"["union","ww","wwp","wr","wrp","rw","rwp","realtime"]"#,
    ),
];

const fn spec(
    name: &'static str,
    model: &'static str,
    kinds: Kinds,
    extension: bool,
    subgraph: &'static str,
) -> Spec {
    Spec { name, model, kinds, extension, subgraph }
}

/// The model a `-cycle-exists` anomaly rules out, if `name` is one.
pub fn model_of(name: &str) -> Option<&'static str> {
    SPECS.iter().find(|s| s.name == name).map(|s| s.model)
}

/// A model's subgraph has a cycle among these transactions.
#[derive(Debug, Clone, PartialEq)]
pub struct Exists {
    /// `PL-2-cycle-exists`, ….
    pub name: &'static str,
    /// The model ruled out (canonical).
    model: &'static str,
    /// The subgraph as Elle prints it.
    subgraph: &'static str,
    /// The transactions (graph vertices) of the smallest component of the subgraph with a cycle.
    scc: Vec<u32>,
}

/// How many transactions of a component its sentence names.
const NAMED: usize = 8;

impl Exists {
    /// History indices of the component's transactions, in order.
    fn indices<T: Vertex>(&self, g: &Graph<'_, T>) -> Vec<usize> {
        let mut ix: Vec<usize> =
            self.scc.iter().filter_map(|v| g.txns.get(*v as usize)).map(|t| t.index()).collect();
        ix.sort_unstable();
        ix
    }

    /// The case as Elle's result map has it.
    pub fn to_json<T: Vertex>(&self, g: &Graph<'_, T>) -> Value {
        let subgraph: Value = serde_json::from_str(self.subgraph).unwrap_or(Value::Null);
        json!({"type": self.name, "not": models::friendly(self.model), "subgraph": subgraph,
               "scc-size": self.scc.len(), "scc": self.indices(g)})
    }

    /// In plain words.
    pub fn explain<T: Vertex>(&self, g: &Graph<'_, T>) -> String {
        let ix = self.indices(g);
        let mut named: Vec<String> = ix.iter().take(NAMED).map(usize::to_string).collect();
        if ix.len() > NAMED {
            named.push("…".into());
        }
        format!(
            "{}: the {} transactions at history indices {} lie on a cycle of {} edges, so {} cannot \
             hold; no cycle found among them by the search rules it out",
            self.name,
            ix.len(),
            named.join(", "),
            self.subgraph.replace(['[', ']', '"'], "").replace(',', " "),
            models::friendly(self.model)
        )
    }
}

/// The `-cycle-exists` cases of one strongly connected component (`local` maps its vertices to
/// positions in it).
pub fn cases<T: Vertex>(g: &Graph<'_, T>, component: &[u32], local: &[u32]) -> Vec<Exists> {
    let mut out = Vec::new();
    let mut ruled_out: BTreeSet<&str> = BTreeSet::new();
    for spec in &SPECS {
        if ruled_out.contains(spec.model) {
            continue;
        }
        if let Some(scc) = smallest_cycle(g, component, local, spec) {
            out.push(Exists { name: spec.name, model: spec.model, subgraph: spec.subgraph, scc });
            ruled_out.extend(models::ruled_out_with([spec.model]));
        }
    }
    out
}

/// The transactions of the smallest component with a cycle of `spec`'s subgraph within
/// `component`, if there is one. An extension is searched as a graph of (vertex, whether the
/// step into it was `rw`) pairs, where an `rw` step leaves only a pair of the first kind.
fn smallest_cycle<T: Vertex>(
    g: &Graph<'_, T>,
    component: &[u32],
    local: &[u32],
    spec: &Spec,
) -> Option<Vec<u32>> {
    let pos = |v: u32| local.get(v as usize).copied().filter(|p| *p != OUTSIDE);
    let at = |p: u32| component.get(p as usize).copied().unwrap_or_default();
    let found = if spec.extension {
        sccs(2 * component.len(), |x| {
            let after_rw = x % 2 == 1;
            g.out(at(x / 2)).filter_map(move |(w, k)| {
                let q = pos(w)?;
                if k & spec.kinds != 0 {
                    Some(2 * q)
                } else if k == RW && !after_rw {
                    Some(2 * q + 1)
                } else {
                    None
                }
            })
        })
        .into_iter()
        .map(|c| c.into_iter().map(|x| x / 2).collect::<Vec<u32>>())
        .collect::<Vec<_>>()
    } else {
        sccs(component.len(), |p| {
            g.out(at(p)).filter(|(_, k)| k & spec.kinds != 0).filter_map(|(w, _)| pos(w))
        })
    };
    found
        .into_iter()
        .map(|c| {
            let vs: BTreeSet<u32> = c.into_iter().map(at).filter(|v| !g.is_time_point(*v)).collect();
            vs.into_iter().collect::<Vec<u32>>()
        })
        .min_by_key(Vec::len)
}
