//! `computestream index`: the chain indexer as a service, with its side port.

use std::time::Duration;

use anyhow::Context;
use computestream_indexer::{FromVersion, Indexer, RestSource};

use crate::config::AppConfig;

pub async fn run(cfg: &AppConfig, from_version: Option<FromVersion>) -> anyhow::Result<()> {
    let side = crate::side::start(cfg).await?;
    let (shutdown, health) = (side.shutdown.clone(), side.health.clone());
    tracing::info!(node = %cfg.indexer.node_url, side = %side.addr, "indexer starting");
    let source =
        RestSource::new(&cfg.indexer.node_url, Duration::from_secs(10)).context("node client")?;
    let indexer = Indexer {
        source,
        kafka: cfg.kafka.clone(),
        chain_id: cfg.chain_id,
        package: cfg.package,
        config: cfg.indexer.clone(),
        health,
    };
    let result = indexer.run(from_version, shutdown.clone()).await;
    side.stop().await;
    result.context("indexer stopped")
}
