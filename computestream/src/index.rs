//! `computestream index`: the chain indexer as a service, with its side port.

use std::time::Duration;

use anyhow::Context;
use computestream_indexer::{FromVersion, Indexer, IndexerError, RestSource};
use computestream_runtime::ride_out::ride_out;

use crate::config::AppConfig;

pub async fn run(cfg: &AppConfig, from_version: Option<FromVersion>) -> anyhow::Result<()> {
    let side = crate::side::start(cfg).await?;
    let (shutdown, health) = (side.shutdown.clone(), side.health.clone());
    tracing::info!(node = %cfg.indexer.node_url, side = %side.addr, "indexer starting");
    let source =
        RestSource::new(&cfg.indexer.node_url, Duration::from_secs(10)).context("node client")?;
    // The node's readiness is the indexer's own check (every read sets it).
    crate::dependencies::watch_broker(&side, &cfg.kafka)?;
    let result = ride_out(
        "indexer",
        &shutdown,
        IndexerError::is_retryable,
        |attempt| {
            let indexer = Indexer {
                source: source.clone(),
                kafka: cfg.kafka.clone(),
                chain_id: cfg.chain_id,
                package: cfg.package,
                config: cfg.indexer.clone(),
                health: health.clone(),
            };
            indexer.run(from_version, attempt)
        },
    )
    .await;
    side.stop().await;
    result.context("indexer stopped")
}
