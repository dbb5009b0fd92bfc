//! Partition tails: where each partition's log ends.

use rdkafka::consumer::{BaseConsumer, Consumer};

use crate::{EventLogError, KafkaSettings, LogContext};

/// `(low, high)` watermarks of each partition `0..partitions` of `topic`: `high` is the
/// offset the next record will get, so `high - 1` is the last record (when `high > low`).
pub async fn watermarks(
    settings: &KafkaSettings,
    topic: &str,
    partitions: i32,
) -> Result<Vec<(i64, i64)>, EventLogError> {
    let parts: Vec<(String, i32)> = (0..partitions).map(|p| (topic.to_owned(), p)).collect();
    marks_of(settings, parts).await
}

/// `(low, high)` watermarks of each `(topic, partition)` of `parts`, in order.
async fn marks_of(
    settings: &KafkaSettings,
    parts: Vec<(String, i32)>,
) -> Result<Vec<(i64, i64)>, EventLogError> {
    let settings = settings.clone();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer<LogContext> = settings
            .client_config("computestream-tails")
            .create_with_context(LogContext)
            .map_err(|e| EventLogError::Setup(e.to_string()))?;
        parts
            .iter()
            .map(|(topic, p)| {
                consumer
                    .fetch_watermarks(topic, *p, settings.timeout())
                    .map_err(|e| EventLogError::kafka("fetch watermarks", e))
            })
            .collect()
    })
    .await
    .map_err(|e| EventLogError::Setup(format!("watermark task: {e}")))?
}

/// The first offset of each partition `0..partitions` of `topic` whose record's timestamp is
/// at or after `at_ms` (the partition's end when there is none).
pub async fn offsets_for_time(
    settings: &KafkaSettings,
    topic: &str,
    partitions: i32,
    at_ms: i64,
) -> Result<Vec<i64>, EventLogError> {
    let settings = settings.clone();
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer<LogContext> = settings
            .client_config("computestream-tails")
            .create_with_context(LogContext)
            .map_err(|e| EventLogError::Setup(e.to_string()))?;
        let mut tpl = rdkafka::TopicPartitionList::new();
        for p in 0..partitions {
            tpl.add_partition_offset(&topic, p, rdkafka::Offset::Offset(at_ms))
                .map_err(|e| EventLogError::kafka("offsets for time", e))?;
        }
        let found = consumer
            .offsets_for_times(tpl, settings.timeout())
            .map_err(|e| EventLogError::kafka("offsets for time", e))?;
        let mut out = Vec::new();
        for p in 0..partitions {
            let offset = match found.find_partition(&topic, p).map(|e| e.offset()) {
                Some(rdkafka::Offset::Offset(o)) => o,
                // No record at or after the time: the partition's end.
                _ => {
                    consumer
                        .fetch_watermarks(&topic, p, settings.timeout())
                        .map_err(|e| EventLogError::kafka("fetch watermarks", e))?
                        .1
                }
            };
            out.push(offset);
        }
        Ok(out)
    })
    .await
    .map_err(|e| EventLogError::Setup(format!("offsets task: {e}")))?
}

/// Every record currently in `topic` (partitions `0..partitions`), sorted by partition then
/// offset. For tools and tests that read a whole (small) topic.
pub async fn read_all(
    settings: &KafkaSettings,
    topic: &str,
    partitions: i32,
) -> Result<Vec<crate::LogRecord>, EventLogError> {
    let parts: Vec<(String, i32)> = (0..partitions).map(|p| (topic.to_owned(), p)).collect();
    read_partitions(settings, &parts).await
}

/// Every record of the named `(topic, partition)`s from its first offset up to where the
/// partition ended when reading began, sorted by topic, partition and offset.
///
/// Errors: [`EventLogError::Setup`] when the partitions not read to their end yet deliver
/// nothing for longer than the settings' timeout; Kafka errors as they come.
pub async fn read_partitions(
    settings: &KafkaSettings,
    parts: &[(String, i32)],
) -> Result<Vec<crate::LogRecord>, EventLogError> {
    read_partitions_where(settings, parts, |_| true).await
}

