//! The writer thread: the only code that writes stdout.
//!
//! It serializes every outgoing message into one buffer and writes the buffer when its queue
//! runs dry (or the buffer passes `FLUSH_AT`), so a burst costs few write(2) calls and a lone
//! reply is never held back.

use crate::codec::encode;
use crate::message::NodeId;
use crate::node::{Node, Outgoing};
use crate::runtime::Shared;
use crate::{log_debug, log_error};
use crossbeam_channel::Receiver;
use std::io::Write;
use std::sync::Arc;

/// What the writer is told.
pub(crate) enum WriterMsg<B> {
    /// Messages to send, in order.
    Batch(Vec<Outgoing<B>>),
    /// Messages to send from a given id: answers to messages that came before `init`.
    BatchAs(NodeId, Vec<Outgoing<B>>),
    /// Flush and stop: every other thread is done.
    Stop,
}

/// Write once the buffer holds this much, even if more is queued.
const FLUSH_AT: usize = 256 * 1024;

/// Serializes and writes until told to stop.
pub(crate) fn run<N: Node>(
    shared: &Arc<Shared<N>>,
    rx: Receiver<WriterMsg<N::Body>>,
    mut output: impl Write,
) {
    let mut buf = Vec::with_capacity(FLUSH_AT * 2);
    let mut broken = false;
    loop {
        let Ok(first) = rx.recv() else { return };
        let mut stop = !encode_msg(shared, first, &mut buf);
        while !stop {
            match rx.try_recv() {
                Ok(msg) => stop = !encode_msg(shared, msg, &mut buf),
                Err(_) => break,
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
fn encode_msg<N: Node>(shared: &Arc<Shared<N>>, msg: WriterMsg<N::Body>, buf: &mut Vec<u8>) -> bool {
    let (me, batch) = match msg {
        WriterMsg::Stop => return false,
        WriterMsg::BatchAs(me, batch) => (me, batch),
        WriterMsg::Batch(batch) => match shared.id.get() {
            Some(me) => (me.clone(), batch),
            None => {
                log_error!("message to send before init; dropped");
                return true;
            }
        },
    };
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
