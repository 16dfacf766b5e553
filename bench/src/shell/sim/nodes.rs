//! What the simulator runs: a [`SimNode`] names a node, makes it behind a [`Driver`], and says
//! which workload it implements. A table of them is what `--impl` chooses from: the nodes of
//! `nodes/` for `glomers-bench sim`, a user's own node for their one-line `main`.

use crate::core::workloads::WorkloadKind;
use glomers_engine::driver::{Clock, Driver, LineDriver};
use glomers_engine::Node;

/// Makes one uninitialised node whose timers follow the given clock.
pub type Factory = fn(Clock) -> Box<dyn Driver>;

/// A node the simulator can run.
#[derive(Clone, Copy, Debug)]
pub struct SimNode {
    /// Its name for `--impl`.
    pub name: &'static str,
    /// The workload it implements; `None`: whichever `-w` names (a user's node).
    pub workload: Option<WorkloadKind>,
    /// Makes one instance.
    pub make: Factory,
}

impl SimNode {
    /// The engine node `N` behind the engine's line driver, built by `Node::init`, for any
    /// workload, named after its type (`Gossip` for `my_crate::Gossip`).
    pub fn of<N: Node>() -> SimNode {
        SimNode { name: type_name::<N>(), workload: None, make: line_driver::<N> }
    }

    /// Whether it implements `workload`.
    pub fn implements(&self, workload: WorkloadKind) -> bool {
        match self.workload {
            None => true,
            Some(w) => w == workload,
        }
    }
}

/// `N` behind the engine's line driver.
fn line_driver<N: Node>(clock: Clock) -> Box<dyn Driver> {
    Box::new(LineDriver::<N>::with_clock(clock))
}

/// The last segment of `N`'s path, without generic arguments.
fn type_name<N>() -> &'static str {
    let full = std::any::type_name::<N>();
    let bare = full.split('<').next().unwrap_or(full);
    bare.rsplit("::").next().unwrap_or(bare)
}

/// The node `--impl` names, or by default the first that implements `workload`.
///
/// # Errors
/// The names of the nodes that implement `workload`, when `--impl` names none of them (or
/// none does).
pub fn choose<'a>(
    nodes: &'a [SimNode],
    workload: WorkloadKind,
    named: Option<&str>,
) -> Result<&'a SimNode, Vec<&'static str>> {
    let mut fits = nodes.iter().filter(|n| n.implements(workload));
    let found = match named {
        None => fits.next(),
        Some(name) => fits.find(|n| n.name == name),
    };
    found.ok_or_else(|| nodes.iter().filter(|n| n.implements(workload)).map(|n| n.name).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use glomers_engine::{Init, Message, Out, RpcError};

    struct Quiet;
    impl Node for Quiet {
        type Body = serde_json::Value;
        fn init(_: &Init) -> Result<Self, RpcError> {
            Ok(Quiet)
        }
        fn on_message(&self, _: Message<Self::Body>, _: &mut Out<Self>) -> Result<(), RpcError> {
            Ok(())
        }
    }

    #[test]
    fn a_node_is_chosen_by_name_or_by_workload() {
        let any = SimNode::of::<Quiet>();
        assert_eq!((any.name, any.workload), ("Quiet", None));
        let echo = SimNode { name: "echo", workload: Some(WorkloadKind::Echo), ..any };
        let table = [echo, any];
        let name = |w, n| choose(&table, w, n).map(|n| n.name);
        assert_eq!(name(WorkloadKind::Echo, None), Ok("echo"));
        assert_eq!(name(WorkloadKind::Broadcast, None), Ok("Quiet"));
        assert_eq!(name(WorkloadKind::Echo, Some("Quiet")), Ok("Quiet"));
        assert_eq!(name(WorkloadKind::Broadcast, Some("echo")), Err(vec!["Quiet"]));
        assert_eq!(choose(&[echo], WorkloadKind::Kafka, None).map(|n| n.name), Err(vec![]));
    }
}
