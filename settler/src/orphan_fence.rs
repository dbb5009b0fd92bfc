//! Messages held for streams that do not exist are dropped, so the hold
//! (`settler.held_limit`) cannot be filled for good by vouchers or metering records for
//! streams never opened (any provider's executor writes to the metering topic).
//!
//! The rule: a resource server stores a voucher or a metering record only for a stream
//! whose `StreamOpened` it read from the chain-events topic, so when a message is read, its
//! stream's opening is already in that topic. A fence is taken on this shard's chain-events
//! partitions (their current ends); the streams held *before* it was taken must be known
//! once the consumer passed it. Those still held then are orphans: dropped, counted
//! (`computestream_settler_messages_total{outcome="rejected",reason="unknown_stream"}`) and
//! logged in one line per fence.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use computestream_eventlog::{tails::CatchUp, EventLogError, KafkaSettings, LogRecord};
use computestream_schemas::topics;

/// How often a fence is taken while messages are held.
const EVERY: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub struct OrphanFence {
    /// The streams held when the fence was taken, and the fence.
    pending: Option<(Vec<u64>, CatchUp)>,
    last: Option<Instant>,
}

impl Default for OrphanFence {
    fn default() -> Self {
        OrphanFence::new()
    }
}

impl OrphanFence {
    pub fn new() -> Self {
        OrphanFence {
            pending: None,
            last: None,
        }
    }

    pub fn seen(&mut self, r: &LogRecord) {
        if let Some((_, fence)) = &mut self.pending {
            fence.seen(r);
        }
    }

    /// Takes a fence for `held` (the streams held now) when none is pending and the last
    /// was taken long enough ago. `next`: the consumer's next offset per partition.
    pub async fn take(
        &mut self,
        held: impl FnOnce() -> Vec<u64>,
        kafka: &KafkaSettings,
        keep: impl Fn(i32) -> bool,
        next: &HashMap<(String, i32), i64>,
    ) -> Result<(), EventLogError> {
        if self.pending.is_some() || self.last.is_some_and(|t| t.elapsed() < EVERY) {
            return Ok(());
        }
        let streams = held();
        if streams.is_empty() {
            return Ok(());
        }
        let fence = CatchUp::to_current_ends(kafka, &[topics::CHAIN_EVENTS], keep, next).await?;
        self.pending = Some((streams, fence));
        self.last = Some(Instant::now());
        Ok(())
    }

    /// The streams to drop once the fence is passed (each still held is an orphan).
    pub fn passed(&mut self) -> Option<Vec<u64>> {
        match &self.pending {
            Some((_, fence)) if fence.is_done() => self.pending.take().map(|(s, _)| s),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(partition: i32, offset: i64) -> LogRecord {
        LogRecord {
            topic: topics::CHAIN_EVENTS.name.into(),
            partition,
            offset,
            key: None,
            payload: Vec::new(),
        }
    }

    #[test]
    fn streams_held_before_the_fence_are_orphans_once_it_is_passed() {
        let mut f = OrphanFence::new();
        assert_eq!(f.passed(), None, "no fence");
        f.pending = Some((
            vec![7, 9],
            CatchUp::from_ends(vec![(topics::CHAIN_EVENTS.name.into(), 0, 10)]),
        ));
        f.seen(&record(0, 4));
        assert_eq!(f.passed(), None, "not passed yet");
        f.seen(&record(0, 9));
        assert_eq!(f.passed(), Some(vec![7, 9]));
        assert_eq!(f.passed(), None, "once");
    }
}
