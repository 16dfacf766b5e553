//! `glomers-bench flood`: load-tests echo node binaries over real pipes.
//!
//! Throughput mode pipes `--count` echo requests as fast as the pipe takes them and times the
//! run from the first byte written to the last reply read; replies are only counted during the
//! run (so the checker does not steal CPU from the node) and checked afterwards: every request
//! must get exactly one correct `echo_ok`. CPU time and peak RSS come from `/proc/<pid>`.
//! Latency mode (`--rate`) sends each request at its scheduled time and measures each reply
//! from that scheduled time, so a stall shows up in every request queued behind it.

mod error;
mod threads;

use clap::Args;
use error::FloodError;
use glomers_bench::cli::error::BenchError;
use glomers_bench::cli::outcome::Outcome;
use glomers_bench::cli::stdout;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};
use threads::{ThreadUse, Threads};

/// Options of `glomers-bench flood`.
#[derive(Args, Debug)]
pub struct FloodArgs {
    /// Node binary to flood; repeat to compare several (runs alternate between them).
    #[arg(long = "bin", required = true)]
    bins: Vec<PathBuf>,
    /// Echo requests per run.
    #[arg(long, default_value_t = 1_000_000)]
    count: u64,
    /// Runs per binary; the report gives each run and the median.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Offered rate in requests/s: measure latency at this rate instead of throughput.
    #[arg(long)]
    rate: Option<f64>,
    /// Also give each thread's CPU and sleeps (wake-ups) per message, by thread name.
    #[arg(long)]
    threads: bool,
}

/// What one run measured.
struct Run {
    msgs_per_s: f64,
    cpu_us_per_msg: f64,
    peak_rss_kib: u64,
    latencies: Vec<Duration>,
    /// What each thread name used.
    threads: Vec<ThreadUse>,
    /// How the node exited after end of input, when that was not a clean exit 0.
    exit_note: Option<String>,
}

/// Runs the flood and prints the report; [`Outcome::Invalid`] on any wrong or missing reply.
///
/// # Errors
/// [`BenchError::BadArgs`] for a count, run count or rate out of range.
pub fn main(args: &FloodArgs) -> Result<Outcome, BenchError> {
    if args.count == 0 || args.runs == 0 {
        return Err(BenchError::BadArgs("--count and --runs must be at least 1".into()));
    }
    if args.rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        return Err(BenchError::BadArgs("--rate must be a positive number of requests per second".into()));
    }
    let mut results: Vec<Vec<Run>> = args.bins.iter().map(|_| Vec::new()).collect();
    for round in 0..args.runs {
        for (bin, runs) in args.bins.iter().zip(&mut results) {
            match run_once(bin, args.count, args.rate) {
                Ok(run) => {
                    eprintln!("run {}/{} {}: {}", round + 1, args.runs, bin.display(), describe(&run, args));
                    runs.push(run);
                }
                Err(e) => {
                    eprintln!("glomers-bench: flood of {} failed: {e}", bin.display());
                    return Ok(Outcome::Invalid);
                }
            }
        }
    }
    let mode = match args.rate {
        Some(r) => format!("latency at {r} requests/s offered, {} requests", args.count),
        None => format!("throughput, {} requests piped as fast as the pipe takes them", args.count),
    };
    stdout::println(&format!("flood: {mode}; median of {} run(s)", args.runs));
    for (bin, runs) in args.bins.iter().zip(&results) {
        stdout::println(&format!("  {:<40} {}", bin.display(), describe(&median(runs), args)));
    }
    Ok(Outcome::Valid)
}

fn describe(run: &Run, args: &FloodArgs) -> String {
    let common = format!(
        "{:.3} M msgs/s, {:.2} µs CPU/msg, peak RSS {:.1} MiB",
        run.msgs_per_s / 1e6,
        run.cpu_us_per_msg,
        run.peak_rss_kib as f64 / 1024.0
    );
    let common = match &run.exit_note {
        Some(note) => format!("{common}; {note}"),
        None => common,
    };
    let common = if args.threads {
        format!("{common}; by thread: {}", threads::describe(&run.threads, args.count))
    } else {
        common
    };
    match args.rate {
        None => common,
        Some(_) => {
            let q = |p: f64| quantile(&run.latencies, p).as_secs_f64() * 1e6;
            format!("p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs ({common})", q(0.5), q(0.99), q(1.0))
        }
    }
}

