//! Control nodes for the workbench: small nodes, correct and broken on purpose, that prove its
//! checkers pass what is right and fail what is wrong. Each control is named by one [`Control`]
//! value and written once; the `glomers-control` binary runs it as a process, and the
//! [`registry`] hands it to the in-process simulator.
//!
//! # Layout
//!
//! - [`control`]: the [`Control`] enum (every mode, its name, how it runs).
//! - [`registry`]: name → factory of a simulator driver, as the simulator has for `nodes/`.
//! - One file per workload, each an engine `Node` generic over its flaw: [`echo`],
//!   [`unique_ids`], [`broadcast`], [`g_counter`], [`kafka`], [`txn`], [`g_set`],
//!   [`pn_counter`], [`lin_kv`], [`txn_list_append`]; [`pingpong`] is load.
//! - [`breach`]: the controls that break the protocol itself (junk on stdout, exiting early,
//!   never answering `init`), which no engine node can do: one hand-written driver, run by the
//!   simulator and, behind a stdin loop, as a process.
//!
//! # Why the flaw is a type
//!
//! `Node::init` takes no settings, so each control is a node type of its own: `Echo<Correct>`
//! is the correct echo, `Echo<echo::WrongText>` the one that answers with the wrong text. The
//! marker type names the flaw through [`Flawed`]; the node branches on [`Flawed::FLAW`].
//!
//! Section signs in this crate's comments (§4.3, say) cite the protocol reference,
//! `docs/protocol.md` at the top of the repository.

#![warn(missing_docs)]
#![deny(clippy::print_stdout)]

/// Declares a workload's `Flaw` enum and, for each flaw, a marker type of the same name that
/// selects it through [`Flawed`].
macro_rules! flaws {
    ($($(#[$doc:meta])* $name:ident),+ $(,)?) => {
        /// How this workload's control is broken; the correct control ([`crate::Correct`]) has none.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Flaw {
            $($(#[$doc])* $name,)+
        }
        $(
            $(#[$doc])*
            pub struct $name;
            impl $crate::Flawed<Flaw> for $name {
                const FLAW: Option<Flaw> = Some(Flaw::$name);
            }
        )+
    };
}

pub mod breach;
pub mod broadcast;
pub mod control;
pub mod echo;
pub mod g_counter;
pub mod g_set;
pub mod kafka;
pub mod lin_kv;
pub mod pingpong;
pub mod pn_counter;
pub mod registry;
pub mod txn;
pub mod txn_list_append;
pub mod unique_ids;

pub use control::{Control, ModeError};

/// Names a control's flaw at the type level (see the crate doc): `F` is the workload's `Flaw`.
pub trait Flawed<F>: Send + Sync + 'static {
    /// The flaw, or `None` for the correct control.
    const FLAW: Option<F>;
}

/// The marker of every workload's correct control.
pub struct Correct;

impl<F> Flawed<F> for Correct {
    const FLAW: Option<F> = None;
}

/// The ids of every node but `me`, from `init`.
fn peers(init: &glomers_engine::Init) -> Vec<glomers_engine::NodeId> {
    init.node_ids.iter().filter(|n| **n != init.node_id).cloned().collect()
}

#[cfg(test)]
mod testing;
