//! The indexer's checkpoint: written to `computestream.indexer.progress.v1` after every
//! acknowledged batch; read on start.

use std::time::Duration;

use computestream_domain::AccountAddress;
use computestream_eventlog::{tails, KafkaSettings, LogConsumer};
use computestream_schemas::topics;
use serde::{Deserialize, Serialize};

use crate::IndexerError;

/// "Every event of versions below `next_version` is in the log; the chain topic's partitions
/// ended at `partition_ends` when that was true."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub chain_id: u8,
    pub package: AccountAddress,
    pub next_version: u64,
    pub partition_ends: Vec<i64>,
    pub written_at_ms: u64,
}

/// The last checkpoint, if the topic has one.
pub async fn read_last(settings: &KafkaSettings) -> Result<Option<Checkpoint>, IndexerError> {
    let topic = settings.topic(topics::INDEXER_PROGRESS.name);
    let marks = match tails::watermarks(settings, &topic, 1).await {
        Ok(m) => m,
        // No progress topic yet: nothing was ever indexed into this log.
        Err(e) if e.is_unknown_topic() => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let (low, high) = marks.first().copied().unwrap_or((0, 0));
    if high <= low {
        return Ok(None);
    }
    let consumer = LogConsumer::new(settings, "computestream-indexer-resume")?;
    consumer.assign(&topic, &[(0, high - 1)])?;
    let record = tokio::time::timeout(Duration::from_secs(30), consumer.next())
        .await
        .map_err(|_| {
            IndexerError::Checkpoint("the last checkpoint could not be read within 30 s".into())
        })??;
    serde_json::from_slice(&record.payload)
        .map(Some)
        .map_err(|e| IndexerError::Checkpoint(e.to_string()))
}

/// The ids of the chain events written after `ends` (partition by partition) up to the
/// current tails: what a crash after the last checkpoint left in the log.
pub async fn ids_after(
    settings: &KafkaSettings,
    ends: &[i64],
) -> Result<std::collections::HashSet<String>, IndexerError> {
    let topic = settings.topic(topics::CHAIN_EVENTS.name);
    let marks = tails::watermarks(settings, &topic, topics::CHAIN_EVENTS.partitions).await?;
    let mut starts = Vec::new();
    let mut remaining = 0i64;
    for (p, &(low, high)) in marks.iter().enumerate() {
        let from = ends.get(p).copied().unwrap_or(0).max(low);
        if high > from {
            starts.push((p as i32, from));
            remaining += high - from;
        }
    }
    let mut ids = std::collections::HashSet::new();
    if remaining == 0 {
        return Ok(ids);
    }
    let consumer = LogConsumer::new(settings, "computestream-indexer-resume")?;
    consumer.assign(&topic, &starts)?;
    let mut seen = 0;
    while seen < remaining {
        let r = tokio::time::timeout(Duration::from_secs(30), consumer.next())
            .await
            .map_err(|_| {
                IndexerError::Checkpoint("the log tail could not be read within 30 s".into())
            })??;
        let high = marks.get(r.partition as usize).map(|m| m.1).unwrap_or(0);
        if r.offset < high {
            seen += 1;
            #[derive(Deserialize)]
            struct IdOnly {
                id: String,
            }
            if let Ok(x) = serde_json::from_slice::<IdOnly>(&r.payload) {
                ids.insert(x.id);
            }
        }
    }
    Ok(ids)
}
