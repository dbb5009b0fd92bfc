//! Shared by the indexer's tests: a devnet with scenario activity, an indexer running until
//! it has caught up, and the whole chain topic read back.
#![allow(dead_code, unused_imports)]

use std::time::Duration;

use computestream_devnet::Running;
use computestream_eventlog::{KafkaSettings, LogRecord};
use computestream_indexer::{progress, Indexer, IndexerConfig, RestSource};
use computestream_runtime::Health;
use computestream_schemas::topics;

pub use computestream_testkit::chain::{devnet, identity as id};

pub fn scenario(name: &str) -> computestream_devnet::scenario::Scenario {
    let path = format!(
        "{}/../move/scenarios/{name}.scenario.json",
        env!("CARGO_MANIFEST_DIR")
    );
    computestream_devnet::scenario::Scenario::parse(&std::fs::read(&path).expect("scenario"))
        .expect("parse")
}

pub fn indexer(running: &Running, kafka: &KafkaSettings) -> Indexer<RestSource> {
    let mut ix = computestream_testkit::chain::indexer(running, kafka);
    ix.config.page_size = 25;
    ix.config.concurrency = 3;
    ix
}

/// Waits until the log's checkpoint covers `version`.
pub async fn caught_up(kafka: &KafkaSettings, version: u64) {
    for _ in 0..3_000 {
        if let Ok(Some(cp)) = progress::read_last(kafka).await {
            if cp.next_version > version {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the indexer did not reach version {version}");
}

pub async fn read_all(kafka: &KafkaSettings, name: &str, partitions: i32) -> Vec<LogRecord> {
    computestream_testkit::read_topic(kafka, name, partitions).await
}

pub fn chain_records(records: &[LogRecord]) -> Vec<computestream_schemas::Envelope> {
    records
        .iter()
        .map(|r| computestream_schemas::Envelope::from_json(&r.payload).expect("envelope"))
        .collect()
}

pub fn chain_partitions() -> i32 {
    topics::CHAIN_EVENTS.partitions
}
