//! `computestream serve`: the GraphQL gateway, the REST API and the dashboard.

use anyhow::Context;
use computestream_graphql::Gateway;
use computestream_projector::store;

use crate::config::AppConfig;

pub async fn run(cfg: &AppConfig) -> anyhow::Result<()> {
    let side = crate::side::start(cfg).await?;
    // Not ready until the listener is bound and the live feed positioned.
    side.health.failing("gateway", "starting");
    let pool = store::open(
        cfg.database.url.expose(),
        &cfg.projector.schema,
        cfg.database.max_connections,
    )
    .await
    .context("opening the read models (database.url)")?;
    let running = Gateway {
        config: cfg.gateway.clone(),
        pool,
        kafka: cfg.kafka.clone(),
        chain_id: cfg.chain_id,
        package: cfg.package,
        payment_ahead_secs: cfg.settler.payment_ahead_secs,
        health: side.health.clone(),
    }
    .start(side.shutdown.clone())
    .await
    .context("starting the gateway (gateway.listen in use?)")?;
    side.health.ok("gateway");
    println!(
        "gateway: dashboard http://{0}/  GraphQL http://{0}/graphql  subscriptions ws://{0}/graphql/ws  REST http://{0}/api/v1",
        running.addr
    );
    let result = running.task.await.context("gateway task")?;
    side.stop().await;
    result.context("gateway stopped")
}
