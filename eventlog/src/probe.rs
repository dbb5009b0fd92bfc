//! Whether the broker answers: one metadata request for the chain-events topic, on a client
//! kept for the purpose (the services' own clients keep retrying on their own).

use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};

use computestream_schemas::topics;

use crate::{EventLogError, KafkaSettings, LogContext};

/// A metadata request, the cheapest call every Kafka-protocol broker answers.
#[derive(Clone)]
pub struct BrokerProbe {
    client: Arc<BaseConsumer<LogContext>>,
    topic: String,
}

impl std::fmt::Debug for BrokerProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerProbe")
            .field("topic", &self.topic)
            .finish()
    }
}

impl BrokerProbe {
    /// A client of its own on `settings.brokers` (no connection is made until the first
    /// check). Errors: [`EventLogError::Setup`] for a bad client configuration.
    pub fn new(settings: &KafkaSettings) -> Result<BrokerProbe, EventLogError> {
        let client: BaseConsumer<LogContext> = settings
            .client_config("computestream-probe")
            .set("allow.auto.create.topics", "false")
            .create_with_context(LogContext)
            .map_err(|e| EventLogError::Setup(e.to_string()))?;
        Ok(BrokerProbe {
            client: Arc::new(client),
            topic: settings.topic(topics::CHAIN_EVENTS.name),
        })
    }

    /// Asks the broker for one topic's metadata within `timeout`. Errors: the client's
    /// error, retryable (the broker is down or slow).
    pub async fn check(&self, timeout: Duration) -> Result<(), EventLogError> {
        let (client, topic) = (self.client.clone(), self.topic.clone());
        tokio::task::spawn_blocking(move || {
            client
                .fetch_metadata(Some(&topic), timeout)
                .map(drop)
                .map_err(|e| EventLogError::kafka("metadata", e))
        })
        .await
        .map_err(|e| EventLogError::Setup(format!("probe task: {e}")))?
    }
}
