//! Node processes: the only module that touches pipes. Each node gets a reader thread for its
//! stdout, a writer thread for its stdin, and a thread copying its stderr to
//! `node-logs/<id>.log` (and to the console with `--log-stderr`).
//!
//! Every queue between a node's pipes and the session is bounded, so a node that writes faster
//! than the bench routes, or never reads, is slowed by its own pipe instead of growing the
//! bench's memory:
//! - stdout: the reader gathers whole lines into batches of about `BATCH_BYTES` (a line is at
//!   most [`MAX_LINE`] bytes) and hands them over a channel of `READ_QUEUE` batches; when the
//!   channel is full the reader blocks, the pipe fills, and the node blocks on its write;
//! - stdin: the session hands each node's lines to its writer thread, and stops once
//!   `WRITE_LIMIT` bytes wait there ([`Nodes::is_backed_up`]); the caller then holds
//!   deliveries to that node on the simulated network instead;
//! - stderr: copied to the log a line at a time, a line cut every [`MAX_LINE`] bytes.
//!
//! The kill and pause nemeses act here ([`Nodes::signal`]): a killed node's process gets
//! SIGKILL and its pipes are dropped with whatever they held; its restart is a fresh process
//! with fresh pipes, logging to the end of the same file. Pause and resume are SIGSTOP and
//! SIGCONT.
//!
//! Each node has a data directory that outlives its processes (docs/protocol.md §5.6):
//! `node-data/<id>/` in the run directory, empty at the start of the test, its absolute path in
//! the environment variable [`DATA_DIR_ENV`] of every process of that node.

use crate::core::run::{NodeIdx, Signal};
use crossbeam_channel::{bounded, unbounded, Receiver, Select, Sender};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest line a node may write: 16 MiB, four times the longest line the engine's nodes
/// accept. A longer line is skipped and reported, so one line cannot take unbounded memory.
pub const MAX_LINE: usize = 16 << 20;
/// A reader hands over its batch once it holds this many bytes, or once the pipe has nothing
/// more to read at once (so a lone line is not kept waiting).
const BATCH_BYTES: usize = 64 << 10;
/// Batches of one node waiting for the session; beyond that its reader blocks.
const READ_QUEUE: usize = 4;
/// Bytes waiting for one node's stdin writer above which [`Nodes::is_backed_up`] says so.
const WRITE_LIMIT: usize = 1 << 20;
/// The environment variable that names a node's data directory (§5.6).
pub const DATA_DIR_ENV: &str = "GLOMERS_DATA_DIR";

/// Whole lines a node wrote, without their newlines, in one buffer.
#[derive(Debug, Default)]
pub struct Lines {
    bytes: Vec<u8>,
    /// Where each line ends in `bytes`; line `k` starts where line `k - 1` ends.
    ends: Vec<usize>,
}

impl Lines {
    /// The lines in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(self.ends.iter()).map(|(a, &b)| self.bytes.get(a..b).unwrap_or_default())
    }

    fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// Something a node did on its stdout.
#[derive(Debug)]
pub enum NodeEvent {
    /// Lines it wrote.
    Lines(Lines),
    /// It wrote a line longer than [`MAX_LINE`] (skipped).
    LineTooLong,
    /// Its stdout closed (usually: it exited).
    Eof,
}

/// Why the node binary cannot run, or a node process could not be started.
#[derive(Debug)]
pub enum ProcessError {
    /// The binary cannot be found (or its metadata read).
    NotFound {
        /// The binary.
        path: PathBuf,
        /// The cause.
        cause: io::Error,
    },
    /// The binary's path names something other than a file.
    NotAFile(PathBuf),
    /// The binary has no execute permission.
    NotExecutable(PathBuf),
    /// The binary's path cannot be made absolute.
    Resolve {
        /// The binary.
        path: PathBuf,
        /// The cause.
        cause: io::Error,
    },
    /// A node's process could not be started.
    Start {
        /// The node's name.
        node: String,
        /// The binary.
        path: PathBuf,
        /// The cause.
        cause: io::Error,
    },
    /// A node's process was started without its stdin, stdout or stderr pipe.
    NoPipes {
        /// The node's name.
        node: String,
    },
    /// A node's data directory could not be created.
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        cause: io::Error,
    },
    /// A node's log file could not be created.
    Log {
        /// The log file.
        path: PathBuf,
        /// The cause.
        cause: io::Error,
    },
}

