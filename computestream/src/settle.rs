//! `computestream settle`: the settler and its x402 facilitator.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use computestream_settler::{RestChain, Settler};

use crate::config::AppConfig;

pub async fn run(cfg: &AppConfig) -> anyhow::Result<()> {
    let side = crate::side::start(cfg).await?;
    let chain = RestChain::new(&cfg.settler.node_url, cfg.package, Duration::from_secs(10))?;
    let settler = Settler::new(
        Arc::new(chain),
        cfg.kafka.clone(),
        cfg.settler.clone(),
        computestream_domain::VoucherContext {
            chain_id: cfg.chain_id,
            package: cfg.package,
        },
        side.health.clone(),
    );
    let running = settler
        .start(side.shutdown.clone())
        .await
        .context("starting the settler")?;
    tracing::info!(facilitator = %running.facilitator, side = %side.addr, "settler running");
    let result = running.task.await.context("settler task")?;
    side.stop().await;
    result.context("settler stopped")
}
