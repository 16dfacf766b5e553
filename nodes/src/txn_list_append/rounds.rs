//! The node's calls to `lin-kv` for the log, each finished by a continuation: drawing the
//! incarnation, claiming a slot and resolving an uncertain claim, and checking (reading) the
//! next slots. At
//! most one claim or check is in flight; each path out of one clears `busy` and pumps again.

use super::{Entry, MicroOp, Pending, Reply, TxnListAppend, MAX_TRIES};
use glomers_engine::{Effects, ErrorCode, RpcError};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Duration;

/// How long the node waits before asking `lin-kv` for an incarnation again after no answer.
const INCARNATION_RETRY: Duration = Duration::from_millis(100);

/// A batch trying to commit in one slot.
pub(super) struct Claim {
    /// The slot claimed: the length of the prefix the batch ran on.
    pub(super) slot: u64,
    /// What the slot gets.
    pub(super) entry: Entry,
    /// Each transaction with its answer, should the claim succeed.
    pub(super) batch: Vec<(Pending, Vec<MicroOp>)>,
    /// Reads made so far to resolve the claim.
    pub(super) tries: u32,
}

/// A read of some slots past the prefix, collecting its answers.
struct Check {
    /// Read-only transactions that arrived before this number are covered by the check.
    upto: u64,
    /// Reads still out.
    left: u64,
    /// The lowest slot found missing.
    missing: Option<u64>,
    /// Slots found.
    found: Vec<(u64, Entry)>,
}

fn slot_key(slot: u64) -> String {
    format!("slot/{slot}")
}

fn is(error: &RpcError, code: ErrorCode) -> bool {
    error.code == code
}

impl TxnListAppend {
    /// Draws this run's incarnation: increments `incarnation/<node>` with a `cas`, and retries
    /// until one succeeds (a lost or unanswered `cas` just means another number); then restores
    /// the latest snapshot.
    pub(super) fn incarnate(&self, out: &mut Effects<Self>) {
        let key = format!("incarnation/{}", self.me);
        self.kv.read(out, key.clone(), move |node: &Self, read: Result<u64, RpcError>, out| {
            let (from, create) = match read {
                Ok(n) => (n, false),
                Err(e) if is(&e, ErrorCode::KeyDoesNotExist) => (0, true),
                Err(_) => return out.after(INCARNATION_RETRY, |node: &Self, out| node.incarnate(out)),
            };
            let to = from.saturating_add(1);
            node.kv.cas(out, key, from, to, create, move |node: &Self, cas, out| match cas {
                Ok(()) => node.restore(out, to),
                Err(_) => node.incarnate(out),
            });
        });
    }

    /// Tries to write the batch's entry into its slot.
    pub(super) fn claim(&self, out: &mut Effects<Self>, c: Claim) {
        let (key, entry) = (slot_key(c.slot), Some(c.entry.clone()));
        // `from: null` matches no entry, so with `create_if_not_exists` only a missing slot is
        // written. A 22 names whatever is there, ours too if this `cas` arrived twice.
        self.kv.cas(out, key, None, entry, true, move |node: &Self, cas, out| match cas {
            Ok(()) => node.committed(out, c),
            Err(_) => node.resolve(out, c),
        });
    }

    /// Finds out what happened to a claim that failed or got no answer: by the slot's tag,
    /// known already or read from `lin-kv`.
    fn resolve(&self, out: &mut Effects<Self>, mut c: Claim) {
        let known = {
            let s = self.state.lock();
            (s.replica.len() > c.slot).then(|| s.replica.tag(c.slot).cloned()).flatten()
        };
        if let Some(tag) = known {
            return if tag == c.entry.by { self.committed(out, c) } else { self.lost(out, c, false) };
        }
        c.tries += 1;
        if c.tries > MAX_TRIES {
            return self.give_up(out, c);
        }
        self.kv.read(
            out,
            slot_key(c.slot),
            move |node: &Self, read: Result<Entry, RpcError>, out| match read {
                Ok(entry) if entry.by == c.entry.by => node.committed(out, c),
                Ok(entry) => {
                    node.state.lock().replica.learn(c.slot, entry);
                    node.lost(out, c, true);
                }
                // Our claim has not landed: send it again as it was; at most one copy can land.
                Err(e) if is(&e, ErrorCode::KeyDoesNotExist) => node.claim(out, c),
                Err(_) => node.resolve(out, c),
            },
        );
    }