impl fmt::Display for ProcessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessError::NotFound { path, cause } => {
                write!(f, "node binary {} not found ({cause})", path.display())
            }
            ProcessError::NotAFile(path) => write!(f, "node binary {} is not a file", path.display()),
            ProcessError::NotExecutable(path) => {
                write!(f, "node binary {} is not executable (try chmod +x)", path.display())
            }
            ProcessError::Resolve { path, cause } => write!(f, "cannot resolve {}: {cause}", path.display()),
            ProcessError::Start { node, path, cause } => {
                write!(f, "cannot start {} for {node}: {cause}", path.display())
            }
            ProcessError::NoPipes { node } => write!(f, "no pipes for {node}"),
            ProcessError::Log { path, cause } | ProcessError::DataDir { path, cause } => {
                write!(f, "cannot create {}: {cause}", path.display())
            }
        }
    }
}

impl std::error::Error for ProcessError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProcessError::NotFound { cause, .. }
            | ProcessError::Resolve { cause, .. }
            | ProcessError::Start { cause, .. }
            | ProcessError::Log { cause, .. }
            | ProcessError::DataDir { cause, .. } => Some(cause),
            ProcessError::NotAFile(_) | ProcessError::NoPipes { .. } | ProcessError::NotExecutable(_) => None,
        }
    }
}

/// Checks that `bin` exists and is an executable file.
///
/// # Errors
/// [`ProcessError::NotFound`], [`ProcessError::NotAFile`] or [`ProcessError::NotExecutable`].
pub fn check_binary(bin: &Path) -> Result<(), ProcessError> {
    let meta =
        std::fs::metadata(bin).map_err(|cause| ProcessError::NotFound { path: bin.to_path_buf(), cause })?;
    if !meta.is_file() {
        return Err(ProcessError::NotAFile(bin.to_path_buf()));
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err(ProcessError::NotExecutable(bin.to_path_buf()));
    }
    Ok(())
}

/// One node's stdin: its writer thread's queue, and the bytes waiting in it.
struct Stdin {
    tx: Sender<Vec<u8>>,
    queued: Arc<AtomicUsize>,
}

/// How node processes are started: the same way at the start and at each restart.
struct Launch {
    bin: PathBuf,
    args: Vec<String>,
    names: Vec<String>,
    log_dir: PathBuf,
    /// Holds each node's data directory.
    data_dir: PathBuf,
    log_stderr: bool,
}

/// The running node processes.
pub struct Nodes {
    launch: Launch,
    children: Vec<Child>,
    /// Each node's stdin and stdout; `None` while it is killed.
    stdins: Vec<Option<Stdin>>,
    stdouts: Vec<Option<Receiver<NodeEvent>>>,
    logs: Vec<JoinHandle<()>>,
}

impl Nodes {
    /// Starts one process per node name, each logging to `log_dir/<id>.log` with its data
    /// directory `data_dir/<id>/` (created empty).
    ///
    /// # Errors
    /// A [`ProcessError`] if the binary's path cannot be resolved, or a process, a log file or
    /// a data directory cannot be created.
    pub fn spawn(
        bin: &Path,
        args: &[String],
        names: &[String],
        (log_dir, data_dir): (&Path, &Path),
        log_stderr: bool,
    ) -> Result<Nodes, ProcessError> {
        // Nodes run in the temp dir (as under Maelstrom), so a relative path must be resolved first.
        let bin = std::fs::canonicalize(bin)
            .map_err(|cause| ProcessError::Resolve { path: bin.to_path_buf(), cause })?;
        let dir_error = |cause| ProcessError::DataDir { path: data_dir.to_path_buf(), cause };
        std::fs::create_dir_all(data_dir).map_err(dir_error)?;
        // Absolute, since nodes run in the temp dir.
        let data_dir = std::fs::canonicalize(data_dir).map_err(dir_error)?;
        let launch = Launch {
            bin,
            args: args.to_vec(),
            names: names.to_vec(),
            log_dir: log_dir.to_path_buf(),
            data_dir,
            log_stderr,
        };
        let mut nodes =
            Nodes { launch, children: Vec::new(), stdins: Vec::new(), stdouts: Vec::new(), logs: Vec::new() };
        for name in names {
            match start(&nodes.launch, name, false) {
                Ok(started) => {
                    nodes.children.push(started.child);
                    nodes.stdins.push(Some(started.stdin));
                    nodes.stdouts.push(Some(started.stdout));
                    nodes.logs.push(started.logger);
                }
                Err(e) => {
                    // Do not leave the nodes already started running.
                    nodes.kill_all();
                    return Err(e);
                }
            }
        }
        Ok(nodes)
    }