/// [`read_partitions`], keeping only the records for which `keep` holds (the others are
/// read and dropped at once: memory stays in proportion to what is kept).
pub async fn read_partitions_where(
    settings: &KafkaSettings,
    parts: &[(String, i32)],
    keep: impl Fn(&crate::LogRecord) -> bool,
) -> Result<Vec<crate::LogRecord>, EventLogError> {
    let mut starts = Vec::new();
    // Per partition: the offset of its last record when reading began.
    let mut last: std::collections::HashMap<(String, i32), i64> = Default::default();
    let marks = marks_of(settings, parts.to_vec()).await?;
    for ((topic, partition), (low, high)) in parts.iter().zip(marks) {
        if high > low {
            starts.push((topic.clone(), *partition, low));
            last.insert((topic.clone(), *partition), high - 1);
        }
    }
    let mut out = Vec::new();
    if last.is_empty() {
        return Ok(out);
    }
    let consumer = crate::LogConsumer::new(settings, "computestream-reader")?;
    consumer.assign_many(&starts)?;
    // The timeout runs from the last record of a partition still being read: records past a
    // partition's end (produced since reading began) do not keep a stalled read alive.
    let mut progress_at = tokio::time::Instant::now();
    while !last.is_empty() {
        let deadline = progress_at + settings.timeout();
        let r = tokio::time::timeout_at(deadline, consumer.next())
            .await
            .map_err(|_| {
                EventLogError::Setup(format!(
                    "{} partition(s) stopped delivering before their end",
                    last.len()
                ))
            })??;
        let key = (r.topic.clone(), r.partition);
        match last.get(&key) {
            Some(&end) => {
                progress_at = tokio::time::Instant::now();
                if r.offset >= end {
                    last.remove(&key);
                    // Read to its end: stop fetching it.
                    consumer.pause(&key.0, key.1)?;
                }
            }
            // Past its end (a record produced since reading began): not part of this read.
            None => continue,
        }
        if keep(&r) {
            out.push(r);
        }
    }
    out.sort_by(|a, b| (&a.topic, a.partition, a.offset).cmp(&(&b.topic, b.partition, b.offset)));
    Ok(out)
}

/// How long a [`CatchUp`] may go without a record from the partitions it still waits for
/// before its reader starts again ([`CatchUp::check_progress`]).
pub const CATCH_UP_STALL: std::time::Duration = std::time::Duration::from_secs(30);

/// Reading partitions from their first record up to where they ended when reading began:
/// the "caught up" test of consumers that rebuild their state from the log on start.
#[derive(Debug, Clone)]
pub struct CatchUp {
    behind: Vec<(String, i32, i64)>,
    /// When a record of a partition still behind was last read (or the tracker was made).
    progress_at: std::time::Instant,
}

impl Default for CatchUp {
    fn default() -> Self {
        CatchUp::from_ends(Vec::new())
    }
}

impl CatchUp {
    /// The start offsets (`(topic, partition, first offset)`, for `LogConsumer::assign_many`)
    /// of the partitions of `specs` for which `keep(partition)`, and the tracker of their
    /// current ends.
    pub async fn from_start(
        settings: &KafkaSettings,
        specs: &[computestream_schemas::topics::TopicSpec],
        keep: impl Fn(i32) -> bool,
    ) -> Result<(Vec<(String, i32, i64)>, CatchUp), EventLogError> {
        let marks = kept_marks(settings, specs, keep).await?;
        let starts = marks
            .iter()
            .map(|(t, p, low, _)| (t.clone(), *p, *low))
            .collect();
        let behind = marks
            .into_iter()
            .filter(|(_, _, low, high)| high > low)
            .map(|(t, p, _, high)| (t, p, high))
            .collect();
        Ok((starts, CatchUp::from_ends(behind)))
    }

    /// A fence: the current ends of the partitions of `specs` for which `keep(partition)`,
    /// minus those a consumer already read to the end (`next` holds its next offset per
    /// `(topic, partition)`). Done once the consumer has read everything that was in those
    /// partitions when the fence was taken.
    pub async fn to_current_ends(
        settings: &KafkaSettings,
        specs: &[computestream_schemas::topics::TopicSpec],
        keep: impl Fn(i32) -> bool,
        next: &std::collections::HashMap<(String, i32), i64>,
    ) -> Result<CatchUp, EventLogError> {
        let behind = kept_marks(settings, specs, keep)
            .await?
            .into_iter()
            .filter(|(t, p, low, high)| *high > next.get(&(t.clone(), *p)).copied().unwrap_or(*low))
            .map(|(t, p, _, high)| (t, p, high))
            .collect();
        Ok(CatchUp::from_ends(behind))
    }

    /// A tracker of explicit ends: `(topic, partition, end offset)`.
    pub fn from_ends(behind: Vec<(String, i32, i64)>) -> CatchUp {
        CatchUp {
            behind,
            progress_at: std::time::Instant::now(),
        }
    }

    /// Records that `record` was read.
    pub fn seen(&mut self, record: &crate::LogRecord) {
        let mut tracked = false;
        self.behind.retain(|(t, p, high)| {
            let here = t == &record.topic && *p == record.partition;
            tracked |= here;
            !(here && record.offset + 1 >= *high)
        });
        if tracked {
            self.progress_at = std::time::Instant::now();
        }
    }

