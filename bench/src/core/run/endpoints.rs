//! Who is on the network: every endpoint's id, role and owner, and the name lookup used to route
//! a node's `dest` (docs/protocol.md §1). Closed clients leave the lookup, so a late reply to one is
//! the "unknown dest" case of §2.1.

use super::NodeIdx;
use glomers_harness::net::{Ep, Net, Role};
use std::collections::HashMap;

/// What an endpoint belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Server node `i`.
    Node(NodeIdx),
    /// Service `i` (in the order of `services::NAMES`).
    Service(usize),
    /// The client that sends `init` to node `i`.
    Init(NodeIdx),
    /// The client that sends the workload's setup request to node `i`.
    Setup(NodeIdx),
    /// Worker thread `t`'s current client.
    Worker(usize),
}

/// The endpoint registry.
#[derive(Default)]
pub struct Endpoints {
    names: Vec<String>,
    owners: Vec<Owner>,
    open: HashMap<String, Ep>,
    closed: HashMap<String, Owner>,
    next_client: u64,
}

impl Endpoints {
    /// Registers an endpoint with a fixed name.
    pub fn add<P>(&mut self, net: &mut Net<P>, name: String, role: Role, owner: Owner) -> Ep {
        let ep = net.add(role);
        self.names.push(name.clone());
        self.owners.push(owner);
        self.open.insert(name, ep);
        ep
    }

    /// Opens a client with the next id `c<k>`.
    pub fn add_client<P>(&mut self, net: &mut Net<P>, owner: Owner) -> Ep {
        let name = format!("c{}", self.next_client);
        self.next_client += 1;
        self.add(net, name, Role::Client, owner)
    }

    /// Closes a client: later messages to its id have an unknown `dest`.
    pub fn close(&mut self, ep: Ep) {
        let name = self.name(ep).to_owned();
        if self.open.remove(&name).is_some() {
            if let Some(o) = self.owner(ep) {
                self.closed.insert(name, o);
            }
        }
    }

    /// The endpoint currently answering to `name`.
    pub fn lookup(&self, name: &str) -> Option<Ep> {
        self.open.get(name).copied()
    }

    /// The owner of a closed client called `name`, if it was one.
    pub fn closed_owner(&self, name: &str) -> Option<Owner> {
        self.closed.get(name).copied()
    }

    /// An endpoint's id.
    pub fn name(&self, ep: Ep) -> &str {
        self.names.get(ep.0 as usize).map_or("?", String::as_str)
    }

    /// An endpoint's owner.
    pub fn owner(&self, ep: Ep) -> Option<Owner> {
        self.owners.get(ep.0 as usize).copied()
    }
}
