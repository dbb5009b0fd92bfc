//! `computestream devnet`: the local chain as a service, with its side port.

use anyhow::Context;
use computestream_devnet::ChainIdentity;

use crate::config::AppConfig;

pub async fn run(cfg: &AppConfig) -> anyhow::Result<()> {
    let side = crate::side::start(cfg).await?;
    let (shutdown, health) = (side.shutdown.clone(), side.health.clone());
    let id = ChainIdentity {
        chain_id: cfg.chain_id,
        package: cfg.package,
    };
    let running = computestream_devnet::start(id, cfg.devnet.clone(), shutdown.clone())
        .await
        .context("starting the devnet")?;
    health.ok("devnet");
    println!("devnet: chain id {} package {}", cfg.chain_id, cfg.package);
    println!("  node REST API: {}", running.rest_url());
    println!(
        "  faucet:        POST http://{}/mint?address=0x...&amount=OCTAS",
        running.addr
    );
    println!("  metrics:       http://{}/metrics", side.addr);
    let result = running.task.await.context("devnet task")?;
    side.stop().await;
    result.context("devnet stopped with an error")
}
