//! The worker pool: runs the node's handlers on batches of messages from the reader.
//!
//! A handler's `Err` becomes an `error` reply when the message expects one. What a whole batch
//! produced goes to the writer in one hop.

use crate::handoff::Pop;
use crate::log_error;
use crate::message::Message;
use crate::node::{handle_guarded, Node};
use crate::runtime::Shared;
use std::sync::Arc;

/// Handles batches until the reader's sender is dropped and the queue is empty.
pub(crate) fn run<N: Node>(shared: &Arc<Shared<N>>, work: Pop<Vec<Message<N::Body>>>) {
    let mut sent = Vec::new();
    while let Some(batch) = work.recv() {
        shared.admission.taken(batch.len());
        let Some(running) = shared.node.get() else {
            // The reader forwards messages only after init built the node.
            log_error!("message before init reached a worker; dropped");
            continue;
        };
        let mut out = shared.out(&running.members);
        for msg in batch {
            handle_guarded(&running.node, msg, &mut out);
        }
        shared.dispatch_into(&mut out, &mut sent);
        shared.send(running.members.me(), std::mem::take(&mut sent));
    }
}
