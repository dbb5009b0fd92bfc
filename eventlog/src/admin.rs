//! Topic administration.

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::types::RDKafkaErrorCode;

use computestream_schemas::topics::TopicSpec;

use crate::{EventLogError, KafkaSettings, LogContext};

/// Creates each topic with its partitions and retention; topics that exist are left as they
/// are. Returns the broker-side names.
///
/// Errors: [`EventLogError::Stalled`] (retryable) when the broker gives no answer within twice
/// the settings' request timeout; Kafka errors as they come; [`EventLogError::Topic`] when
/// the broker refuses a topic.
pub async fn ensure_topics(
    settings: &KafkaSettings,
    specs: &[TopicSpec],
) -> Result<Vec<String>, EventLogError> {
    let admin: AdminClient<LogContext> = settings
        .client_config("computestream-admin")
        .create_with_context(LogContext)
        .map_err(|e| EventLogError::Setup(e.to_string()))?;
    let names: Vec<String> = specs.iter().map(|s| settings.topic(s.name)).collect();
    let retention: Vec<String> = specs.iter().map(|s| s.retention_ms().to_string()).collect();
    let new: Vec<NewTopic<'_>> = specs
        .iter()
        .zip(&names)
        .zip(&retention)
        .map(|((spec, name), retention)| {
            NewTopic::new(
                name,
                spec.partitions,
                TopicReplication::Fixed(settings.replication),
            )
            .set("retention.ms", retention)
        })
        .collect();
    let opts = AdminOptions::new()
        .operation_timeout(Some(settings.timeout()))
        .request_timeout(Some(settings.timeout()));
    // librdkafka's admin requests can wait past their request timeout for a broker that went
    // away mid-request (the chaos test found an executor's restart after a broker restart
    // waiting here for minutes): the whole call is bounded too, and a call that gets no
    // answer is retryable like any other outage.
    let bound = settings.timeout().saturating_mul(2);
    let results = tokio::time::timeout(bound, admin.create_topics(&new, &opts))
        .await
        .map_err(|_| {
            EventLogError::Stalled(format!(
                "creating topics got no answer within {} ms",
                bound.as_millis()
            ))
        })?
        .map_err(|e| EventLogError::kafka("create topics", e))?;
    for r in results {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                return Err(EventLogError::Topic {
                    topic,
                    reason: code.to_string(),
                })
            }
        }
    }
    Ok(names)
}
