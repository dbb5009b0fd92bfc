//! `computestream settle`: the settler and its x402 facilitator.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use computestream_runtime::ride_out::ride_out;
use computestream_settler::{RestChain, Settler, SettlerError};

use crate::config::AppConfig;

pub async fn run(cfg: &AppConfig) -> anyhow::Result<()> {
    let side = crate::side::start(cfg).await?;
    let chain = Arc::new(RestChain::new(
        &cfg.settler.node_url,
        cfg.package,
        Duration::from_secs(10),
    )?);
    crate::dependencies::watch_broker(&side, &cfg.kafka)?;
    crate::dependencies::watch_node(&side, &cfg.settler.node_url)?;
    // An attempt re-reads the log to rebuild its desk, as after a restart.
    let result = ride_out(
        "settler",
        &side.shutdown,
        SettlerError::is_retryable,
        |attempt| {
            let settler = Settler::new(
                chain.clone(),
                cfg.kafka.clone(),
                cfg.settler.clone(),
                computestream_domain::VoucherContext {
                    chain_id: cfg.chain_id,
                    package: cfg.package,
                },
                side.health.clone(),
            );
            let addr = side.addr;
            async move {
                let running = settler.start(attempt).await?;
                tracing::info!(facilitator = %running.facilitator, side = %addr, "settler running");
                running
                    .task
                    .await
                    .map_err(|e| SettlerError::Config(format!("settler task: {e}")))?
            }
        },
    )
    .await;
    side.stop().await;
    result.context("settler stopped")
}
