//! A stream is closed only after its last vouchers were read. The executor stores every
//! voucher it accepted in the metering topic before it reports the job's outcome on chain
//! (and accepts none after), but the settler reads the chain and metering topics
//! independently: the job's end can be read before vouchers written earlier. So a job's
//! end is held until the settler has read its shard of the metering topic up to the ends
//! that topic had when the end was read (a fence); then the desk may close the stream.

use std::collections::HashMap;

use computestream_eventlog::{tails::CatchUp, EventLogError, KafkaSettings, LogRecord};
use computestream_schemas::topics;

#[derive(Debug, Default)]
pub struct CloseFences {
    /// Next offset to read per `(topic, partition)`.
    next: HashMap<(String, i32), i64>,
    /// Ended streams and their fence (`None` until it could be taken).
    waiting: Vec<(Vec<u64>, Option<CatchUp>)>,
}

impl CloseFences {
    /// `starts`: where the consumer was assigned (`(topic, partition, offset)`).
    pub fn new(starts: &[(String, i32, i64)]) -> Self {
        CloseFences {
            next: starts
                .iter()
                .map(|(t, p, o)| ((t.clone(), *p), *o))
                .collect(),
            waiting: Vec::new(),
        }
    }

    pub fn seen(&mut self, r: &LogRecord) {
        self.next
            .insert((r.topic.clone(), r.partition), r.offset + 1);
        for (_, fence) in self.waiting.iter_mut() {
            if let Some(f) = fence {
                f.seen(r);
            }
        }
    }

    /// These streams' jobs ended: hold their closes until a fence is passed.
    pub fn hold(&mut self, streams: Vec<u64>) {
        if !streams.is_empty() {
            self.waiting.push((streams, None));
        }
    }

    /// Takes the fences not taken yet (the metering topic's current ends in this shard).
    pub async fn take(
        &mut self,
        kafka: &KafkaSettings,
        keep: impl Fn(i32) -> bool + Copy,
    ) -> Result<(), EventLogError> {
        for (_, fence) in self.waiting.iter_mut().filter(|(_, f)| f.is_none()) {
            *fence =
                Some(CatchUp::to_current_ends(kafka, &[topics::METERING], keep, &self.next).await?);
        }
        Ok(())
    }

    /// The streams whose fence is passed: they may be closed now.
    pub fn released(&mut self) -> Vec<u64> {
        let mut out = Vec::new();
        self.waiting.retain_mut(|(streams, fence)| match fence {
            Some(f) if f.is_done() => {
                out.append(streams);
                false
            }
            _ => true,
        });
        out
    }

    /// The consumer's next offset per `(topic, partition)`.
    pub fn next_offsets(&self) -> &HashMap<(String, i32), i64> {
        &self.next
    }

    pub fn held(&self) -> usize {
        self.waiting.iter().map(|(s, _)| s.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(topic: &str, partition: i32, offset: i64) -> LogRecord {
        LogRecord {
            topic: topic.into(),
            partition,
            offset,
            key: None,
            payload: Vec::new(),
        }
    }

    #[test]
    fn a_close_waits_for_its_fence() {
        let mut f = CloseFences::new(&[("m".into(), 0, 0)]);
        f.hold(vec![3, 4]);
        assert!(f.released().is_empty(), "no fence taken yet");
        // A fence: partition m/0 had 10 records when the end was read.
        f.waiting[0].1 = Some(CatchUp::from_ends(vec![("m".into(), 0, 10)]));
        f.seen(&record("m", 0, 5));
        assert!(f.released().is_empty());
        assert_eq!(f.held(), 2);
        f.seen(&record("m", 0, 9));
        assert_eq!(f.released(), vec![3, 4]);
        assert_eq!(f.held(), 0);
    }
}
