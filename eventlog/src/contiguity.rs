//! Every offset of an assigned partition is handed out once, in order: a consumer never
//! skips a record silently.
//!
//! Our topics have no compaction and no transactions, so a partition's offsets are
//! contiguous, and a record past the next expected offset means the fetch skipped some.
//! That happens: the in-memory storage of the nisshi broker reserves a batch's offsets
//! (moves the high watermark) before it writes the batch, and a fetch in between returns
//! the next, already written, batch; librdkafka then moves past the missing one. A
//! settler that missed one metering record could not extend that stream's hash chain
//! again and stopped settling it (CI, 2026-12-07: two streams paid 343 of 604 seconds).
//!
//! [`Contiguity`] decides, per record read, whether to hand it out, drop it (a repeat
//! after a refetch), or refetch from the missing offset; a gap still there after
//! [`GAP_PATIENCE`] is accepted with a warning (records really missing from the log, e.g.
//! a broker that failed its write after reserving the offsets). Records below the log's
//! start (gone by retention) are the consumer's to detect; see [`Contiguity::resume_at`].

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a gap is refetched before it is accepted as records missing from the log.
pub const GAP_PATIENCE: Duration = Duration::from_secs(10);

/// What to do with one record read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The next offset: hand it out.
    Deliver,
    /// Below the next offset (read again after a refetch): drop it.
    Repeat,
    /// Past the next offset: drop it and read the partition again from `from`; `attempt`
    /// counts the refetches of this gap (1 for the first).
    Refetch { from: i64, attempt: u32 },
    /// Past the next offset after [`GAP_PATIENCE`] of refetching: hand it out; offsets
    /// `from..to` are missing from the log.
    Skip { from: i64, to: i64 },
}

#[derive(Debug, Clone, Copy)]
struct Gap {
    from: i64,
    since: Instant,
    attempts: u32,
}

/// The next expected offset per `(topic, partition)`, and the gaps being refetched.
#[derive(Debug, Default)]
pub struct Contiguity {
    next: HashMap<(String, i32), i64>,
    gaps: HashMap<(String, i32), Gap>,
}

impl Contiguity {
    /// The partition is read from `offset` on (an assignment): forgets what was expected.
    pub fn expect(&mut self, topic: &str, partition: i32, offset: i64) {
        let key = (topic.to_owned(), partition);
        self.gaps.remove(&key);
        if offset >= 0 {
            self.next.insert(key, offset);
        } else {
            // A logical offset (beginning, end): the first record read sets the position.
            self.next.remove(&key);
        }
    }

    /// Judges the record at `offset` of `(topic, partition)`, read at `now`.
    pub fn judge(&mut self, topic: &str, partition: i32, offset: i64, now: Instant) -> Step {
        let key = (topic.to_owned(), partition);
        let Some(&next) = self.next.get(&key) else {
            self.next.insert(key, offset.saturating_add(1));
            return Step::Deliver;
        };
        if offset < next {
            return Step::Repeat;
        }
        if offset == next {
            self.next.insert(key.clone(), offset.saturating_add(1));
            self.gaps.remove(&key);
            return Step::Deliver;
        }
        let gap = self.gaps.entry(key.clone()).or_insert(Gap {
            from: next,
            since: now,
            attempts: 0,
        });
        if gap.from != next {
            *gap = Gap {
                from: next,
                since: now,
                attempts: 0,
            };
        }
        if now.saturating_duration_since(gap.since) >= GAP_PATIENCE {
            self.gaps.remove(&key);
            self.next.insert(key, offset.saturating_add(1));
            return Step::Skip {
                from: next,
                to: offset,
            };
        }
        gap.attempts = gap.attempts.saturating_add(1);
        Step::Refetch {
            from: next,
            attempt: gap.attempts,
        }
    }

    /// Hands out the record at `offset` next, whatever was expected (the records before it
    /// are gone from the log: below its start).
    pub fn resume_at(&mut self, topic: &str, partition: i32, offset: i64) {
        let key = (topic.to_owned(), partition);
        self.gaps.remove(&key);
        self.next.insert(key, offset.saturating_add(1));
    }
}