    /// Queues bytes (whole lines) for node `i`'s stdin. The caller stops while
    /// [`Nodes::is_backed_up`] says so; that is what bounds the queue.
    pub fn write(&self, i: NodeIdx, bytes: Vec<u8>) {
        if let Some(Some(w)) = self.stdins.get(i.0) {
            w.queued.fetch_add(bytes.len(), Ordering::Relaxed);
            // A closed writer means the node is gone; its EOF reports that.
            let _ = w.tx.send(bytes);
        }
    }

    /// Whether at least `WRITE_LIMIT` bytes wait for node `i`'s stdin: the node reads slower
    /// than it is written to.
    pub fn is_backed_up(&self, i: NodeIdx) -> bool {
        self.stdins
            .get(i.0)
            .and_then(Option::as_ref)
            .is_some_and(|w| w.queued.load(Ordering::Relaxed) >= WRITE_LIMIT)
    }

    /// Waits up to `timeout` for output from the nodes `listen` accepts, then takes at most one
    /// event from each of them: what one step of the session handles, bounded whatever the
    /// nodes write. Nodes not listened to keep their output in their pipes.
    pub fn next_events(
        &self,
        listen: impl Fn(NodeIdx) -> bool,
        timeout: Duration,
    ) -> Vec<(NodeIdx, NodeEvent)> {
        let open: Vec<(NodeIdx, &Receiver<NodeEvent>)> = self
            .stdouts
            .iter()
            .enumerate()
            .filter_map(|(i, rx)| Some((NodeIdx(i), rx.as_ref()?)))
            .filter(|(i, _)| listen(*i))
            .collect();
        if open.is_empty() {
            std::thread::sleep(timeout);
            return Vec::new();
        }
        let mut sel = Select::new();
        for (_, rx) in &open {
            sel.recv(rx);
        }
        if sel.ready_timeout(timeout).is_err() {
            return Vec::new();
        }
        open.into_iter().filter_map(|(i, rx)| rx.try_recv().ok().map(|ev| (i, ev))).collect()
    }

