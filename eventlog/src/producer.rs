use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
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
///
/// An idempotent producer whose broker restarted without its state (it no longer knows the
/// producer id or its sequence numbers) either enters librdkafka's fatal state or times out
/// every send from then on. This one builds a new producer session on a fatal error or
/// after [`TIMEOUTS_BEFORE_NEW_SESSION`] sends in a row timed out (one warning per outage),
/// and reports the send as failed and retryable, so the caller sends it again on the new
/// session (consumers are idempotent on the event id, so a record that did land is
/// harmless).
pub struct EnvelopeProducer {
    producer: std::sync::RwLock<FutureProducer>,
    settings: KafkaSettings,
    client_id: String,
    timeouts_in_a_row: std::sync::atomic::AtomicU32,
}

/// Sends in a row that timed out before the producer session is replaced.
pub const TIMEOUTS_BEFORE_NEW_SESSION: u32 = 2;

impl std::fmt::Debug for EnvelopeProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvelopeProducer")
            .field("brokers", &self.settings.brokers)
            .finish()
    }
}

impl EnvelopeProducer {
    pub fn new(settings: &KafkaSettings, client_id: &str) -> Result<Self, EventLogError> {
        Ok(EnvelopeProducer {
            producer: std::sync::RwLock::new(Self::session(settings, client_id)?),
            settings: settings.clone(),
            client_id: client_id.to_owned(),
            timeouts_in_a_row: std::sync::atomic::AtomicU32::new(0),
        })
    }

    fn session(settings: &KafkaSettings, client_id: &str) -> Result<FutureProducer, EventLogError> {
        settings
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
            .map_err(|e| EventLogError::Setup(e.to_string()))
    }

    fn current(&self) -> FutureProducer {
        self.producer
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// After a failed send with `used`: replaces it with a new session when it is in
    /// librdkafka's fatal state, or when sends keep timing out (unless another send already
    /// replaced it).
    fn renew_if_stuck(&self, used: &FutureProducer, error: &KafkaError) {
        use std::sync::atomic::Ordering;
        let timed_out = matches!(
            error.rdkafka_error_code(),
            Some(RDKafkaErrorCode::MessageTimedOut)
        );
        let timeouts = if timed_out {
            self.timeouts_in_a_row.fetch_add(1, Ordering::Relaxed) + 1
        } else {
            0
        };
        let fatal = used.client().fatal_error();
        if fatal.is_none() && timeouts < TIMEOUTS_BEFORE_NEW_SESSION {
            return;
        }
        let mut slot = self.producer.write().unwrap_or_else(|p| p.into_inner());
        if slot.client().native_ptr() != used.client().native_ptr() {
            return; // already renewed by another send
        }
        match Self::session(&self.settings, &self.client_id) {
            Ok(fresh) => {
                tracing::warn!(client = %self.client_id, ?fatal, timeouts, "the producer is stuck (the broker restarted?); a new producer session replaces it");
                *slot = fresh;
                self.timeouts_in_a_row.store(0, Ordering::Relaxed);
            }
            Err(e) => {
                tracing::warn!(client = %self.client_id, error = %e, "the producer is stuck and a new session could not be built yet");
            }
        }
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
        let producer = self.current();
        match producer.send(record, self.settings.timeout()).await {
            Ok(d) => {
                self.timeouts_in_a_row
                    .store(0, std::sync::atomic::Ordering::Relaxed);
                Ok(Delivered {
                    partition: d.partition,
                    offset: d.offset,
                })
            }
            Err((e, _)) => {
                self.renew_if_stuck(&producer, &e);
                Err(EventLogError::kafka("produce", e))
            }
        }
    }

    /// Waits until every queued record is acknowledged.
    pub fn flush(&self, timeout: Duration) -> Result<(), EventLogError> {
        self.current()
            .flush(timeout)
            .map_err(|e| EventLogError::kafka("flush", e))
    }
}
