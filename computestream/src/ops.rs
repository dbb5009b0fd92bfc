//! Operator subcommands that prepare the stores: migrations and topics.

use anyhow::Context;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use crate::config::AppConfig;

pub async fn connect(cfg: &AppConfig) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(cfg.database.max_connections)
        .connect(cfg.database.url.expose())
        .await
        .context("connecting to Postgres (database.url); is the stack up? scripts/stack.sh up")
}

pub async fn migrate(cfg: &AppConfig) -> anyhow::Result<()> {
    let pool = connect(cfg).await?;
    computestream_projector::migrate(&pool).await?;
    let applied = computestream_projector::MIGRATOR.iter().count();
    println!("migrations applied ({applied} known)");
    Ok(())
}

pub async fn create_topics(cfg: &AppConfig) -> anyhow::Result<()> {
    let names = computestream_eventlog::admin::ensure_topics(
        &cfg.kafka,
        &computestream_schemas::topics::ALL,
    )
    .await
    .context("creating topics (kafka.brokers); is the stack up? scripts/stack.sh up")?;
    for n in names {
        println!("{n}");
    }
    Ok(())
}