    /// Whether reading still makes progress: Err when partitions are still behind and none
    /// of them delivered a record for `limit`. The caller reads again with a new consumer
    /// and new ends (a service returns the error and restarts in its process): a consumer
    /// that stopped delivering after a broker restart, or a partition whose end moved back
    /// (records the broker lost when it was killed), would otherwise hold it for good. The
    /// chaos test found an executor killed and restarted just before a broker restart
    /// "reading the log" for minutes.
    ///
    /// Errors: [`EventLogError::Stalled`] (retryable), naming the partitions behind.
    pub fn check_progress(&self, limit: std::time::Duration) -> Result<(), EventLogError> {
        if self.behind.is_empty() || self.progress_at.elapsed() < limit {
            return Ok(());
        }
        let parts: Vec<String> = self
            .behind
            .iter()
            .take(5)
            .map(|(t, p, high)| format!("{t}[{p}] to offset {high}"))
            .collect();
        Err(EventLogError::Stalled(format!(
            "{} partition(s) delivered nothing for {} s before reaching the ends they had when reading began ({}{})",
            self.behind.len(),
            limit.as_secs(),
            parts.join(", "),
            if self.behind.len() > 5 { ", …" } else { "" }
        )))
    }

    /// Where reading stands, for `/healthz`: e.g. `3 partition(s) to go, last record 2 s ago`.
    pub fn progress(&self) -> String {
        format!(
            "{} partition(s) to go, last record {} s ago",
            self.behind.len(),
            self.progress_at.elapsed().as_secs()
        )
    }

    /// Every partition reached the end it had at the start.
    pub fn is_done(&self) -> bool {
        self.behind.is_empty()
    }
}

/// `(topic, partition, low, high)` of the partitions of `specs` for which `keep(partition)`.
async fn kept_marks(
    settings: &KafkaSettings,
    specs: &[computestream_schemas::topics::TopicSpec],
    keep: impl Fn(i32) -> bool,
) -> Result<Vec<(String, i32, i64, i64)>, EventLogError> {
    let mut out = Vec::new();
    for spec in specs {
        let topic = settings.topic(spec.name);
        let marks = watermarks(settings, &topic, spec.partitions).await?;
        for (p, (low, high)) in marks.into_iter().enumerate() {
            let p = p as i32;
            if keep(p) {
                out.push((topic.clone(), p, low, high));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::LogRecord;

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
    fn done_once_every_partition_reached_its_end() {
        let mut c = CatchUp::from_ends(vec![("a".into(), 0, 3), ("a".into(), 1, 1)]);
        c.seen(&record("a", 0, 1));
        c.seen(&record("a", 1, 0));
        assert!(!c.is_done(), "partition 0 is at 2 of 3");
        c.seen(&record("b", 0, 99));
        assert!(!c.is_done(), "another topic's records do not count");
        c.seen(&record("a", 0, 2));
        assert!(c.is_done());
    }

    #[test]
    fn a_tracker_with_nothing_behind_never_stalls() {
        assert!(CatchUp::from_ends(Vec::new())
            .check_progress(Duration::ZERO)
            .is_ok());
        let mut c = CatchUp::from_ends(vec![("a".into(), 0, 1)]);
        c.seen(&record("a", 0, 0));
        assert!(
            c.check_progress(Duration::ZERO).is_ok(),
            "done: nothing to wait for"
        );
    }

    #[test]
    fn partitions_behind_that_deliver_nothing_stall_and_say_which() {
        let c = CatchUp::from_ends(vec![("computestream.chain.v1".into(), 3, 10)]);
        assert!(
            c.check_progress(Duration::from_secs(3600)).is_ok(),
            "within the limit"
        );
        let e = c.check_progress(Duration::ZERO).expect_err("stalled");
        assert!(e.is_retryable(), "{e}");
        assert!(
            e.to_string()
                .contains("computestream.chain.v1[3] to offset 10"),
            "{e}"
        );
    }

    #[test]
    fn only_records_of_partitions_behind_are_progress() {
        let mut c = CatchUp::from_ends(vec![("a".into(), 0, 10)]);
        let before = c.progress_at;
        c.seen(&record("a", 1, 5));
        assert_eq!(
            c.progress_at, before,
            "a partition not waited for is not progress"
        );
        std::thread::sleep(Duration::from_millis(2));
        c.seen(&record("a", 0, 5));
        assert!(c.progress_at > before, "a record of a partition behind is");
    }
}
