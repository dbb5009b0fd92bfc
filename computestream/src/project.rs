//! `computestream project` and `computestream replay`.

use anyhow::Context;
use computestream_projector::{replay as rebuild, store, Projector, StoreError};
use computestream_runtime::ride_out::ride_out;

use crate::config::AppConfig;

pub async fn run(cfg: &AppConfig) -> anyhow::Result<()> {
    let side = crate::side::start(cfg).await?;
    let (shutdown, health) = (side.shutdown.clone(), side.health.clone());
    let pool = store::open(
        cfg.database.url.expose(),
        &cfg.projector.schema,
        cfg.database.max_connections,
    )
    .await
    .context("opening the read-model database (database.url)")?;
    tracing::info!(schema = %cfg.projector.schema, side = %side.addr, "projector starting");
    crate::dependencies::watch_broker(&side, &cfg.kafka)?;
    crate::dependencies::watch_postgres(&side, cfg.database.url.expose())?;
    let projector = Projector {
        pool,
        kafka: cfg.kafka.clone(),
        config: cfg.projector.clone(),
        health,
    };
    // An attempt resumes from the offsets stored with the read models.
    let result = ride_out(
        "projector",
        &shutdown,
        StoreError::is_retryable,
        |attempt| projector.run(attempt, None),
    )
    .await;
    side.stop().await;
    result.context("projector stopped")
}

pub async fn replay(
    cfg: &AppConfig,
    from_timestamp: Option<i64>,
    accept_loss: bool,
) -> anyhow::Result<()> {
    if let Some(at_ms) = from_timestamp {
        let pool = store::open(cfg.database.url.expose(), &cfg.projector.schema, 2).await?;
        let moved = rebuild::rewind_to_time(&pool, &cfg.kafka, at_ms, accept_loss)
            .await
            .context("rewind")?;
        println!(
            "{moved} partitions of schema {} rewound to records at or after {at_ms} ms; the projector re-applies them (idempotent)",
            cfg.projector.schema
        );
        return Ok(());
    }
    let report = rebuild::replay(
        cfg.database.url.expose(),
        &cfg.kafka,
        &cfg.projector.schema,
        &cfg.projector,
        accept_loss,
    )
    .await
    .context("replay")?;
    println!(
        "replayed {} records into {}, verified, now serving as {}{}",
        report.records,
        report.schema_built,
        cfg.projector.schema,
        report
            .retired
            .map(|r| format!(" (previous models kept as {r})"))
            .unwrap_or_default()
    );
    Ok(())
}
