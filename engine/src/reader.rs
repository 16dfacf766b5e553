//! The reader thread: stdin lines in, parsed messages out to the workers.
//!
//! It reads stdin in large chunks and parses every complete line in place into simd-json's
//! tape (the bytes after a line serve as simd-json's padding, so nothing is copied). Replies
//! to this node's calls go straight to their continuation or blocked caller, `init` is handled
//! here, and the other messages go to the workers in batches: one batch per chunk read, so a
//! flood costs one channel hop per batch and a lone message is not held back. Bad lines are
//! logged and, where a reply is due, answered with error 10 or 12 (STYLE.md's bad-input
//! table); nothing stops the loop but EOF.

use crate::codec::{decode_body, salvage, BadFrame, Header, Reply};
use crate::error::RpcError;
use crate::message::{Init, Message};
use crate::node::{Node, Outgoing, Payload};
use crate::protocol::{self, InitStep};
use crate::rpc::finish;
use crate::runtime::Shared;
use crate::{log, log_debug, log_error, log_info};
use crossbeam_channel::Sender;
use simd_json::{Tape, INPUT_PADDING};
use std::io::{ErrorKind, Read};
use std::sync::Arc;

/// Bytes read from stdin at a time (the buffer grows for longer lines, up to `max_line`).
const CHUNK: usize = 64 * 1024;
/// Most messages in one batch to the workers, so that every worker gets work during a flood.
const MAX_BATCH: usize = 512;

struct Reader<'s, N: Node> {
    shared: &'s Arc<Shared<N>>,
    work: Sender<Vec<Message<N::Body>>>,
    buffers: simd_json::Buffers,
    /// The tape, kept between lines for its allocation.
    tape: Tape<'static>,
    batch: Vec<Message<N::Body>>,
    errors: Vec<Outgoing<N::Body>>,
}

/// Reads `input` until EOF. Returns when every complete line has been handled.
pub(crate) fn run<N: Node>(
    shared: &Arc<Shared<N>>,
    mut input: impl Read,
    work: Sender<Vec<Message<N::Body>>>,
    max_line: usize,
) {
    let mut r = Reader {
        shared,
        work,
        buffers: simd_json::Buffers::default(),
        tape: Tape::null().reset(),
        batch: Vec::with_capacity(MAX_BATCH),
        errors: Vec::new(),
    };
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

impl<N: Node> Reader<'_, N> {
    /// Handles the line `buf[..len]`; the bytes after it are padding for the parser.
    fn on_line(&mut self, buf: &mut [u8], mut len: usize) {
        if len > 0 && buf[len - 1] == b'\r' {
            len -= 1;
        }
        if buf[..len].iter().all(u8::is_ascii_whitespace) {
            log_debug!("ignoring an empty line");
            return;
        }
        if log::enabled(log::Level::Debug) {
            log_debug!("recv {}", String::from_utf8_lossy(&buf[..len]));
        }
        let mut tape = std::mem::replace(&mut self.tape, Tape::null().reset()).reset();
        let error = match simd_json::fill_tape_padded(buf, len, &mut self.buffers, &mut tape) {
            Ok(()) => {
                if let Some(tape) = self.on_tape(tape) {
                    self.tape = tape.reset();
                }
                return;
            }
            Err(e) => e,
        };
        self.tape = tape.reset();
        // simd-json may have unescaped some strings in place; salvage is best effort.
        let (src, msg_id) = salvage(&buf[..len]);
        log_error!("unparsable line ({error}): {}", preview(&buf[..len]));
        let error = RpcError::malformed(format!("invalid JSON: {error}"));
        self.reject(BadFrame { src, msg_id, is_reply: false, error });
    }

    /// Handles one parsed message; returns the tape unless a reply's continuation took it.
    fn on_tape<'i>(&mut self, tape: Tape<'i>) -> Option<Tape<'i>> {
        let header = match Header::read(tape.as_value()) {
            Ok(h) => h,
            Err(bad) => {
                log_error!("bad message: {}", bad.error.text);
                self.reject(bad);
                return Some(tape);
            }
        };
        if let Some(id) = header.in_reply_to {
            if let Some(waiter) = self.shared.calls.take_reply(id, &header.src) {
                match self.shared.node.get() {
                    Some(node) => finish(self.shared, node, waiter, Ok(Reply::from_tape(tape))),
                    None => log_error!("reply to msg {id} before init; dropped"),
                }
                return None;
            }
        }
        if header.kind == "init" {
            return Some(self.on_init(tape, header));
        }
        if self.shared.node.get().is_none() {
            log_error!("`{}` from {} before init", header.kind, header.src);
            if let Some(reply) = protocol::before_init(&header) {
                self.shared.send_as(header.dest, vec![reply]);
            }
            return Some(tape);
        }
        let (body, tape) = decode_body::<N::Body>(tape, header.kind);
        match body {
            Ok(body) => self.batch_push(Message {
                src: header.src,
                dest: header.dest,
                msg_id: header.msg_id,
                in_reply_to: header.in_reply_to,
                body,
            }),
            Err(error) => {
                log_error!("{} from {}", error.text, header.src);
                let is_reply = header.in_reply_to.is_some();
                self.reject(BadFrame { src: Some(header.src), msg_id: header.msg_id, is_reply, error });
            }
        }
        Some(tape)
    }

    fn on_init<'i>(&mut self, tape: Tape<'i>, header: Header<'_>) -> Tape<'i> {
        let (init, tape) = decode_body::<Init>(tape, header.kind);
        let payload = match protocol::init_step(init, self.shared.id.get()) {
            InitStep::Answer(payload) => {
                match &payload {
                    Payload::Error(e) => log_error!("init not applied: {e}"),
                    _ => log_error!("second init with the same id: answered init_ok"),
                }
                payload
            }
            InitStep::Build(init) => match N::init(&init) {
                Ok(node) => {
                    log::set_node(&init.node_id);
                    let _ = self.shared.id.set(init.node_id.clone());
                    let _ = self.shared.node.set(Arc::new(node));
                    log_info!("initialised; cluster {:?}", init.node_ids);
                    Payload::InitOk
                }
                Err(error) => {
                    log_error!("init failed: {error}");
                    Payload::Error(error)
                }
            },
        };
        self.reply(protocol::answer(header.src, header.msg_id, payload));
        tape
    }

    /// Answers a line that could not be handled, where a reply is due.
    fn reject(&mut self, bad: BadFrame) {
        self.reply(protocol::rejection(bad));
    }

    fn reply(&mut self, reply: Option<Outgoing<N::Body>>) {
        if let Some(reply) = reply {
            self.errors.push(reply);
            // `init_ok` must not wait for the rest of the chunk.
            self.flush_errors();
        }
    }

    fn batch_push(&mut self, msg: Message<N::Body>) {
        self.batch.push(msg);
        if self.batch.len() >= MAX_BATCH {
            self.flush_batch();
        }
    }

    fn flush(&mut self) {
        self.flush_batch();
        self.flush_errors();
    }

    fn flush_batch(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(MAX_BATCH));
        self.shared.admission.admit(batch.len());
        // The workers live until this sender drops, so the send cannot fail.
        let _ = self.work.send(batch);
    }

    fn flush_errors(&mut self) {
        if !self.errors.is_empty() {
            self.shared.send(std::mem::take(&mut self.errors));
        }
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

/// The start of a line, for logs.
fn preview(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(&line[..line.len().min(200)]);
    if line.len() > 200 {
        format!("{text}… ({} bytes)", line.len())
    } else {
        text.into_owned()
    }
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
