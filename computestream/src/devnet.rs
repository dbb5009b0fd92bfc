//! `computestream devnet`: the local chain as a service, with its side port.

use anyhow::Context;
use computestream_devnet::ChainIdentity;
use computestream_runtime::{side_port, telemetry, Health, Shutdown};

use crate::config::AppConfig;

pub async fn run(cfg: &AppConfig) -> anyhow::Result<()> {
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
    println!("  metrics:       http://{side}/metrics");
    let result = running.task.await.context("devnet task")?;
    shutdown.trigger();
    let _ = side_task.await;
    result.context("devnet stopped with an error")
}
