use std::time::Duration;

use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use tracing::instrument;

use computestream_schemas::topics::{self, partition_for};
use computestream_schemas::Envelope;

use crate::{EventLogError, KafkaSettings};

/// Where a record landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub partition: i32,
    pub offset: i64,
}

/// The idempotent producer of envelopes.
///
/// `enable.idempotence=true` implies `acks=all` and in-order, de-duplicated retries per
/// partition within one producer session; a new session after a crash can still write a
/// record twice, which is why every consumer is idempotent on [`Envelope::id`].
pub struct EnvelopeProducer {
    producer: FutureProducer,
    settings: KafkaSettings,
}

impl std::fmt::Debug for EnvelopeProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvelopeProducer")
            .field("brokers", &self.settings.brokers)
            .finish()
    }
}

impl EnvelopeProducer {
    pub fn new(settings: &KafkaSettings, client_id: &str) -> Result<Self, EventLogError> {
        let producer: FutureProducer = settings
            .client_config(client_id)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("compression.type", "lz4")
            .set("linger.ms", "5")
            .set(
                "message.timeout.ms",
                settings.request_timeout_ms.to_string(),
            )
            .create()
            .map_err(|e| EventLogError::Setup(e.to_string()))?;
        Ok(EnvelopeProducer {
            producer,
            settings: settings.clone(),
        })
    }

    /// Writes `env` to its kind's topic, keyed by its aggregate, and waits for the broker's
    /// acknowledgement.
    #[instrument(skip_all, fields(id = %env.id, kind = env.kind().as_str()))]
    pub async fn send(&self, env: &Envelope) -> Result<Delivered, EventLogError> {
        let spec = topics::topic_for(env.kind());
        let topic = self.settings.topic(spec.name);
        let payload = env.to_json();
        let partition = partition_for(&env.aggregate_key, spec.partitions);
        // The record's timestamp is the event's time, so time-based lookups (replay from a
        // timestamp) follow event time.
        let at = i64::try_from(env.occurred_at_ms).ok();
        self.send_at(&topic, partition, &env.aggregate_key, &payload, at)
            .await
    }

    /// Writes raw bytes (the dead-letter path) to an explicit topic and partition.
    pub async fn send_raw(
        &self,
        topic: &str,
        partition: i32,
        key: &str,
        payload: &[u8],
    ) -> Result<Delivered, EventLogError> {
        self.send_at(topic, partition, key, payload, None).await
    }

    async fn send_at(
        &self,
        topic: &str,
        partition: i32,
        key: &str,
        payload: &[u8],
        timestamp_ms: Option<i64>,
    ) -> Result<Delivered, EventLogError> {
        let mut record = FutureRecord::to(topic)
            .key(key)
            .payload(payload)
            .partition(partition);
        if let Some(t) = timestamp_ms {
            record = record.timestamp(t);
        }
        match self.producer.send(record, self.settings.timeout()).await {
            Ok(d) => Ok(Delivered {
                partition: d.partition,
                offset: d.offset,
            }),
            Err((e, _)) => Err(EventLogError::kafka("produce", e)),
        }
    }

    /// Waits until every queued record is acknowledged.
    pub fn flush(&self, timeout: Duration) -> Result<(), EventLogError> {
        self.producer
            .flush(timeout)
            .map_err(|e| EventLogError::kafka("flush", e))
    }
}