/// The pause before refetch `attempt` of a gap: 5 ms, doubling, at most 200 ms (the batch
/// being written usually lands within milliseconds).
pub fn refetch_backoff(attempt: u32) -> Duration {
    let ms = 5u64.saturating_mul(1u64 << attempt.saturating_sub(1).min(6));
    Duration::from_millis(ms.min(200))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn in_order_records_are_delivered_and_repeats_dropped() {
        let mut c = Contiguity::default();
        let t = Instant::now();
        c.expect("m", 0, 5);
        assert_eq!(c.judge("m", 0, 5, t), Step::Deliver);
        assert_eq!(c.judge("m", 0, 6, t), Step::Deliver);
        assert_eq!(c.judge("m", 0, 6, t), Step::Repeat);
        assert_eq!(c.judge("m", 0, 2, t), Step::Repeat);
        // Another partition has its own position.
        assert_eq!(c.judge("m", 1, 40, t), Step::Deliver);
        assert_eq!(c.judge("m", 1, 41, t), Step::Deliver);
    }

    #[test]
    fn a_gap_is_refetched_until_it_fills() {
        // The CI case: offsets 9976..9983 (one batch) not written yet when 9984 was read.
        let mut c = Contiguity::default();
        let t = Instant::now();
        c.expect("m", 0, 9_976);
        assert_eq!(
            c.judge("m", 0, 9_984, t),
            Step::Refetch {
                from: 9_976,
                attempt: 1
            }
        );
        assert_eq!(
            c.judge("m", 0, 9_984, t + Duration::from_millis(5)),
            Step::Refetch {
                from: 9_976,
                attempt: 2
            }
        );
        // The refetch finds the batch now.
        for o in 9_976..=9_984 {
            assert_eq!(c.judge("m", 0, o, t), Step::Deliver, "offset {o}");
        }
        // A later gap starts its own count.
        assert_eq!(
            c.judge("m", 0, 9_990, t),
            Step::Refetch {
                from: 9_985,
                attempt: 1
            }
        );
    }

    #[test]
    fn a_gap_that_stays_is_skipped_after_the_patience() {
        let mut c = Contiguity::default();
        let t = Instant::now();
        c.expect("m", 0, 0);
        assert_eq!(c.judge("m", 0, 0, t), Step::Deliver);
        assert!(matches!(
            c.judge("m", 0, 3, t),
            Step::Refetch { from: 1, .. }
        ));
        assert!(matches!(
            c.judge("m", 0, 3, t + GAP_PATIENCE - Duration::from_millis(1)),
            Step::Refetch { from: 1, .. }
        ));
        assert_eq!(
            c.judge("m", 0, 3, t + GAP_PATIENCE),
            Step::Skip { from: 1, to: 3 }
        );
        assert_eq!(c.judge("m", 0, 4, t + GAP_PATIENCE), Step::Deliver);
    }

    #[test]
    fn a_logical_start_takes_the_first_record_read_and_resume_moves_on() {
        let mut c = Contiguity::default();
        let t = Instant::now();
        c.expect("m", 0, -1);
        assert_eq!(c.judge("m", 0, 70, t), Step::Deliver);
        assert!(matches!(c.judge("m", 0, 75, t), Step::Refetch { .. }));
        c.resume_at("m", 0, 75);
        assert_eq!(c.judge("m", 0, 76, t), Step::Deliver);
        // A new assignment forgets the old position and gap.
        c.expect("m", 0, 10);
        assert_eq!(c.judge("m", 0, 10, t), Step::Deliver);
    }

    #[test]
    fn the_backoff_grows_and_is_bounded() {
        assert_eq!(refetch_backoff(1), Duration::from_millis(5));
        assert_eq!(refetch_backoff(2), Duration::from_millis(10));
        assert_eq!(refetch_backoff(6), Duration::from_millis(160));
        assert_eq!(refetch_backoff(7), Duration::from_millis(200));
        assert_eq!(refetch_backoff(u32::MAX), Duration::from_millis(200));
    }

    proptest! {
        /// Whatever order and repeats a broker's fetches come in, what is delivered before
        /// the patience runs out is each offset once, in order, with no hole.
        #[test]
        fn deliveries_are_contiguous(reads in proptest::collection::vec(0i64..40, 0..300)) {
            let mut c = Contiguity::default();
            let t = Instant::now();
            c.expect("m", 0, 0);
            let mut delivered = Vec::new();
            for o in reads {
                match c.judge("m", 0, o, t) {
                    Step::Deliver => delivered.push(o),
                    Step::Skip { .. } => prop_assert!(false, "no skip before the patience"),
                    Step::Repeat | Step::Refetch { .. } => {}
                }
            }
            let expected: Vec<i64> = (0..delivered.len() as i64).collect();
            prop_assert_eq!(delivered, expected);
        }
    }
}
