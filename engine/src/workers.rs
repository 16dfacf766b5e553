//! The worker pool: runs the node's handlers on batches of messages from the reader.
//!
//! A handler's `Err` becomes an `error` reply when the message expects one. What a whole batch
//! produced goes to the writer in one hop.

use crate::message::Message;
use crate::node::Node;
use crate::runtime::Shared;
use crate::{log_debug, log_error};
use crossbeam_channel::Receiver;
use std::sync::Arc;

/// Handles batches until the reader's sender is dropped and the queue is empty.
pub(crate) fn run<N: Node>(shared: &Arc<Shared<N>>, work: Receiver<Vec<Message<N::Body>>>) {
    let mut sent = Vec::new();
    for batch in work {
        shared.admission.taken(batch.len());
        let Some(node) = shared.node.get() else {
            // The reader forwards messages only after init built the node.
            log_error!("message before init reached a worker; dropped");
            continue;
        };
        let mut out = shared.out();
        for msg in batch {
            let (src, msg_id, is_reply) = (msg.src.clone(), msg.msg_id, msg.in_reply_to.is_some());
            if let Err(e) = node.on_message(msg, &mut out) {
                log_debug!("answering {src} with {e}");
                if !is_reply {
                    out.reply_error(src, msg_id, e);
                }
            }
        }
        shared.dispatch_into(&mut out, &mut sent);
        shared.send(std::mem::take(&mut sent));
    }
}