/// The run whose figure is the median, figure by figure.
fn median(runs: &[Run]) -> Run {
    let mid = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let mut by_p50: Vec<&Run> = runs.iter().collect();
    by_p50.sort_by_key(|r| quantile(&r.latencies, 0.5));
    Run {
        msgs_per_s: mid(runs.iter().map(|r| r.msgs_per_s).collect()),
        cpu_us_per_msg: mid(runs.iter().map(|r| r.cpu_us_per_msg).collect()),
        peak_rss_kib: mid(runs.iter().map(|r| r.peak_rss_kib as f64).collect()) as u64,
        latencies: by_p50.get(by_p50.len() / 2).map(|r| r.latencies.clone()).unwrap_or_default(),
        threads: threads::median(&runs.iter().map(|r| r.threads.as_slice()).collect::<Vec<_>>()),
        exit_note: runs.iter().find_map(|r| r.exit_note.clone()),
    }
}

/// Nearest-rank quantile of unsorted samples.
fn quantile(samples: &[Duration], q: f64) -> Duration {
    let mut s = samples.to_vec();
    s.sort_unstable();
    let i = ((s.len() as f64 * q) as usize).min(s.len().saturating_sub(1));
    s.get(i).copied().unwrap_or_default()
}

fn request(i: u64) -> String {
    format!("{{\"id\":{i},\"src\":\"c1\",\"dest\":\"n0\",\"body\":{{\"type\":\"echo\",\"msg_id\":{},\"echo\":\"Please echo {i}\"}}}}\n", i + 1)
}

/// Kills the node if a run is abandoned half-way.
struct Node(Child);
impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(bin: &Path) -> Result<(Node, ChildStdin, BufReader<ChildStdout>), FloodError> {
    let mut child = Command::new(bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|cause| FloodError::Start { bin: bin.to_path_buf(), cause })?;
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(FloodError::NoPipes);
    };
    let node = Node(child);
    let mut stdout = BufReader::with_capacity(1 << 20, stdout);
    stdin
        .write_all(b"{\"id\":0,\"src\":\"c0\",\"dest\":\"n0\",\"body\":{\"type\":\"init\",\"msg_id\":1,\"node_id\":\"n0\",\"node_ids\":[\"n0\"]}}\n")
        .map_err(FloodError::WriteInit)?;
    let mut line = String::new();
    stdout.read_line(&mut line).map_err(FloodError::ReadInitOk)?;
    if !line.contains("\"init_ok\"") {
        return Err(FloodError::NoInitOk(line.trim_end().to_owned()));
    }
    Ok((node, stdin, stdout))
}