    /// The batch holds the slot: answer it, tell the peers, go on.
    fn committed(&self, out: &mut Effects<Self>, c: Claim) {
        let snapshot = {
            let mut s = self.state.lock();
            s.replica.learn(c.slot, c.entry.clone());
            s.busy = false;
            let len = s.replica.len();
            (len == c.slot + 1 && Self::is_snapshot_due(len)).then(|| s.replica.snapshot())
        };
        if let Some(snapshot) = snapshot {
            self.save(out, snapshot);
        }
        for (p, txn) in c.batch {
            out.reply(p.to, Reply::TxnOk { txn });
        }
        out.send_to_peers(super::Body::Slot { slot: c.slot, entry: c.entry });
        self.pump(out);
    }

    /// Another batch holds the slot: this one goes back to the head of the queue, to run again
    /// on the longer prefix (unless past its patience: then the sweep refuses it with error 30).
    /// `read` says the winner had to be read: if this batch had lost a race before, the copy
    /// lags by more than a slot, so the node reads ahead before it claims again.
    fn lost(&self, out: &mut Effects<Self>, c: Claim, read: bool) {
        {
            let mut s = self.state.lock();
            s.behind |= read && c.batch.iter().any(|(p, _)| p.conflicted);
            for (mut p, _) in c.batch.into_iter().rev() {
                p.conflicted = true;
                s.queue.push_front(p);
            }
            s.busy = false;
        }
        self.sweep(out);
    }

    /// The claim's fate stays unknown: its entry may still land, so error 13 (indefinite).
    fn give_up(&self, out: &mut Effects<Self>, c: Claim) {
        self.state.lock().busy = false;
        for (p, _) in c.batch {
            let text = format!("lin-kv did not settle slot {}; the transaction may have committed", c.slot);
            out.reply_error(p.to, RpcError::new(ErrorCode::Crash, text));
        }
        self.pump(out);
    }

    /// Reads `window` slots from `slot` on, to learn them or to find the first missing one.
    pub(super) fn check(&self, out: &mut Effects<Self>, slot: u64, window: u64, upto: u64) {
        let check = Arc::new(Mutex::new(Check { upto, left: window, missing: None, found: Vec::new() }));
        for at in slot..slot.saturating_add(window) {
            let check = check.clone();
            self.kv.read(out, slot_key(at), move |node: &Self, read: Result<Entry, RpcError>, out| {
                let mut c = check.lock();
                match read {
                    Ok(entry) => c.found.push((at, entry)),
                    Err(e) if is(&e, ErrorCode::KeyDoesNotExist) => {
                        c.missing = Some(c.missing.map_or(at, |m| m.min(at)))
                    }
                    // Unanswered: this check proves less; the next one asks again.
                    Err(_) => {}
                }
                c.left = c.left.saturating_sub(1);
                if c.left == 0 {
                    let done = Check { found: std::mem::take(&mut c.found), ..*c };
                    drop(c);
                    node.checked(out, done);
                }
            });
        }
    }

    /// Takes in a finished check: learns the slots found; if a slot at or below the prefix's
    /// end was missing, the copy was current within every covered request, which the read-only
    /// ones among them are answered from.
    fn checked(&self, out: &mut Effects<Self>, check: Check) {
        let answers = {
            let mut s = self.state.lock();
            let window = check.found.len() as u64;
            for (slot, entry) in check.found {
                s.replica.learn(slot, entry);
            }
            s.busy = false;
            match check.missing {
                Some(m) if m <= s.replica.len() => {
                    s.behind = false;
                    s.window = 1;
                    let (covered, kept): (Vec<Pending>, Vec<Pending>) =
                        s.queue.drain(..).partition(|p| p.id < check.upto && !p.appends());
                    s.queue = kept.into();
                    let (done, _) = s.replica.run(covered.iter().map(|p| &p.txn));
                    covered.into_iter().zip(done).collect::<Vec<_>>()
                }
                None if window > 0 => {
                    // Every slot read was there: read more at once next time.
                    s.behind = true;
                    s.window = window.saturating_mul(2);
                    Vec::new()
                }
                _ => Vec::new(),
            }
        };
        for (p, txn) in answers {
            out.reply(p.to, Reply::TxnOk { txn });
        }
        self.pump(out);
    }
}
