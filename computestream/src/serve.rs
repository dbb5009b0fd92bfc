//! `computestream serve`: the GraphQL gateway, the REST API and the dashboard.

use anyhow::Context;
use computestream_graphql::{Gateway, GatewayError};
use computestream_projector::store;
use computestream_runtime::ride_out::ride_out;

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
    crate::dependencies::watch_broker(&side, &cfg.kafka)?;
    crate::dependencies::watch_postgres(&side, cfg.database.url.expose())?;
    let result = ride_out(
        "gateway",
        &side.shutdown,
        GatewayError::is_retryable,
        |attempt| {
            let gateway = Gateway {
                config: cfg.gateway.clone(),
                pool: pool.clone(),
                kafka: cfg.kafka.clone(),
                chain_id: cfg.chain_id,
                package: cfg.package,
                payment_ahead_secs: cfg.settler.payment_ahead_secs,
                health: side.health.clone(),
            };
            let health = side.health.clone();
            async move {
                let running = gateway.start(attempt).await?;
                health.ok("gateway");
                println!(
                    "gateway: dashboard http://{0}/  GraphQL http://{0}/graphql  subscriptions ws://{0}/graphql/ws  REST http://{0}/api/v1",
                    running.addr
                );
                running
                    .task
                    .await
                    .map_err(|e| GatewayError::Config(format!("gateway task: {e}")))?
            }
        },
    )
    .await;
    side.stop().await;
    result.context("gateway stopped (gateway.listen in use?)")
}
