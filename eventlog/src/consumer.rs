use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use crate::contiguity::{refetch_backoff, Contiguity, Step, GAP_PATIENCE};
use crate::{EventLogError, KafkaSettings, LogContext};

/// One record as read from the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
}

/// A consumer with explicitly assigned partitions and offsets and auto-commit off: the
/// caller decides where to start (offsets it stored with its own effects) and records
/// progress itself. It hands out every offset of a partition once, in order: a record read
/// past the next offset makes it read the partition again from there
/// ([`crate::contiguity`]).
pub struct LogConsumer {
    consumer: StreamConsumer<LogContext>,
    order: Mutex<Contiguity>,
}

impl std::fmt::Debug for LogConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogConsumer").finish_non_exhaustive()
    }
}

impl LogConsumer {
    /// `group` names the consumer for the broker's bookkeeping only; offsets are never
    /// committed to the broker.
    pub fn new(settings: &KafkaSettings, group: &str) -> Result<Self, EventLogError> {
        let consumer: StreamConsumer<LogContext> = settings
            .client_config(group)
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("enable.partition.eof", "false")
            .set("fetch.wait.max.ms", settings.fetch_wait_max_ms.to_string())
            // librdkafka (>= 2.1) postpones a partition's next fetch by this much once its
            // local queue is over the thresholds; the default, 1 s, stalls a consumer that
            // drains its queue faster than that (the projector catching up paused ~0.3 s
            // every ~140,000 records).
            .set("fetch.queue.backoff.ms", "10")
            .create_with_context(LogContext)
            .map_err(|e| EventLogError::Setup(e.to_string()))?;
        Ok(LogConsumer {
            consumer,
            order: Mutex::new(Contiguity::default()),
        })
    }

    fn order(&self) -> MutexGuard<'_, Contiguity> {
        // Each update completes or has not started: a poisoned lock is taken over.
        self.order.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads `topic`'s partitions from the given next offsets.
    pub fn assign(&self, topic: &str, starts: &[(i32, i64)]) -> Result<(), EventLogError> {
        let mut tpl = TopicPartitionList::new();
        for &(partition, offset) in starts {
            tpl.add_partition_offset(topic, partition, Offset::Offset(offset))
                .map_err(|e| EventLogError::kafka("assign", e))?;
        }
        self.consumer
            .assign(&tpl)
            .map_err(|e| EventLogError::kafka("assign", e))?;
        let mut order = self.order();
        for &(partition, offset) in starts {
            order.expect(topic, partition, offset);
        }
        Ok(())
    }

    /// Reads several topics' partitions from the given next offsets (replaces the
    /// assignment).
    pub fn assign_many(&self, starts: &[(String, i32, i64)]) -> Result<(), EventLogError> {
        let mut tpl = TopicPartitionList::new();
        for (topic, partition, offset) in starts {
            tpl.add_partition_offset(topic, *partition, Offset::Offset(*offset))
                .map_err(|e| EventLogError::kafka("assign", e))?;
        }
        self.consumer
            .assign(&tpl)
            .map_err(|e| EventLogError::kafka("assign", e))?;
        let mut order = self.order();
        for (topic, partition, offset) in starts {
            order.expect(topic, *partition, *offset);
        }
        Ok(())
    }

    /// Stops fetching `topic`'s `partition` (it stays assigned).
    pub fn pause(&self, topic: &str, partition: i32) -> Result<(), EventLogError> {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition(topic, partition);
        self.consumer
            .pause(&tpl)
            .map_err(|e| EventLogError::kafka("pause", e))
    }

    /// The next record of the assigned partitions: per partition, the offset after the
    /// last one handed out. A record read past it is dropped and the partition read again
    /// from the missing offset (with a pause of 5–200 ms), until the records come or
    /// [`GAP_PATIENCE`] passes; then the gap is logged as missing from the log and reading
    /// goes on. Records below the log's start (gone by retention) are skipped at once.
    ///
    /// Errors: the broker's (retryable or fatal, [`EventLogError::is_retryable`]), or a
    /// refetch that could not be started.
    pub async fn next(&self) -> Result<LogRecord, EventLogError> {
        loop {
            let record = {
                let m = self
                    .consumer
                    .recv()
                    .await
                    .map_err(|e| EventLogError::kafka("consume", e))?;
                LogRecord {
                    topic: m.topic().to_owned(),
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key().map(<[u8]>::to_vec),
                    payload: m.payload().map(<[u8]>::to_vec).unwrap_or_default(),
                }
            };
            let step = self.order().judge(
                &record.topic,
                record.partition,
                record.offset,
                Instant::now(),
            );
            match step {
                Step::Deliver => return Ok(record),
                Step::Repeat => continue,
                Step::Skip { from, to } => {
                    tracing::warn!(
                        topic = %record.topic,
                        partition = record.partition,
                        from,
                        to,
                        patience_secs = GAP_PATIENCE.as_secs(),
                        "offsets from..to are missing from the log (refetched for the whole patience); reading on"
                    );
                    metrics::counter!("computestream_eventlog_offsets_skipped_total")
                        .increment(u64::try_from(to.saturating_sub(from)).unwrap_or(0));
                    return Ok(record);
                }
                Step::Refetch { from, attempt } => {
                    if attempt == 1 && self.below_log_start(&record, from) {
                        self.order()
                            .resume_at(&record.topic, record.partition, record.offset);
                        tracing::info!(
                            topic = %record.topic,
                            partition = record.partition,
                            from,
                            to = record.offset,
                            "records below the log's start are gone (retention); reading on"
                        );
                        return Ok(record);
                    }
                    metrics::counter!("computestream_eventlog_gap_refetches_total").increment(1);
                    tracing::debug!(
                        topic = %record.topic,
                        partition = record.partition,
                        from,
                        read = record.offset,
                        attempt,
                        "a fetch skipped offsets; reading the partition again from the gap"
                    );
                    tokio::time::sleep(refetch_backoff(attempt)).await;
                    self.refetch(&record.topic, record.partition, from).await?;
                }
            }
        }
    }

    /// Whether `from` is below the partition's first offset (its records deleted).
    fn below_log_start(&self, record: &LogRecord, from: i64) -> bool {
        self.consumer
            .fetch_watermarks(&record.topic, record.partition, Duration::from_secs(2))
            .is_ok_and(|(low, _)| low > from)
    }

    /// Moves the partition's fetch position back to `from` (a few tries: a seek can fail
    /// while the partition's fetcher is changing state).
    async fn refetch(&self, topic: &str, partition: i32, from: i64) -> Result<(), EventLogError> {
        let mut tries = 0u32;
        loop {
            match self.consumer.seek(
                topic,
                partition,
                Offset::Offset(from),
                Duration::from_secs(1),
            ) {
                Ok(()) => return Ok(()),
                Err(e) if tries >= 20 => return Err(EventLogError::kafka("seek", e)),
                Err(e) => {
                    tries += 1;
                    tracing::debug!(topic, partition, from, error = %e, "seek failed; retrying");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}
