//! Where a node's CPU goes, thread by thread: the scheduler's exact run time and the times each
//! thread went to sleep (`/proc/PID/task/*`), read before and after a run. A thread is named by
//! its name (`comm`); the process's first thread is `main` whatever its name.

use std::collections::BTreeMap;

/// One thread's counters at one moment.
struct Counters {
    name: String,
    run_ns: u64,
    sleeps: u64,
    preempted: u64,
}

/// Every thread of a process at one moment, by thread id.
pub(super) struct Threads(BTreeMap<u32, Counters>);

/// What the threads of one name used during a run.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct ThreadUse {
    /// The thread's name (`main` for the first thread).
    pub(super) name: String,
    /// Run time, in ns.
    pub(super) cpu_ns: u64,
    /// Times it went to sleep (voluntary context switches): each is a wake-up later.
    pub(super) sleeps: u64,
    /// Times another thread took its processor (involuntary context switches).
    pub(super) preempted: u64,
}

impl Threads {
    /// The threads of `pid` now; empty where `/proc` does not give them.
    pub(super) fn read(pid: u32) -> Threads {
        let mut threads = BTreeMap::new();
        for task in std::fs::read_dir(format!("/proc/{pid}/task")).into_iter().flatten().flatten() {
            let Some(tid) = task.file_name().to_str().and_then(|t| t.parse::<u32>().ok()) else { continue };
            let read = |file: &str| std::fs::read_to_string(task.path().join(file)).ok();
            let Some(run_ns) = read("schedstat").and_then(|s| s.split_whitespace().next()?.parse().ok())
            else {
                continue;
            };
            let status = read("status").unwrap_or_default();
            let field = |name: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(name)?.strip_prefix(':')?.trim().parse().ok())
                    .unwrap_or(0)
            };
            let (sleeps, preempted) = (field("voluntary_ctxt_switches"), field("nonvoluntary_ctxt_switches"));
            let name = if tid == pid {
                "main".to_owned()
            } else {
                read("comm").unwrap_or_default().trim().to_owned()
            };
            threads.insert(tid, Counters { name, run_ns, sleeps, preempted });
        }
        Threads(threads)
    }

    /// The run time of every thread, in ns.
    pub(super) fn cpu_ns(&self) -> u64 {
        self.0.values().map(|c| c.run_ns).sum()
    }

    /// What each thread name used since `before` (threads that started since count from zero).
    pub(super) fn since(&self, before: &Threads) -> Vec<ThreadUse> {
        let mut by_name: BTreeMap<&str, ThreadUse> = BTreeMap::new();
        for (tid, now) in &self.0 {
            let zero = Counters { name: String::new(), run_ns: 0, sleeps: 0, preempted: 0 };
            let before = before.0.get(tid).unwrap_or(&zero);
            let used = by_name.entry(&now.name).or_insert_with(|| ThreadUse {
                name: now.name.clone(),
                cpu_ns: 0,
                sleeps: 0,
                preempted: 0,
            });
            used.cpu_ns += now.run_ns.saturating_sub(before.run_ns);
            used.sleeps += now.sleeps.saturating_sub(before.sleeps);
            used.preempted += now.preempted.saturating_sub(before.preempted);
        }
        by_name.into_values().collect()
    }
}

/// Each name's median over `runs` (a name missing from a run counts as nothing used there).
pub(super) fn median(runs: &[&[ThreadUse]]) -> Vec<ThreadUse> {
    let mut names: Vec<&str> = runs.iter().flat_map(|r| r.iter().map(|t| t.name.as_str())).collect();
    names.sort_unstable();
    names.dedup();
    let mid = |mut v: Vec<u64>| {
        v.sort_unstable();
        v.get(v.len() / 2).copied().unwrap_or(0)
    };
    names
        .into_iter()
        .map(|name| {
            let of = |f: fn(&ThreadUse) -> u64| {
                mid(runs.iter().map(|r| r.iter().find(|t| t.name == name).map_or(0, f)).collect())
            };
            ThreadUse {
                name: name.to_owned(),
                cpu_ns: of(|t| t.cpu_ns),
                sleeps: of(|t| t.sleeps),
                preempted: of(|t| t.preempted),
            }
        })
        .collect()
}

/// `name`, then CPU µs, sleeps and preemptions per message, for each thread that ran, busiest
/// first.
pub(super) fn describe(threads: &[ThreadUse], count: u64) -> String {
    let mut busiest: Vec<&ThreadUse> = threads.iter().filter(|t| t.cpu_ns > 0).collect();
    busiest.sort_by_key(|t| std::cmp::Reverse(t.cpu_ns));
    let per = |n: u64| n as f64 / count as f64;
    busiest
        .iter()
        .map(|t| {
            format!(
                "{} {:.2} µs {:.2} sleeps {:.2} preempted",
                t.name,
                per(t.cpu_ns) / 1e3,
                per(t.sleeps),
                per(t.preempted)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::{describe, median, ThreadUse, Threads};

    fn used(name: &str, cpu_ns: u64, sleeps: u64) -> ThreadUse {
        ThreadUse { name: name.into(), cpu_ns, sleeps, preempted: sleeps / 2 }
    }

    #[test]
    fn this_process_shows_its_main_thread_and_a_named_thread_that_worked() {
        let before = Threads::read(std::process::id());
        let worker = std::thread::Builder::new()
            .name("busy-thread".into())
            .spawn(|| {
                // Works until the scheduler has counted 10 ms of its run time, however loaded
                // the machine.
                let run_ns = || -> u64 {
                    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
                    stat.split_whitespace().next().unwrap().parse().unwrap()
                };
                let start = run_ns();
                while run_ns() < start + 10_000_000 {
                    std::hint::spin_loop();
                }
                Threads::read(std::process::id())
            })
            .unwrap();
        let after = worker.join().unwrap();
        let split = after.since(&before);
        let busy = split.iter().find(|t| t.name == "busy-thread").expect("the named thread is listed");
        assert!(busy.cpu_ns >= 10_000_000, "{split:?}");
        assert!(split.iter().any(|t| t.name == "main"), "{split:?}");
        assert!(after.cpu_ns() >= busy.cpu_ns);
    }

    #[test]
    fn the_median_is_taken_name_by_name_and_a_missing_name_counts_as_zero() {
        let runs = [
            vec![used("a", 10, 1), used("b", 5, 9)],
            vec![used("a", 30, 3)],
            vec![used("a", 20, 2), used("b", 7, 7)],
        ];
        let refs: Vec<&[ThreadUse]> = runs.iter().map(Vec::as_slice).collect();
        assert_eq!(median(&refs), vec![used("a", 20, 2), used("b", 5, 7)]);
    }

    #[test]
    fn the_description_is_per_message_busiest_first_without_idle_threads() {
        let threads = [used("timer", 0, 5), used("main", 2_000_000, 10), used("writer", 4_000_000, 10)];
        assert_eq!(
            describe(&threads, 1_000),
            "writer 4.00 µs 0.01 sleeps 0.01 preempted, main 2.00 µs 0.01 sleeps 0.01 preempted"
        );
    }
}
