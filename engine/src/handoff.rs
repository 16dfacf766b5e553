//! A queue between threads whose receivers sleep as soon as it runs dry.
//!
//! A crossbeam receiver that finds its channel empty spins and then yields the processor
//! several times before it parks. Under a flood that catches the next message early; at a
//! steady low rate (a request every 100 µs) every one of those yields is a context switch
//! spent on nothing, and they were most of the engine's CPU per request. Here a receiver polls
//! for a while that adapts to the traffic, then registers as a sleeper and parks; a sender
//! wakes one sleeper, and pays for it only when someone sleeps. The polling doubles (up to
//! `MAX_SPINS`) each time it catches a value, as in a flood, where the next batch is always
//! microseconds away, and halves (down to `MIN_SPINS`) each time the receiver had to sleep
//! anyway, as at a low rate, where polling is only burnt CPU.
//!
//! The sleeper woken is the one that fell asleep last: at a low rate one worker then serves
//! every request, its cache warm, while the others stay asleep; waking the longest sleeper (as
//! a condition variable does) passed each request to a different, cold worker, and the reader
//! that woke them paid for it (`glomers-bench flood --threads` shows it per thread).
//!
//! No wake-up is lost: a receiver counts itself as a sleeper (a sequentially consistent
//! read-modify-write, under the lock) before its last look at the queue, and a sender looks at
//! the count after a sequentially consistent fence that follows its push. Either the sender
//! sees the sleeper and takes one off the list to wake it, or the receiver's last look sees the
//! message. A woken receiver looks again; one whose last look found a value takes itself off
//! the list, or (if a sender took it off first) has its wake-up spent on a receiver that is
//! awake anyway and comes back to the queue when done, so a value is never left without one.

use crossbeam_channel::{Receiver, Sender, TryRecvError};
use parking_lot::Mutex;
use std::cell::{Cell, OnceCell};
use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::Thread;

/// Fewest polls of an empty queue before a receiver parks (well under a microsecond).
const MIN_SPINS: u32 = 16;
/// Most polls of an empty queue before a receiver parks (some tens of microseconds).
const MAX_SPINS: u32 = 4096;

/// A receiving thread, as it waits on the list of sleepers.
struct Sleeper {
    thread: Thread,
    /// Set by the sender that took this sleeper off the list.
    woken: AtomicBool,
}

impl Sleeper {
    fn wake(&self) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

/// Who sleeps on the queue: `count` is the length of `list`, readable without the lock.
struct Bell {
    count: AtomicUsize,
    /// The sleepers, the latest to fall asleep last.
    list: Mutex<Vec<Arc<Sleeper>>>,
}

impl Bell {
    /// Wakes the latest sleeper, or every sleeper.
    fn ring(&self, all: bool) {
        fence(Ordering::SeqCst);
        if self.count.load(Ordering::SeqCst) == 0 {
            return;
        }
        let woken: Vec<Arc<Sleeper>> = {
            let mut list = self.list.lock();
            let keep = if all { 0 } else { list.len().saturating_sub(1) };
            let woken = list.split_off(keep);
            self.count.store(list.len(), Ordering::SeqCst);
            woken
        };
        for sleeper in woken {
            sleeper.wake();
        }
    }

    /// Puts `me` on the list.
    fn register(&self, me: &Arc<Sleeper>) {
        me.woken.store(false, Ordering::Relaxed);
        let mut list = self.list.lock();
        list.push(me.clone());
        self.count.fetch_add(1, Ordering::SeqCst);
    }

    /// Takes `me` off the list unless a sender already did (and so will wake it).
    fn unregister(&self, me: &Arc<Sleeper>) {
        let mut list = self.list.lock();
        if let Some(at) = list.iter().rposition(|s| Arc::ptr_eq(s, me)) {
            list.remove(at);
            self.count.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// A new unbounded queue.
pub(crate) fn queue<T>() -> (Push<T>, Pop<T>) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let bell = Arc::new(Bell { count: AtomicUsize::new(0), list: Mutex::new(Vec::new()) });
    (Push { tx: Some(tx), bell: bell.clone() }, Pop::new(rx, bell))
}

/// The sending side; the queue disconnects when every clone has dropped.
pub(crate) struct Push<T> {
    tx: Option<Sender<T>>,
    bell: Arc<Bell>,
}

impl<T> Push<T> {
    /// Queues `value` and wakes a sleeping receiver; `false` if every receiver has dropped.
    pub(crate) fn send(&self, value: T) -> bool {
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(value).is_ok());
        self.bell.ring(false);
        sent
    }
}

impl<T> Clone for Push<T> {
    fn clone(&self) -> Self {
        Push { tx: self.tx.clone(), bell: self.bell.clone() }
    }
}

impl<T> Drop for Push<T> {
    /// Disconnects (when this was the last sender) before waking every sleeper, so that each
    /// sees the end.
    fn drop(&mut self) {
        drop(self.tx.take());
        self.bell.ring(true);
    }
}

/// The receiving side; each clone adapts its own polling. A clone receives on one thread: the
/// first that sleeps on it.
pub(crate) struct Pop<T> {
    rx: Receiver<T>,
    bell: Arc<Bell>,
    spins: Cell<u32>,
    /// This receiver's place on the list of sleepers, made when it first sleeps.
    me: OnceCell<Arc<Sleeper>>,
}

impl<T> Clone for Pop<T> {
    fn clone(&self) -> Self {
        Pop::new(self.rx.clone(), self.bell.clone())
    }
}

impl<T> Pop<T> {
    fn new(rx: Receiver<T>, bell: Arc<Bell>) -> Self {
        Pop { rx, bell, spins: Cell::new(MIN_SPINS), me: OnceCell::new() }
    }

