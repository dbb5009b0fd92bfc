//! `computestream settle`: the settler and its x402 facilitator.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use computestream_settler::{RestChain, Settler, Shared};

use crate::config::AppConfig;

pub async fn run(cfg: &AppConfig) -> anyhow::Result<()> {
    let side = crate::side::start(cfg).await?;
    let chain = RestChain::new(&cfg.settler.node_url, cfg.package, Duration::from_secs(10))?;
    let settler = Settler {
        chain: Arc::new(chain),
        kafka: cfg.kafka.clone(),
        config: cfg.settler.clone(),
        shared: Shared::new(cfg.chain_id, cfg.package, cfg.settler.held_limit),
        health: side.health.clone(),
    };
    let running = settler
        .start(side.shutdown.clone())
        .await
        .context("starting the settler")?;
    tracing::info!(facilitator = %running.facilitator, side = %side.addr, "settler running");
    let result = running.task.await.context("settler task")?;
    side.stop().await;
    result.context("settler stopped")
}
