//! A reliable, batched link to one peer, for items that are safe to receive twice (broadcast
//! values, replicated log entries).
//!
//! Every batch a link sends carries *all* items the peer has not acknowledged yet, plus the
//! fresh ones, under a new sequence number. So when the peer acknowledges batch `k` (the
//! highest it has received), every value first sent in batch `k` or earlier is known to have
//! arrived, whatever was lost, duplicated or reordered before: one number acknowledges
//! everything, and a lost batch is repaired by the next one. Acks ride on the link's own
//! batches when it has any, and go alone (a `seq` 0 message) only after `ack_delay`.

use std::time::Duration;

/// When a link sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// Fresh values wait this long for company before they are sent.
    pub batch: Duration,
    /// A received batch is acknowledged alone after this long if nothing else carried the ack.
    pub ack_delay: Duration,
    /// Unacknowledged values are sent again after this long.
    pub retry: Duration,
}

impl Timing {
    /// How often a node holding links should check them (its tick).
    pub const CHECK_EVERY: Duration = Duration::from_millis(5);

    /// This timing, each field replaced by what `read` gives for `{prefix}_BATCH_MS`,
    /// `{prefix}_ACK_MS` and `{prefix}_RETRY_MS` (`None`: keep it). A binary passes
    /// `glomers_engine::settings::millis`, which reads the environment, in its `main`.
    ///
    /// # Errors
    /// The first error `read` returns.
    pub fn overridden<E>(
        self,
        prefix: &str,
        mut read: impl FnMut(&str) -> Result<Option<Duration>, E>,
    ) -> Result<Timing, E> {
        let mut field = |name: &str, current: Duration| {
            read(&format!("{prefix}_{name}_MS")).map(|value| value.unwrap_or(current))
        };
        Ok(Timing {
            batch: field("BATCH", self.batch)?,
            ack_delay: field("ACK", self.ack_delay)?,
            retry: field("RETRY", self.retry)?,
        })
    }
}

/// Polls every link and hands each batch that is due to `send` with its peer.
pub fn poll_all<K: Clone, T: Clone>(
    links: &mut std::collections::BTreeMap<K, Link<T>>,
    now: Duration,
    timing: &Timing,
    mut send: impl FnMut(K, Batch<T>),
) {
    for (peer, link) in links.iter_mut() {
        if let Some(batch) = link.poll(now, timing) {
            send(peer.clone(), batch);
        }
    }
}

/// One idle link to each node of the cluster but `me`.
pub fn to_peers<T>(
    me: &glomers_engine::NodeId,
    nodes: &[glomers_engine::NodeId],
) -> std::collections::BTreeMap<glomers_engine::NodeId, Link<T>> {
    nodes.iter().filter(|n| *n != me).map(|n| (n.clone(), Link::default())).collect()
}

/// What a link puts on the wire: items (`seq` > 0) and/or an acknowledgement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch<T> {
    /// This batch's number; 0 for a pure acknowledgement.
    pub seq: u64,
    /// The items.
    pub values: Vec<T>,
    /// The highest batch number received from the peer.
    pub ack: u64,
}

/// The state of the link with one peer.
#[derive(Debug)]
pub struct Link<T> {
    /// Items never sent, and since when the oldest has waited.
    fresh: Vec<T>,
    fresh_since: Option<Duration>,
    /// Items sent but not acknowledged, each with the first batch that carried it.
    unacked: Vec<(T, u64)>,
    /// The last batch number used.
    seq: u64,
    /// When the last batch left.
    last_sent: Duration,
    /// The highest batch number received from the peer.
    received: u64,
    /// Since when an acknowledgement is owed.
    ack_owed_since: Option<Duration>,
}

impl<T> Default for Link<T> {
    fn default() -> Self {
        Link {
            fresh: Vec::new(),
            fresh_since: None,
            unacked: Vec::new(),
            seq: 0,
            last_sent: Duration::ZERO,
            received: 0,
            ack_owed_since: None,
        }
    }
}

impl<T: Clone> Link<T> {
    /// Queues an item for the peer.
    pub fn push(&mut self, value: T, now: Duration) {
        self.fresh.push(value);
        self.fresh_since.get_or_insert(now);
    }

    /// Takes in a batch from the peer: its acknowledgement, and whether it owes one back.
    pub fn on_batch(&mut self, seq: u64, ack: u64, now: Duration) {
        self.unacked.retain(|&(_, first)| first > ack);
        if seq > 0 {
            self.received = self.received.max(seq);
            self.ack_owed_since.get_or_insert(now);
        }
    }

    /// What to send now, if anything.
    pub fn poll(&mut self, now: Duration, timing: &Timing) -> Option<Batch<T>> {
        let fresh_due = self.fresh_since.is_some_and(|since| now >= since + timing.batch);
        let retry_due = !self.unacked.is_empty() && now >= self.last_sent + timing.retry;
        if fresh_due || retry_due {
            self.seq += 1;
            let seq = self.seq;
            let mut values: Vec<T> = self.unacked.iter().map(|(v, _)| v.clone()).collect();
            values.extend_from_slice(&self.fresh);
            self.unacked.extend(self.fresh.drain(..).map(|v| (v, seq)));
            self.fresh_since = None;
            self.last_sent = now;
            self.ack_owed_since = None;
            return Some(Batch { seq, values, ack: self.received });
        }
        if self.ack_owed_since.is_some_and(|since| now >= since + timing.ack_delay) {
            self.ack_owed_since = None;
            return Some(Batch { seq: 0, values: Vec::new(), ack: self.received });
        }
        None
    }

