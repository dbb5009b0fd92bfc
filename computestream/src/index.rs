//! `computestream index`: the chain indexer as a service, with its side port.

use std::time::Duration;

use anyhow::Context;
use computestream_indexer::{Indexer, RestSource};
use computestream_runtime::{side_port, telemetry, Health, Shutdown};

use crate::config::AppConfig;

pub async fn run(cfg: &AppConfig, from_version: Option<u64>) -> anyhow::Result<()> {
    let shutdown = Shutdown::new();
    shutdown.fire_on_signals();
    let health = Health::new();
    let (side, side_task) = side_port::serve(
        cfg.side_port,
        health.clone(),
        telemetry::prometheus()?,
        shutdown.clone(),
    )
    .await?;
    tracing::info!(node = %cfg.indexer.node_url, %side, "indexer starting");
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
    shutdown.trigger();
    let _ = side_task.await;
    result.context("indexer stopped")
}
