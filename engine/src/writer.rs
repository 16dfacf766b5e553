//! The writer thread: the only code that writes stdout.
//!
//! It serializes every outgoing message into one buffer and writes the buffer when its queue
//! runs dry (or the buffer passes `FLUSH_AT`), so a burst costs few write(2) calls and a lone
//! reply is never held back.

use crate::codec::encode;
use crate::handoff::Pop;
use crate::message::NodeId;
use crate::node::Outgoing;
use crate::{log_debug, log_error};
use serde::Serialize;
use std::io::Write;

/// What the writer is told.
pub(crate) enum WriterMsg<B> {
    /// Messages to send, in order, from the given id: every message carries its sender, so
    /// what is sent never depends on when the writer runs (docs/protocol.md §2.1).
    Batch(NodeId, Vec<Outgoing<B>>),
    /// Flush and stop: every other thread is done.
    Stop,
}

/// Write once the buffer holds this much, even if more is queued.
const FLUSH_AT: usize = 256 * 1024;

/// Serializes and writes until told to stop.
pub(crate) fn run<B: Serialize>(rx: Pop<WriterMsg<B>>, mut output: impl Write) {
    let mut buf = Vec::with_capacity(FLUSH_AT * 2);
    let mut broken = false;
    loop {
        let Some(first) = rx.recv() else { return };
        let mut stop = !encode_msg(first, &mut buf);
        while !stop {
            match rx.try_recv() {
                Some(msg) => stop = !encode_msg(msg, &mut buf),
                None => break,
            }
            if buf.len() >= FLUSH_AT {
                write(&mut output, &mut buf, &mut broken);
            }
        }
        write(&mut output, &mut buf, &mut broken);
        if stop {
            return;
        }
    }
}

/// Encodes one writer message; `false` means stop.
fn encode_msg<B: Serialize>(msg: WriterMsg<B>, buf: &mut Vec<u8>) -> bool {
    let WriterMsg::Batch(me, batch) = msg else { return false };
    for out in &batch {
        let start = buf.len();
        if let Err(e) = encode(&me, out, buf) {
            log_error!("cannot send to {}: {e}", out.dest);
        } else if crate::log::enabled(crate::log::Level::Debug) {
            log_debug!("send {}", String::from_utf8_lossy(&buf[start..buf.len() - 1]));
        }
    }
    true
}

/// Writes and flushes `buf`. Once stdout is gone, output is dropped: the peer stopped reading.
fn write(output: &mut impl Write, buf: &mut Vec<u8>, broken: &mut bool) {
    if buf.is_empty() {
        return;
    }
    if !*broken {
        if let Err(e) = output.write_all(buf).and_then(|()| output.flush()) {
            log_error!("writing stdout failed: {e}; dropping output from now on");
            *broken = true;
        }
    }
    buf.clear();
}
