//! One job's events from the log: what `computestream verify` and the gateway's evidence
//! check read (docs/DISPUTES.md). Every event of a job shares its key
//! ([`computestream_schemas::events::job_key`]), so they live in one partition of the chain
//! topic and one of the metering topic; only those two partitions are read.

use computestream_schemas::events::job_key;
use computestream_schemas::topics::{self, partition_for};
use computestream_schemas::Envelope;

use crate::{tails, EventLogError, KafkaSettings};

/// Job `job_id`'s chain events, metering records and vouchers as the log holds them now
/// (chain topic first, each in log order). Records that are not envelopes, and other jobs'
/// events sharing the partitions, are left out.
///
/// Errors: as [`tails::read_partitions`].
pub async fn job_envelopes(
    settings: &KafkaSettings,
    job_id: u64,
) -> Result<Vec<Envelope>, EventLogError> {
    let key = job_key(job_id);
    let parts: Vec<(String, i32)> = [topics::CHAIN_EVENTS, topics::METERING]
        .iter()
        .map(|spec| {
            (
                settings.topic(spec.name),
                partition_for(&key, spec.partitions),
            )
        })
        .collect();
    // Other jobs' records share the partitions: dropped as they are read.
    let records = tails::read_partitions_where(settings, &parts, |r| {
        r.key.as_deref() == Some(key.as_bytes())
    })
    .await?;
    let chain_topic = settings.topic(topics::CHAIN_EVENTS.name);
    let mut envelopes: Vec<(bool, Envelope)> = records
        .iter()
        .filter_map(|r| {
            Envelope::from_json(&r.payload)
                .ok()
                .map(|e| (r.topic != chain_topic, e))
        })
        .filter(|(_, e)| e.aggregate_key == key)
        .collect();
    // Chain topic first; the sort is stable, so log order holds within each topic.
    envelopes.sort_by_key(|(metering, _)| *metering);
    Ok(envelopes.into_iter().map(|(_, e)| e).collect())
}
