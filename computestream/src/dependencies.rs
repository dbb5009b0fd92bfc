//! The readiness of what each service depends on: the broker, PostgreSQL and the node are
//! probed every second ([`computestream_runtime::dependency::watch`]); `/healthz` answers
//! 503 while one is down, and each outage is logged when it starts and when it ends.
//!
//! | service  | broker | postgres | node |
//! |----------|--------|----------|------|
//! | index    | yes    |          | yes  |
//! | project  | yes    | yes      |      |
//! | settle   | yes    |          | yes  |
//! | serve    | yes    | yes      |      |
//! | execute  | yes    |          | yes  |

use std::time::Duration;

use anyhow::Context;
use computestream_eventlog::{BrokerProbe, KafkaSettings};
use computestream_runtime::dependency::{watch, PROBE_TIMEOUT};

use crate::side::Side;

/// Probes the broker on a client of its own.
pub fn watch_broker(side: &Side, kafka: &KafkaSettings) -> anyhow::Result<()> {
    let probe = BrokerProbe::new(kafka).context("the broker probe (kafka.brokers)")?;
    watch(
        "broker",
        move || {
            let probe = probe.clone();
            async move {
                probe
                    .check(PROBE_TIMEOUT.saturating_sub(Duration::from_millis(500)))
                    .await
                    .map_err(|e| e.to_string())
            }
        },
        side.health.clone(),
        side.shutdown.clone(),
    );
    Ok(())
}

/// Probes PostgreSQL with `SELECT 1` on a one-connection pool of its own, so a busy service
/// pool does not read as an outage.
pub fn watch_postgres(side: &Side, url: &str) -> anyhow::Result<()> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(PROBE_TIMEOUT)
        .connect_lazy(url)
        .context("the PostgreSQL probe (database.url)")?;
    watch(
        "postgres",
        move || {
            let pool = pool.clone();
            async move {
                sqlx::query("SELECT 1")
                    .execute(&pool)
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string())
            }
        },
        side.health.clone(),
        side.shutdown.clone(),
    );
    Ok(())
}

/// Probes the node's `GET /-/healthy` (Aptos node API) under `node_url` (`…/v1`).
pub fn watch_node(side: &Side, node_url: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(PROBE_TIMEOUT)
        .build()
        .context("the node probe's HTTP client")?;
    let url = format!("{}/-/healthy", node_url.trim_end_matches('/'));
    watch(
        "node",
        move || {
            let (client, url) = (client.clone(), url.clone());
            async move {
                let answer = client.get(&url).send().await.map_err(|e| e.to_string())?;
                if answer.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("GET {url} answered {}", answer.status()))
                }
            }
        },
        side.health.clone(),
        side.shutdown.clone(),
    );
    Ok(())
}
