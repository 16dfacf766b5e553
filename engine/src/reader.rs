//! The reader thread: stdin lines in, parsed messages out to the workers.
//!
//! It reads stdin in large chunks and hands every complete line, in place, to the node's
//! `protocol::Inbox` (the bytes after a line serve as simd-json's padding, so nothing is
//! copied), then carries out the decision: a reply to one of this node's calls goes straight
//! to its continuation or blocked caller, `init` builds the node here, an answer (error 10, 11,
//! 12, the answer to `init`) goes to the writer at once, and the other messages go to the
//! workers in batches: one batch per chunk read, so a flood costs one channel hop per batch and
//! a lone message is not held back. Nothing stops the loop but EOF.

use crate::error::RpcError;
use crate::handoff::Push;
use crate::log_error;
use crate::message::{Init, Members, Message};
use crate::node::{checked_ticks, started, Node};
use crate::protocol::{Answer, Decision, Inbox};
use crate::rpc::finish;
use crate::runtime::{Running, Shared};
use simd_json::INPUT_PADDING;
use std::io::{ErrorKind, Read};
use std::sync::Arc;

/// Bytes read from stdin at a time (the buffer grows for longer lines, up to `max_line`).
const CHUNK: usize = 64 * 1024;
/// Most messages in one batch to the workers, so that every worker gets work during a flood.
const MAX_BATCH: usize = 512;

struct Reader<'s, N: Node, F> {
    shared: &'s Arc<Shared<N>>,
    work: Push<Vec<Message<N::Body>>>,
    /// What to do with each line.
    inbox: Inbox,
    /// Builds the node from `init`.
    build: F,
    batch: Vec<Message<N::Body>>,
}

/// Reads `input` until EOF. Returns when every complete line has been handled.
pub(crate) fn run<N: Node>(
    shared: &Arc<Shared<N>>,
    mut input: impl Read,
    work: Push<Vec<Message<N::Body>>>,
    max_line: usize,
    build: impl FnMut(&Init) -> Result<N, RpcError>,
) {
    let mut r = Reader { shared, work, inbox: Inbox::new(), build, batch: Vec::new() };
    // `buf[..cap]` holds input; the `INPUT_PADDING` bytes past `cap` are simd-json's padding.
    let mut cap = CHUNK.min(max_line.max(1));
    let mut buf = vec![0u8; cap + INPUT_PADDING];
    let (mut start, mut end) = (0usize, 0usize);
    // Inside a line longer than `max_line`: drop bytes up to its newline.
    let mut skipping = false;
    loop {
        if start > 0 {
            buf.copy_within(start..end, 0);
            end -= start;
            start = 0;
        }
        if end == cap {
            if cap < max_line {
                cap = (cap * 2).min(max_line);
                buf.resize(cap + INPUT_PADDING, 0);
            } else {
                log_error!("input line longer than {max_line} bytes; skipping it");
                skipping = true;
                end = 0;
            }
        }
        let n = match input.read(&mut buf[end..cap]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                log_error!("reading stdin failed: {e}; treating it as end of input");
                break;
            }
        };
        let mut cursor = end;
        end += n;
        while let Some(pos) = find_newline(&buf[cursor..end]) {
            let line_end = cursor + pos;
            if skipping {
                skipping = false;
            } else {
                r.on_line(&mut buf[start..], line_end - start);
            }
            start = line_end + 1;
            cursor = start;
        }
        if skipping {
            // Nothing of an oversized line is kept.
            start = end;
        }
        r.flush();
    }
    if start < end && !skipping {
        log_error!("end of input in the middle of a line ({} bytes); handling what arrived", end - start);
        r.on_line(&mut buf[start..], end - start);
    }
    r.flush();
}

impl<N: Node, F: FnMut(&Init) -> Result<N, RpcError>> Reader<'_, N, F> {
    /// Handles the line `buf[..len]`; the bytes after it are padding for the parser.
    fn on_line(&mut self, buf: &mut [u8], len: usize) {
        let calls = &self.shared.calls;
        let decision = match self.inbox.on_line(buf, len, |id, src| calls.take_reply(id, src)) {
            Decision::Unparsable { error, len } => self.inbox.unparsable(&buf[..len], error),
            decision => decision,
        };
        match decision {
            Decision::Deliver(msg) => self.batch_push(msg),
            Decision::Reply { waiter, reply } => {
                // A call is routed only once init built the node.
                if let Some(running) = self.shared.node.get() {
                    finish(self.shared, running, waiter, Ok(reply));
                }
            }
            Decision::Init(call) => {
                let built = (self.build)(&call.init).and_then(checked_ticks).map(|node| {
                    let members = Arc::new(Members::from(&call.init));
                    let mut out = started(&node, &members, self.shared.now());
                    let running = Running { members, node };
                    self.shared.dispatch(running.members.me(), &mut out);
                    let _ = self.shared.node.set(running);
                });
                if let Some(answer) = self.inbox.initialised(call, built) {
                    self.answer(answer);
                }
            }
            Decision::Answer(answer) => self.answer(answer),
            Decision::Ignore | Decision::Unparsable { .. } => {}
        }
    }

    /// Sends an answer at once: `init_ok` must not wait for the rest of the chunk.
    fn answer(&self, answer: Answer<N::Body>) {
        self.shared.send(&answer.from, vec![answer.msg]);
    }

    fn batch_push(&mut self, msg: Message<N::Body>) {
        self.batch.push(msg);
        if self.batch.len() >= MAX_BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        // Room for a flood's full batch once batches are large (growing one would copy it), and
        // for only a few messages at a low rate, where room for 512 is an allocation wasted.
        let len = self.batch.len();
        let next = Vec::with_capacity(if len >= MAX_BATCH / 8 { MAX_BATCH } else { len.next_power_of_two() });
        let batch = std::mem::replace(&mut self.batch, next);
        self.shared.admission.admit(batch.len());
        // The workers live until this sender drops, so the send cannot fail.
        self.work.send(batch);
    }
}

/// The index of the first `\n` in `bytes`, eight bytes at a time: the byte scan is a
/// measurable part of the reader's cost per message.
fn find_newline(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const NEWLINES: u64 = ONES * b'\n' as u64;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in chunks.by_ref() {
        let word = u64::from_le_bytes(chunk.try_into().expect("chunks_exact yields 8 bytes"));
        let x = word ^ NEWLINES;
        // A byte of `x` is zero exactly where `word` holds a newline.
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        if found != 0 {
            return Some(offset + (found.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks.remainder().iter().position(|&b| b == b'\n').map(|i| offset + i)
}

#[cfg(test)]
mod tests {
    use super::find_newline;

    #[test]
    fn finds_the_first_newline_at_every_position_and_none_when_absent() {
        for len in 0..40 {
            for at in 0..=len {
                let mut bytes = vec![b'a'; len];
                bytes.extend_from_slice(b"\nzz\n");
                let mut shifted = vec![0x8au8; at];
                shifted.extend_from_slice(&bytes);
                // Bytes 0x8a and 0x0b differ from b'\n' only in bits the trick must not confuse.
                let want = shifted.iter().position(|&b| b == b'\n');
                assert_eq!(find_newline(&shifted), want, "len {len} at {at}");
            }
            assert_eq!(find_newline(&vec![0x0bu8; len]), None);
        }
    }
}