    /// Node `i`'s exit status, waiting up to `grace` for it to exit.
    pub fn exit_status(&mut self, i: NodeIdx, grace: Duration) -> Option<ExitStatus> {
        let child = self.children.get_mut(i.0)?;
        let until = Instant::now() + grace;
        loop {
            if let Ok(Some(s)) = child.try_wait() {
                return Some(s);
            }
            if Instant::now() >= until {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Nodes that have already exited on their own, with their status (a killed node has not).
    pub fn exited(&mut self) -> Vec<(NodeIdx, ExitStatus)> {
        self.children
            .iter_mut()
            .zip(&self.stdouts)
            .enumerate()
            .filter(|(_, (_, out))| out.is_some())
            .filter_map(|(i, (c, _))| c.try_wait().ok().flatten().map(|s| (NodeIdx(i), s)))
            .collect()
    }

    /// Carries out a signal of the kill and pause nemeses on node `i`.
    ///
    /// # Errors
    /// A [`ProcessError`] when a restarted node's process or log cannot be started.
    pub fn signal(&mut self, i: NodeIdx, signal: Signal) -> Result<(), ProcessError> {
        match signal {
            Signal::Kill => {
                if let Some(c) = self.children.get_mut(i.0) {
                    let _ = c.kill();
                    let _ = c.wait();
                }
                // Dropping the pipes ends the node's reader and writer threads; what they held is
                // lost, as it would be with the process.
                self.stdins.get_mut(i.0).map(Option::take);
                self.stdouts.get_mut(i.0).map(Option::take);
            }
            Signal::Restart => {
                let Some(name) = self.launch.names.get(i.0) else { return Ok(()) };
                let started = start(&self.launch, name, true)?;
                if let Some(c) = self.children.get_mut(i.0) {
                    *c = started.child;
                }
                if let Some(w) = self.stdins.get_mut(i.0) {
                    *w = Some(started.stdin);
                }
                if let Some(r) = self.stdouts.get_mut(i.0) {
                    *r = Some(started.stdout);
                }
                self.logs.push(started.logger);
            }
            Signal::Pause => self.send_signal(i, libc::SIGSTOP),
            Signal::Resume => self.send_signal(i, libc::SIGCONT),
        }
        Ok(())
    }

    fn send_signal(&self, i: NodeIdx, sig: libc::c_int) {
        let Some(pid) = self.children.get(i.0).and_then(|c| libc::pid_t::try_from(c.id()).ok()) else {
            return;
        };
        // SAFETY: `kill` only sends a signal; `pid` is our own child, not yet reaped (a killed
        // node is restarted before it can be paused again), so it names no other process.
        unsafe {
            libc::kill(pid, sig);
        }
    }

    /// Kills every node (SIGKILL), reaps them, and waits for their stderr logs to be complete.
    pub fn kill_all(mut self) {
        self.stdins.clear();
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for h in self.logs.drain(..) {
            let _ = h.join();
        }
    }
}

/// A started node: the process, its stdin queue, its stdout events and its stderr logger.
struct Started {
    child: Child,
    stdin: Stdin,
    stdout: Receiver<NodeEvent>,
    logger: JoinHandle<()>,
}

/// Starts one node with its three threads: stdin writer, stdout reader, stderr logger; a
/// restarted node (`again`) logs to the end of its first process's log.
fn start(launch: &Launch, name: &str, again: bool) -> Result<Started, ProcessError> {
    let Launch { bin, args, log_dir, data_dir, log_stderr, .. } = launch;
    let log_stderr = *log_stderr;
    let data = data_dir.join(name);
    std::fs::create_dir_all(&data).map_err(|cause| ProcessError::DataDir { path: data.clone(), cause })?;
    let mut child = Command::new(bin)
        .args(args)
        .env(DATA_DIR_ENV, &data)
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|cause| ProcessError::Start { node: name.to_owned(), path: bin.clone(), cause })?;
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        return Err(ProcessError::NoPipes { node: name.to_owned() });
    };
    let log_path: PathBuf = log_dir.join(format!("{name}.log"));
    let log = match OpenOptions::new().create(true).write(true).append(again).truncate(!again).open(&log_path)
    {
        Ok(f) => f,
        Err(cause) => {
            let _ = child.kill();
            return Err(ProcessError::Log { path: log_path, cause });
        }
    };
    // Unbounded as a channel, bounded by `queued`: the session stops at WRITE_LIMIT, and must
    // never block on a node that does not read (it would stop routing for every node).
    let (tx, rx) = unbounded();
    let queued = Arc::new(AtomicUsize::new(0));
    let q = Arc::clone(&queued);
    std::thread::spawn(move || write_loop(stdin, &rx, &q));
    let (events, stdout_rx) = bounded(READ_QUEUE);
    std::thread::spawn(move || read_loop(stdout, &events));
    let prefix = name.to_owned();
    let logger = std::thread::spawn(move || stderr_loop(stderr, log, log_stderr.then_some(prefix)));
    Ok(Started { child, stdin: Stdin { tx, queued }, stdout: stdout_rx, logger })
}

fn write_loop(stdin: ChildStdin, rx: &Receiver<Vec<u8>>, queued: &AtomicUsize) {
    let mut out = BufWriter::with_capacity(1 << 16, stdin);
    while let Ok(bytes) = rx.recv() {
        if out.write_all(&bytes).is_err() {
            return;
        }
        queued.fetch_sub(bytes.len(), Ordering::Relaxed);
        // Write whatever else is queued, then flush once.
        while let Ok(more) = rx.try_recv() {
            if out.write_all(&more).is_err() {
                return;
            }
            queued.fetch_sub(more.len(), Ordering::Relaxed);
        }
        if out.flush().is_err() {
            return;
        }
    }
}

/// Reads a node's stdout into batches of whole lines; blocks (and so blocks the node) while the
/// session has `READ_QUEUE` batches of it still to take.
fn read_loop(stdout: impl Read, events: &Sender<NodeEvent>) {
    let mut reader = BufReader::with_capacity(1 << 16, stdout);
    let mut batch = Lines::default();
    loop {
        let start = batch.bytes.len();
        let n = (&mut reader).take(MAX_LINE as u64 + 1).read_until(b'\n', &mut batch.bytes).unwrap_or(0);
        if n == 0 {
            break;
        }
        if batch.bytes.last() == Some(&b'\n') {
            batch.bytes.pop();
        } else if n > MAX_LINE {
            batch.bytes.truncate(start);
            skip_line(&mut reader);
            if !send(events, &mut batch) || events.send(NodeEvent::LineTooLong).is_err() {
                return;
            }
            continue;
        }
        // A last line without a newline (EOF) counts as a line too.
        batch.ends.push(batch.bytes.len());
        if (reader.buffer().is_empty() || batch.bytes.len() >= BATCH_BYTES) && !send(events, &mut batch) {
            return;
        }
    }
    if send(events, &mut batch) {
        let _ = events.send(NodeEvent::Eof);
    }
}

/// Hands the batch over if it holds a line; false once the session is gone.
fn send(events: &Sender<NodeEvent>, batch: &mut Lines) -> bool {
    batch.is_empty() || events.send(NodeEvent::Lines(std::mem::take(batch))).is_ok()
}

/// Skips the rest of an overlong line, through its newline.
fn skip_line(reader: &mut impl BufRead) {
    loop {
        let Ok(buf) = reader.fill_buf() else { return };
        if buf.is_empty() {
            return;
        }
        let (used, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(p) => (p + 1, true),
            None => (buf.len(), false),
        };
        reader.consume(used);
        if done {
            return;
        }
    }
}

/// Copies a node's stderr to its log, a line (or [`MAX_LINE`] bytes of one) at a time.
fn stderr_loop(stderr: impl Read, log: File, echo: Option<String>) {
    let mut reader = BufReader::new(stderr);
    let mut log = BufWriter::new(log);
    let mut line = Vec::new();
    while (&mut reader).take(MAX_LINE as u64).read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
        let _ = log.write_all(&line);
        if let Some(name) = &echo {
            eprint!("[{name}] {}", String::from_utf8_lossy(&line));
        }
        line.clear();
    }
    let _ = log.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(input: Vec<u8>) -> Vec<NodeEvent> {
        let (tx, rx) = unbounded();
        read_loop(std::io::Cursor::new(input), &tx);
        drop(tx);
        rx.iter().collect()
    }