    /// The next value, waiting for one; `None` once the queue is empty and disconnected.
    pub(crate) fn recv(&self) -> Option<T> {
        if let Ok(value) = self.rx.try_recv() {
            return Some(value);
        }
        loop {
            let spins = self.spins.get();
            for _ in 0..spins {
                match self.rx.try_recv() {
                    Ok(value) => {
                        self.spins.set((spins * 2).min(MAX_SPINS));
                        return Some(value);
                    }
                    Err(TryRecvError::Disconnected) => return None,
                    Err(TryRecvError::Empty) => std::hint::spin_loop(),
                }
            }
            self.spins.set((spins / 2).max(MIN_SPINS));
            let me = self.me.get_or_init(|| {
                Arc::new(Sleeper { thread: std::thread::current(), woken: AtomicBool::new(false) })
            });
            self.bell.register(me);
            let last_look = self.rx.try_recv();
            if matches!(last_look, Err(TryRecvError::Empty)) {
                // `park` may return early; only a sender's wake-up ends the sleep.
                while !me.woken.load(Ordering::Acquire) {
                    std::thread::park();
                }
            } else {
                self.bell.unregister(me);
            }
            // Woken: look again, without counting it as a catch of the polling.
            match last_look.or_else(|_| self.rx.try_recv()) {
                Ok(value) => return Some(value),
                Err(TryRecvError::Disconnected) => return None,
                Err(TryRecvError::Empty) => {}
            }
        }
    }

    /// The next value if one is queued now.
    pub(crate) fn try_recv(&self) -> Option<T> {
        self.rx.try_recv().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::queue;

    #[test]
    fn every_value_arrives_exactly_once_and_every_receiver_sees_the_end() {
        for round in 0..20 {
            let (push, pop) = queue::<(usize, usize)>();
            let receivers: Vec<_> = (0..3)
                .map(|_| {
                    let pop = pop.clone();
                    std::thread::spawn(move || {
                        let mut got = Vec::new();
                        while let Some(v) = pop.recv() {
                            got.push(v);
                        }
                        got
                    })
                })
                .collect();
            drop(pop);
            let senders: Vec<_> = (0..2)
                .map(|s| {
                    let push = push.clone();
                    std::thread::spawn(move || {
                        for i in 0..2_000 {
                            assert!(push.send((s, i)));
                            if i % (round + 7) == 0 {
                                // Let the receivers fall asleep now and then.
                                std::thread::sleep(std::time::Duration::from_micros(50));
                            }
                        }
                    })
                })
                .collect();
            drop(push);
            for s in senders {
                s.join().unwrap();
            }
            let mut all: Vec<(usize, usize)> =
                receivers.into_iter().flat_map(|r| r.join().unwrap()).collect();
            all.sort_unstable();
            let want: Vec<(usize, usize)> = (0..2).flat_map(|s| (0..2_000).map(move |i| (s, i))).collect();
            assert_eq!(all, want, "round {round}");
        }
    }

    #[test]
    fn a_lone_value_wakes_a_receiver_that_already_sleeps() {
        let (push, pop) = queue::<u32>();
        let receiver = std::thread::spawn(move || (pop.recv(), pop.recv()));
        for v in [1, 2] {
            std::thread::sleep(std::time::Duration::from_millis(20));
            push.send(v);
        }
        assert_eq!(receiver.join().unwrap(), (Some(1), Some(2)));
    }

    #[test]
    fn a_value_wakes_the_receiver_that_fell_asleep_last() {
        let (push, pop) = queue::<&str>();
        // A receiver is parked once it is registered and its thread sleeps (state `S` in
        // /proc): it looks at the queue no more, so only the sender's choice decides who gets
        // the value.
        let parked = |task: &str, n: usize| loop {
            let state = std::fs::read_to_string(format!("{task}/stat")).unwrap_or_default();
            let sleeping = state.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('S'));
            if sleeping && push.bell.count.load(std::sync::atomic::Ordering::SeqCst) == n {
                return;
            }
            std::thread::yield_now();
        };
        let spawn = |name: &'static str| {
            let pop = pop.clone();
            let (tx, rx) = std::sync::mpsc::channel();
            let handle = std::thread::spawn(move || {
                tx.send(std::fs::read_link("/proc/thread-self").unwrap()).unwrap();
                (name, pop.recv())
            });
            let task = format!("/proc/{}", rx.recv().unwrap().display());
            (handle, task)
        };
        let (first, task) = spawn("first");
        parked(&task, 1);
        let (last, task) = spawn("last");
        parked(&task, 2);
        push.send("value");
        // The end wakes the other receiver only once the woken one has taken the value.
        while !pop.rx.is_empty() || push.bell.count.load(std::sync::atomic::Ordering::SeqCst) != 1 {
            std::thread::yield_now();
        }
        drop(push);
        assert_eq!((first.join().unwrap(), last.join().unwrap()), (("first", None), ("last", Some("value"))));
    }

    #[test]
    fn send_reports_when_no_receiver_is_left() {
        let (push, pop) = queue::<u32>();
        drop(pop);
        assert!(!push.send(1));
    }
}
