//! Messages held for streams that do not exist are dropped, so the hold
//! (`settler.held_limit`) cannot be filled for good by vouchers or metering records for
//! streams never opened (any provider's executor writes to the metering topic).
//!
//! The rule: a resource server stores a voucher or a metering record only for a stream
//! whose `StreamOpened` it read from the chain-events topic, so when a message is read, its
//! stream's opening is already in that topic. A fence is taken on this shard's chain-events
//! partitions (their current ends); the streams held *before* it was taken must be known
//! once the consumer passed it. A stream still held after [`FENCES`] fences passed (taken
//! at least 5 s apart: a margin for writers that do not keep the rule, such as test
//! harnesses and load fleets) is an orphan: its messages are dropped, counted
//! (`computestream_settler_messages_total{outcome="rejected",reason="unknown_stream"}`) and
//! logged in one line per fence.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use computestream_eventlog::{tails::CatchUp, EventLogError, KafkaSettings, LogRecord};
use computestream_schemas::topics;

/// How often a fence is taken while messages are held.
const EVERY: Duration = Duration::from_secs(5);
/// Fences a stream must stay unknown through before its messages are dropped.
pub const FENCES: u32 = 3;

#[derive(Debug)]
pub struct OrphanFence {
    /// The streams held when the fence was taken, and the fence.
    pending: Option<(Vec<u64>, CatchUp)>,
    last: Option<Instant>,
    /// Fences passed while each stream stayed held (only streams held at the last fence).
    passed: HashMap<u64, u32>,
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
            passed: HashMap::new(),
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

    /// Once the pending fence is passed: the streams to drop, those of `still_held` (the
    /// streams held now) that stayed held through [`FENCES`] fences.
    pub fn passed(&mut self, still_held: impl Fn(u64) -> bool) -> Option<Vec<u64>> {
        let streams = match &self.pending {
            Some((_, fence)) if fence.is_done() => self.pending.take().map(|(s, _)| s)?,
            _ => return None,
        };
        let before = std::mem::take(&mut self.passed);
        let mut orphans = Vec::new();
        for id in streams.into_iter().filter(|id| still_held(*id)) {
            let n = before.get(&id).copied().unwrap_or(0) + 1;
            if n >= FENCES {
                orphans.push(id);
            } else {
                self.passed.insert(id, n);
            }
        }
        Some(orphans)
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
    fn streams_held_through_three_passed_fences_are_orphans() {
        let mut f = OrphanFence::new();
        let held = |id: u64| id != 9;
        assert_eq!(f.passed(held), None, "no fence");
        let fence = || CatchUp::from_ends(vec![(topics::CHAIN_EVENTS.name.into(), 0, 10)]);
        f.pending = Some((vec![7, 9], fence()));
        f.seen(&record(0, 4));
        assert_eq!(f.passed(held), None, "not passed yet");
        f.seen(&record(0, 9));
        assert_eq!(f.passed(held), Some(vec![]), "one fence: not yet");
        assert_eq!(f.passed(held), None, "once per fence");
        f.pending = Some((vec![7, 8], CatchUp::from_ends(Vec::new())));
        assert_eq!(f.passed(held), Some(vec![]), "two fences for 7, one for 8");
        f.pending = Some((vec![7, 8], CatchUp::from_ends(Vec::new())));
        assert_eq!(
            f.passed(held),
            Some(vec![7]),
            "7 stayed unknown through three"
        );
        // 9 opened meanwhile (no longer held): never an orphan.
        assert!(!f.passed.contains_key(&9));
    }
}