    fn lines(ev: &NodeEvent) -> Vec<&[u8]> {
        match ev {
            NodeEvent::Lines(l) => l.iter().collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn the_reader_batches_whole_lines_and_skips_an_overlong_one() {
        let mut input = b"a\nbb\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_LINE + 5));
        input.extend_from_slice(b"\nc\nlast");
        let ev = events(input);
        assert_eq!(ev.len(), 4, "{ev:?}");
        assert_eq!(lines(&ev[0]), [b"a".as_slice(), b"bb"]);
        assert!(matches!(ev[1], NodeEvent::LineTooLong));
        assert_eq!(lines(&ev[2]), [b"c".as_slice(), b"last"], "a last line without newline counts");
        assert!(matches!(ev[3], NodeEvent::Eof));
    }

    #[test]
    fn a_restarted_node_finds_its_data_directory_as_its_last_process_left_it() {
        let root = std::env::temp_dir().join(format!("glomers-data-dir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let (logs, data) = (root.join("logs"), root.join("data"));
        std::fs::create_dir_all(&logs).expect("temp dir");
        // Lists its data directory, leaves a file there, then waits for stdin to close.
        let script = format!("ls -A \"${DATA_DIR_ENV}\" >&2; echo \"${DATA_DIR_ENV}\" >&2; touch \"${DATA_DIR_ENV}/mark\"; cat");
        let args = ["-c".to_owned(), script];
        let names = ["n0".to_owned(), "n1".to_owned()];
        let mut nodes =
            Nodes::spawn(Path::new("/bin/sh"), &args, &names, (&logs, &data), false).expect("spawn");
        let mark = data.join("n0").join("mark");
        let until = Instant::now() + Duration::from_secs(10);
        while !mark.exists() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        nodes.signal(NodeIdx(0), Signal::Kill).expect("kill");
        nodes.signal(NodeIdx(0), Signal::Restart).expect("restart");
        std::thread::sleep(Duration::from_millis(200));
        nodes.kill_all();
        let log = std::fs::read_to_string(logs.join("n0.log")).unwrap_or_default();
        let dir = std::fs::canonicalize(data.join("n0")).expect("data dir");
        let want = format!("{0}\nmark\n{0}\n", dir.display());
        assert_eq!(log, want, "empty at first, then the mark the first process left");
        let other = std::fs::read_to_string(logs.join("n1.log")).unwrap_or_default();
        assert!(other.ends_with("/n1\n"), "each node its own directory: {other}");
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_batch_is_handed_over_once_it_is_big_enough() {
        let line = [b'y'; 99];
        let input: Vec<u8> =
            (0..3 * BATCH_BYTES / 100).flat_map(|_| line.iter().copied().chain([b'\n'])).collect();
        let ev = events(input);
        assert!(ev.len() >= 3, "{} events", ev.len());
        assert!(ev.iter().all(|e| lines(e).len() <= BATCH_BYTES / 99 + 1), "each batch about BATCH_BYTES");
        assert_eq!(ev.iter().map(|e| lines(e).len()).sum::<usize>(), 3 * BATCH_BYTES / 100);
    }
}
