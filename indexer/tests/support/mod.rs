//! Shared by the indexer's tests: a devnet with scenario activity, an indexer running until
//! it has caught up, and the whole chain topic read back.
#![allow(dead_code)]

use std::time::Duration;

use computestream_devnet::{ChainIdentity, DevnetConfig, Running};
use computestream_domain::AccountAddress;
use computestream_eventlog::{KafkaSettings, LogRecord};
use computestream_indexer::{progress, Indexer, IndexerConfig, RestSource};
use computestream_runtime::{Health, Shutdown};
use computestream_schemas::topics;

pub fn id() -> ChainIdentity {
    ChainIdentity {
        chain_id: 4,
        package: AccountAddress::new([0xc5; 32]),
    }
}

pub async fn devnet() -> (Running, Shutdown) {
    let shutdown = Shutdown::new();
    let config = DevnetConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        block_time_ms: 10,
        idle_block_ms: 100,
        ..DevnetConfig::default()
    };
    let running = computestream_devnet::start(id(), config, shutdown.clone())
        .await
        .expect("devnet");
    (running, shutdown)
}

pub fn scenario(name: &str) -> computestream_devnet::scenario::Scenario {
    let path = format!(
        "{}/../move/scenarios/{name}.scenario.json",
        env!("CARGO_MANIFEST_DIR")
    );
    computestream_devnet::scenario::Scenario::parse(&std::fs::read(&path).expect("scenario"))
        .expect("parse")
}

pub fn indexer(running: &Running, kafka: &KafkaSettings) -> Indexer<RestSource> {
    Indexer {
        source: RestSource::new(&running.rest_url(), Duration::from_secs(5)).expect("source"),
        kafka: kafka.clone(),
        chain_id: id().chain_id,
        package: id().package,
        config: IndexerConfig {
            node_url: running.rest_url(),
            poll_interval_ms: 20,
            page_size: 25,
            concurrency: 3,
            ..IndexerConfig::default()
        },
        health: Health::new(),
    }
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
