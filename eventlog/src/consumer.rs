use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

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
/// progress itself.
pub struct LogConsumer {
    consumer: StreamConsumer<LogContext>,
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
        Ok(LogConsumer { consumer })
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
            .map_err(|e| EventLogError::kafka("assign", e))
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
            .map_err(|e| EventLogError::kafka("assign", e))
    }

    /// Stops fetching `topic`'s `partition` (it stays assigned).
    pub fn pause(&self, topic: &str, partition: i32) -> Result<(), EventLogError> {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition(topic, partition);
        self.consumer
            .pause(&tpl)
            .map_err(|e| EventLogError::kafka("pause", e))
    }

    /// The next record of the assigned partitions.
    pub async fn next(&self) -> Result<LogRecord, EventLogError> {
        let m = self
            .consumer
            .recv()
            .await
            .map_err(|e| EventLogError::kafka("consume", e))?;
        Ok(LogRecord {
            topic: m.topic().to_owned(),
            partition: m.partition(),
            offset: m.offset(),
            key: m.key().map(<[u8]>::to_vec),
            payload: m.payload().map(<[u8]>::to_vec).unwrap_or_default(),
        })
    }
}