    /// Whether `value` was queued and the peer has acknowledged it since (or it was never
    /// queued here): nothing of it is left to send.
    pub fn has_delivered(&self, value: &T) -> bool
    where
        T: PartialEq,
    {
        !self.fresh.contains(value) && !self.unacked.iter().any(|(v, _)| v == value)
    }

    /// The peer restarted with nothing: `all` (every item) is queued for it afresh, in place of
    /// what was queued or unacknowledged, and what it sent before is forgotten. Returns the
    /// highest batch number received from its earlier processes, which its new link must number
    /// above (see [`Link::number_above`]) so that a late acknowledgement from before cannot
    /// cover a new batch. Our own numbering goes on. Idempotent but for resending: a request
    /// to start over heard twice costs one more batch, never an item.
    pub fn peer_restarted(&mut self, all: Vec<T>, now: Duration) -> u64 {
        self.unacked.clear();
        self.fresh = all;
        self.fresh_since = (!self.fresh.is_empty()).then_some(now);
        self.ack_owed_since = None;
        std::mem::take(&mut self.received)
    }

    /// Numbers the next batches above `floor` (what the peer had received from this node's
    /// earlier processes, from [`Link::peer_restarted`]).
    pub fn number_above(&mut self, floor: u64) {
        self.seq = self.seq.max(floor);
    }

    /// Whether the link has nothing left to send, now or later.
    pub fn is_idle(&self) -> bool {
        self.fresh.is_empty() && self.unacked.is_empty() && self.ack_owed_since.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timing = Timing {
        batch: Duration::from_millis(100),
        ack_delay: Duration::from_millis(300),
        retry: Duration::from_millis(1000),
    };

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn overrides_replace_only_the_fields_given_and_stop_at_the_first_error() {
        let read = |name: &str| match name {
            "P_ACK_MS" => Ok(Some(ms(7))),
            "P_RETRY_MS" => Ok(None),
            "Q_BATCH_MS" => Err(name.to_owned()),
            _ => Ok(None),
        };
        assert_eq!(T.overridden("P", read), Ok(Timing { ack_delay: ms(7), ..T }));
        assert_eq!(T.overridden("Q", read), Err("Q_BATCH_MS".to_owned()));
    }

    #[test]
    fn fresh_values_wait_for_the_batch_window_then_go_together() {
        let mut l = Link::<u64>::default();
        l.push(1, ms(0));
        l.push(2, ms(50));
        assert_eq!(l.poll(ms(99), &T), None);
        assert_eq!(l.poll(ms(100), &T), Some(Batch { seq: 1, values: vec![1, 2], ack: 0 }));
        assert_eq!(l.poll(ms(150), &T), None);
    }

    #[test]
    fn a_lost_batch_is_repaired_by_the_next_one_and_one_ack_clears_all() {
        let mut l = Link::<u64>::default();
        l.push(1, ms(0));
        let lost = l.poll(ms(100), &T);
        assert!(lost.is_some());
        l.push(2, ms(200));
        // Batch 2 carries value 1 again, since batch 1 was never acknowledged.
        assert_eq!(l.poll(ms(300), &T), Some(Batch { seq: 2, values: vec![1, 2], ack: 0 }));
        l.on_batch(0, 2, ms(500));
        assert!(l.is_idle());
    }

    #[test]
    fn an_old_ack_keeps_values_sent_after_it_and_they_are_retried() {
        let mut l = Link::<u64>::default();
        l.push(1, ms(0));
        l.poll(ms(100), &T);
        l.push(2, ms(100));
        l.poll(ms(200), &T);
        l.on_batch(0, 1, ms(300));
        assert_eq!(l.poll(ms(1199), &T), None);
        assert_eq!(l.poll(ms(1200), &T), Some(Batch { seq: 3, values: vec![2], ack: 0 }));
        // A duplicate of that old ack changes nothing.
        l.on_batch(0, 1, ms(1300));
        assert!(!l.is_idle());
        l.on_batch(0, 3, ms(1400));
        assert!(l.is_idle());
    }

    #[test]
    fn acks_ride_on_batches_or_go_alone_after_the_delay() {
        let mut l = Link::<u64>::default();
        l.on_batch(7, 0, ms(0));
        l.push(5, ms(0));
        assert_eq!(l.poll(ms(100), &T), Some(Batch { seq: 1, values: vec![5], ack: 7 }));
        l.on_batch(8, 1, ms(150));
        assert_eq!(l.poll(ms(449), &T), None);
        assert_eq!(l.poll(ms(450), &T), Some(Batch { seq: 0, values: vec![], ack: 8 }));
        assert!(l.is_idle());
        // A pure ack from the peer asks for nothing back.
        l.on_batch(0, 1, ms(500));
        assert_eq!(l.poll(ms(5000), &T), None);
    }
}
