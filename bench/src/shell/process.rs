//! Node processes: the only module that touches pipes. Each node gets a reader thread for its
//! stdout (lines go to one channel shared with the session), a writer thread for its stdin, and a
//! thread copying its stderr to `node-logs/<id>.log` (and to the console with `--log-stderr`).

use crossbeam_channel::{unbounded, Receiver, Sender};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Something a node did on its stdout.
#[derive(Debug)]
pub enum NodeEvent {
    /// One line, without its newline.
    Line(usize, Vec<u8>),
    /// Its stdout closed (usually: it exited).
    Eof(usize),
}

/// Checks that `bin` exists and is an executable file.
///
/// # Errors
/// A message saying what is wrong with it.
pub fn check_binary(bin: &Path) -> Result<(), String> {
    let meta =
        std::fs::metadata(bin).map_err(|e| format!("node binary {} not found ({e})", bin.display()))?;
    if !meta.is_file() {
        return Err(format!("node binary {} is not a file", bin.display()));
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err(format!("node binary {} is not executable (try chmod +x)", bin.display()));
    }
    Ok(())
}

/// The running node processes.
pub struct Nodes {
    children: Vec<Child>,
    writers: Vec<Sender<Vec<u8>>>,
    logs: Vec<JoinHandle<()>>,
}

impl Nodes {
    /// Starts one process per node name; their stdout events go to `events`.
    ///
    /// # Errors
    /// A message if a process or a log file cannot be created.
    pub fn spawn(
        bin: &Path,
        args: &[String],
        names: &[String],
        log_dir: &Path,
        log_stderr: bool,
        events: &Sender<NodeEvent>,
    ) -> Result<Nodes, String> {
        // Nodes run in the temp dir (as under Maelstrom), so a relative path must be resolved first.
        let bin = std::fs::canonicalize(bin).map_err(|e| format!("cannot resolve {}: {e}", bin.display()))?;
        let bin = bin.as_path();
        let mut nodes = Nodes { children: Vec::new(), writers: Vec::new(), logs: Vec::new() };
        for (i, name) in names.iter().enumerate() {
            match start(bin, args, i, name, log_dir, log_stderr, events) {
                Ok((child, writer, log)) => {
                    nodes.children.push(child);
                    nodes.writers.push(writer);
                    nodes.logs.push(log);
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

    /// Queues a line for node `i`'s stdin.
    pub fn write(&self, i: usize, line: Vec<u8>) {
        if let Some(w) = self.writers.get(i) {
            // A closed writer means the node is gone; its EOF reports that.
            let _ = w.send(line);
        }
    }

    /// Node `i`'s exit status, waiting up to `grace` for it to exit.
    pub fn exit_status(&mut self, i: usize, grace: Duration) -> Option<ExitStatus> {
        let child = self.children.get_mut(i)?;
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

    /// Nodes that have already exited, with their status.
    pub fn exited(&mut self) -> Vec<(usize, ExitStatus)> {
        self.children
            .iter_mut()
            .enumerate()
            .filter_map(|(i, c)| c.try_wait().ok().flatten().map(|s| (i, s)))
            .collect()
    }

    /// Kills every node (SIGKILL), reaps them, and waits for their stderr logs to be complete.
    pub fn kill_all(mut self) {
        self.writers.clear();
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for h in self.logs.drain(..) {
            let _ = h.join();
        }
    }
}

/// A started node: the process, its stdin queue, and its stderr logger thread.
type Started = (Child, Sender<Vec<u8>>, JoinHandle<()>);

/// Starts node `i` with its three threads: stdin writer, stdout reader, stderr logger.
fn start(
    bin: &Path,
    args: &[String],
    i: usize,
    name: &str,
    log_dir: &Path,
    log_stderr: bool,
    events: &Sender<NodeEvent>,
) -> Result<Started, String> {
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {} for {name}: {e}", bin.display()))?;
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        return Err(format!("no pipes for {name}"));
    };
    let log_path: PathBuf = log_dir.join(format!("{name}.log"));
    let log = match File::create(&log_path) {
        Ok(f) => f,
        Err(e) => {
            let _ = child.kill();
            return Err(format!("cannot create {}: {e}", log_path.display()));
        }
    };
    let (tx, rx) = unbounded();
    std::thread::spawn(move || write_loop(stdin, &rx));
    let ev = events.clone();
    std::thread::spawn(move || read_loop(i, stdout, &ev));
    let prefix = name.to_owned();
    let logger = std::thread::spawn(move || stderr_loop(stderr, log, log_stderr.then_some(prefix)));
    Ok((child, tx, logger))
}

fn write_loop(stdin: ChildStdin, rx: &Receiver<Vec<u8>>) {
    let mut out = BufWriter::with_capacity(1 << 16, stdin);
    while let Ok(line) = rx.recv() {
        if out.write_all(&line).is_err() {
            return;
        }
        // Batch whatever else is queued, then flush once.
        while let Ok(more) = rx.try_recv() {
            if out.write_all(&more).is_err() {
                return;
            }
        }
        if out.flush().is_err() {
            return;
        }
    }
}

fn read_loop(i: usize, stdout: impl std::io::Read, events: &Sender<NodeEvent>) {
    let mut reader = BufReader::with_capacity(1 << 16, stdout);
    loop {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                if events.send(NodeEvent::Line(i, line)).is_err() {
                    return;
                }
            }
        }
    }
    let _ = events.send(NodeEvent::Eof(i));
}

fn stderr_loop(stderr: impl std::io::Read, log: File, echo: Option<String>) {
    let mut reader = BufReader::new(stderr);
    let mut log = BufWriter::new(log);
    let mut line = Vec::new();
    while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
        let _ = log.write_all(&line);
        if let Some(name) = &echo {
            eprint!("[{name}] {}", String::from_utf8_lossy(&line));
        }
        line.clear();
    }
    let _ = log.flush();
}