fn run_once(bin: &Path, count: u64, rate: Option<f64>) -> Result<Run, FloodError> {
    let (mut node, stdin, mut stdout) = spawn(bin)?;
    let pid = node.0.id();
    let threads_before = Threads::read(pid);
    let cpu_before = cpu_ns(pid, &threads_before);
    let start = Instant::now();
    let writer = match rate {
        None => {
            let input: Vec<u8> = (0..count).flat_map(|i| request(i).into_bytes()).collect();
            let start = Instant::now();
            std::thread::spawn(move || write_all_then_hold(stdin, &input, start))
        }
        Some(rate) => std::thread::spawn(move || write_paced(stdin, count, rate)),
    };
    // Read replies; stamp each chunk's arrival (latency mode) and count lines.
    let mut replies = Vec::with_capacity((count as usize).saturating_mul(96));
    let mut stamps: Vec<(usize, Instant)> = Vec::new();
    let mut lines = 0u64;
    let mut chunk = vec![0u8; 1 << 20];
    while lines < count {
        let n = stdout.read(&mut chunk).map_err(FloodError::ReadReplies)?;
        if n == 0 {
            return Err(FloodError::StdoutClosed { replies: lines, count });
        }
        let now = Instant::now();
        replies.extend_from_slice(&chunk[..n]);
        lines += chunk[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        if rate.is_some() {
            stamps.push((replies.len(), now));
        }
    }
    let elapsed = start.elapsed();
    let peak_rss_kib = peak_rss_kib(pid);
    let threads_after = Threads::read(pid);
    let cpu = cpu_ns(pid, &threads_after).saturating_sub(cpu_before);
    let (stdin, sent_at) = writer.join().map_err(|_| FloodError::WriterPanicked)??;
    drop(stdin);
    let status = node.0.wait().map_err(FloodError::Wait)?;
    // Not a wrong reply, so not a failed run: reported beside the figures instead.
    let exit_note = (!status.success()).then(|| format!("exited with {status} after end of input"));
    let latencies = check_replies(&replies, count, &stamps, &sent_at)?;
    Ok(Run {
        msgs_per_s: count as f64 / elapsed.as_secs_f64(),
        cpu_us_per_msg: cpu as f64 / 1e3 / count as f64,
        peak_rss_kib,
        latencies,
        threads: threads_after.since(&threads_before),
        exit_note,
    })
}

type WriterResult = Result<(ChildStdin, Vec<Instant>), FloodError>;

fn write_all_then_hold(mut stdin: ChildStdin, input: &[u8], _start: Instant) -> WriterResult {
    for piece in input.chunks(64 * 1024) {
        stdin.write_all(piece).map_err(FloodError::WriteRequests)?;
    }
    stdin.flush().map_err(FloodError::WriteRequests)?;
    Ok((stdin, Vec::new()))
}

fn write_paced(mut stdin: ChildStdin, count: u64, rate: f64) -> WriterResult {
    let gap = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now() + Duration::from_millis(10);
    let mut scheduled = Vec::with_capacity(count as usize);
    for i in 0..count {
        let at = start + gap.mul_f64(i as f64);
        let wait = at.saturating_duration_since(Instant::now());
        if wait > Duration::from_micros(200) {
            std::thread::sleep(wait - Duration::from_micros(100));
        }
        while Instant::now() < at {
            std::hint::spin_loop();
        }
        stdin.write_all(request(i).as_bytes()).map_err(FloodError::WriteRequests)?;
        scheduled.push(at);
    }
    Ok((stdin, scheduled))
}

/// Checks that request `i` got exactly one `echo_ok` echoing `Please echo i`, and nothing else
/// came; returns each reply's latency from its scheduled send time (latency mode).
fn check_replies(
    out: &[u8],
    count: u64,
    stamps: &[(usize, Instant)],
    sent_at: &[Instant],
) -> Result<Vec<Duration>, FloodError> {
    let mut seen = vec![false; count as usize];
    let mut latencies = Vec::with_capacity(sent_at.len());
    let mut offset = 0usize;
    let mut stamp = stamps.iter().peekable();
    for line in out.split(|&b| b == b'\n') {
        let line_end = offset + line.len();
        offset = line_end + 1;
        if line.is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(line).map_err(|cause| FloodError::NotJson {
            line: String::from_utf8_lossy(line).into_owned(),
            cause,
        })?;
        let body = &v["body"];
        let Some(irt) = body["in_reply_to"].as_u64() else {
            return Err(FloodError::NoInReplyTo(v));
        };
        let i = irt.checked_sub(1).filter(|&i| i < count).ok_or(FloodError::UnknownMsg(irt))?;
        let want = format!("Please echo {i}");
        let keys_ok = body.as_object().is_some_and(|o| {
            o.keys().all(|k| matches!(k.as_str(), "type" | "echo" | "in_reply_to" | "msg_id"))
        });
        if body["type"] != "echo_ok"
            || body["echo"] != want.as_str()
            || !keys_ok
            || v["dest"] != "c1"
            || v["src"] != "n0"
        {
            return Err(FloodError::WrongReply { msg: irt, reply: v });
        }
        let slot = seen.get_mut(i as usize).ok_or(FloodError::UnknownMsg(irt))?;
        if std::mem::replace(slot, true) {
            return Err(FloodError::Twice(irt));
        }
        if let Some(sent) = sent_at.get(i as usize) {
            while stamp.peek().is_some_and(|(end, _)| *end < line_end + 1) {
                stamp.next();
            }
            if let Some((_, at)) = stamp.peek() {
                latencies.push(at.saturating_duration_since(*sent));
            }
        }
    }
    match seen.iter().position(|s| !s) {
        Some(i) => Err(FloodError::NoReply(i as u64 + 1)),
        None => Ok(latencies),
    }
}

/// CPU time `pid` has used so far, in ns: the sum over `threads` (read from `pid` just now) of
/// the scheduler's exact run time (`/proc/PID/task/*/schedstat`). The utime + stime of `/proc/PID/stat` are sampled at
/// clock ticks and overstated a node that wakes for microseconds 10,000 times a second by up to
/// 2.5x against `perf stat`'s task clock; they remain the fallback where schedstat is missing.
fn cpu_ns(pid: u32, threads: &Threads) -> u64 {
    let exact = threads.cpu_ns();
    if exact > 0 {
        return exact;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    // Clock ticks of USER_HZ (100 a second on Linux).
    (field(11) + field(12)) * 10_000_000
}

/// Peak resident set size (VmHWM) of `pid`, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
