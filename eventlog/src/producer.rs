use std::time::Duration;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use tracing::instrument;

use computestream_schemas::topics::{self, partition_for};
use computestream_schemas::Envelope;

use crate::{EventLogError, KafkaSettings, LogContext};

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
    session: std::sync::RwLock<Arc<Session>>,
    settings: KafkaSettings,
    client_id: String,
}

/// One producer session and the sends in a row that timed out on it.
struct Session {
    producer: FutureProducer<LogContext>,
    timeouts_in_a_row: AtomicU32,
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
            session: std::sync::RwLock::new(Self::session(settings, client_id)?),
            settings: settings.clone(),
            client_id: client_id.to_owned(),
        })
    }

    fn session(settings: &KafkaSettings, client_id: &str) -> Result<Arc<Session>, EventLogError> {
        let producer: FutureProducer<LogContext> = settings
            .client_config(client_id)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("compression.type", "lz4")
            .set("linger.ms", "5")
            .set(
                "message.timeout.ms",
                settings.request_timeout_ms.to_string(),
            )
            .create_with_context(LogContext)
            .map_err(|e| EventLogError::Setup(e.to_string()))?;
        Ok(Arc::new(Session {
            producer,
            timeouts_in_a_row: AtomicU32::new(0),
        }))
    }

    fn current(&self) -> Arc<Session> {
        self.session
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// After a failed send on `used`: replaces it with a new session when it is in
    /// librdkafka's fatal state, or when its sends keep timing out (unless it was replaced
    /// already: errors from an old session count for nothing).
    fn renew_if_stuck(&self, used: &Arc<Session>, error: &KafkaError) {
        let timed_out = matches!(
            error.rdkafka_error_code(),
            Some(RDKafkaErrorCode::MessageTimedOut)
        );
        let timeouts = if timed_out {
            used.timeouts_in_a_row.fetch_add(1, Ordering::Relaxed) + 1
        } else {
            used.timeouts_in_a_row.load(Ordering::Relaxed)
        };
        let fatal = used.producer.client().fatal_error();
        if fatal.is_none() && timeouts < TIMEOUTS_BEFORE_NEW_SESSION {
            return;
        }
        let mut slot = self.session.write().unwrap_or_else(|p| p.into_inner());
        if !Arc::ptr_eq(&slot, used) {
            return; // already replaced
        }
        match Self::session(&self.settings, &self.client_id) {
            Ok(fresh) => {
                tracing::warn!(client = %self.client_id, ?fatal, timeouts, "the producer is stuck (the broker restarted?); a new producer session replaces it");
                let old = std::mem::replace(&mut *slot, fresh);
                drop(slot);
                // Dropping a producer blocks (purge, flush, thread join): not on a runtime
                // worker.
                match tokio::runtime::Handle::try_current() {
                    Ok(rt) => {
                        rt.spawn_blocking(move || drop(old));
                    }
                    Err(_) => drop(old),
                }
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
        let session = self.current();
        match session.producer.send(record, self.settings.timeout()).await {
            Ok(d) => {
                session.timeouts_in_a_row.store(0, Ordering::Relaxed);
                Ok(Delivered {
                    partition: d.partition,
                    offset: d.offset,
                })
            }
            Err((e, _)) => {
                self.renew_if_stuck(&session, &e);
                Err(EventLogError::kafka("produce", e))
            }
        }
    }

    /// Waits until every queued record is acknowledged.
    pub fn flush(&self, timeout: Duration) -> Result<(), EventLogError> {
        self.current()
            .producer
            .flush(timeout)
            .map_err(|e| EventLogError::kafka("flush", e))
    }
}
