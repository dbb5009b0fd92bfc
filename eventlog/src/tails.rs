//! Partition tails: where each partition's log ends.

use rdkafka::consumer::{BaseConsumer, Consumer};

use crate::{EventLogError, KafkaSettings};

/// `(low, high)` watermarks of each partition `0..partitions` of `topic`: `high` is the
/// offset the next record will get, so `high - 1` is the last record (when `high > low`).
pub async fn watermarks(
    settings: &KafkaSettings,
    topic: &str,
    partitions: i32,
) -> Result<Vec<(i64, i64)>, EventLogError> {
    let settings = settings.clone();
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = settings
            .client_config("computestream-tails")
            .create()
            .map_err(|e| EventLogError::Setup(e.to_string()))?;
        (0..partitions)
            .map(|p| {
                consumer
                    .fetch_watermarks(&topic, p, settings.timeout())
                    .map_err(|e| EventLogError::kafka("fetch watermarks", e))
            })
            .collect()
    })
    .await
    .map_err(|e| EventLogError::Setup(format!("watermark task: {e}")))?
}
