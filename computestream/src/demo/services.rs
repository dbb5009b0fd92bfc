//! The demo's services, in one process over the demo's topics and schema: the indexer, the
//! projector, the settler with its x402 facilitator, the gateway, and one executor per
//! provider. Each prints where it serves.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use computestream_chain::{Account, Caller};
use computestream_devnet::{load, ChainIdentity};
use computestream_domain::SigningKey;
use computestream_eventlog::KafkaSettings;
use computestream_executor::{DockerRuntime, Executor, ExecutorConfig};
use computestream_graphql::{Gateway, GatewayConfig};
use computestream_indexer::{Indexer, IndexerConfig};
use computestream_projector::{Projector, ProjectorConfig};
use computestream_runtime::{Health, Secret, Shutdown};
use computestream_settler::{RestChain, Settler, SettlerConfig};
use sqlx::PgPool;

use super::chain::DemoChain;
use crate::config::AppConfig;

/// What the services are started with.
pub struct Wiring<'a> {
    pub cfg: &'a AppConfig,
    pub id: ChainIdentity,
    pub kafka: KafkaSettings,
    pub pool: PgPool,
    pub health: Health,
    pub shutdown: Shutdown,
    pub docker: DockerRuntime,
    pub chain: &'a DemoChain,
    pub node_url: String,
    pub schema: String,
    pub settle_every: u64,
    pub side_addr: std::net::SocketAddr,
}

/// The running services: each executor's x402 base URL and every task to wait for.
pub struct Running {
    pub endpoints: Vec<String>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Waits for every service (after the shutdown was triggered).
    pub async fn stopped(self) {
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

fn detach<T: Send + 'static>(h: tokio::task::JoinHandle<T>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let _ = h.await;
    })
}

/// Starts every service; prints where each serves.
pub async fn start(d: Wiring<'_>) -> anyhow::Result<Running> {
    let (cfg, id, node_url) = (d.cfg, d.id, &d.node_url);
    let mut tasks = Vec::new();

    // The indexer and the projector.
    let indexer = Indexer::over_rest(
        IndexerConfig {
            node_url: node_url.clone(),
            poll_interval_ms: 100,
            start_version: d.chain.start_version,
            ..cfg.indexer.clone()
        },
        d.kafka.clone(),
        id.chain_id,
        id.package,
        d.health.clone(),
    )?;
    tasks.push(detach(tokio::spawn(indexer.run(None, d.shutdown.child()))));
    let projector = Projector {
        pool: d.pool.clone(),
        kafka: d.kafka.clone(),
        config: ProjectorConfig {
            schema: d.schema.clone(),
            linger_ms: 20,
            ..ProjectorConfig::default()
        },
        health: d.health.clone(),
    };
    let projector_stop = d.shutdown.child();
    tasks.push(detach(tokio::spawn(async move {
        projector.run(projector_stop, None).await
    })));

    println!(
        "ComputeStream demo: {} providers, {} jobs at {} octas/s, chain id {}",
        d.chain.keys.providers.len(),
        d.chain.jobs.len(),
        load::PRICE_PER_SECOND,
        d.chain.chain_id()
    );
    println!("  node REST API:           {node_url}");
    println!(
        "  read models (Postgres):  schema \"{}\" at database.url",
        d.schema
    );
    println!(
        "  log topics:              {}computestream.*",
        d.kafka.topic_prefix
    );
    println!(
        "  metrics and health:      http://{0}/metrics  http://{0}/healthz",
        d.side_addr
    );

    // The settler redeems the buyers' vouchers; it also serves the x402 facilitator.
    let settler = Settler::new(
        Arc::new(RestChain::new(
            node_url,
            id.package,
            Duration::from_secs(10),
        )?),
        d.kafka.clone(),
        SettlerConfig {
            node_url: node_url.clone(),
            private_key: Some(Secret::new(hex::encode(d.chain.keys.settler))),
            interval_secs: d.settle_every,
            ..cfg.settler.clone()
        },
        id.voucher_context(),
        d.health.clone(),
    )
    .start(d.shutdown.child())
    .await
    .context("starting the settler (settler.listen in use?)")?;
    println!(
        "  x402 facilitator:        http://{}/supported",
        settler.facilitator
    );
    tasks.push(detach(settler.task));

    // The gateway: the web app, GraphQL, subscriptions, the REST API and the dashboard, over
    // the demo's read models and topics. On the demo's own devnet the web app gets its faucet.
    let mut web = cfg.gateway.web.clone();
    if web.faucet_url.is_none() && d.chain.devnet.is_some() {
        web.faucet_url = Some(node_url.trim_end_matches("/v1").to_owned());
    }
    let web_files = web.files();
    let gateway = Gateway {
        config: GatewayConfig {
            node_url: node_url.clone(),
            web,
            ..cfg.gateway.clone()
        },
        pool: d.pool.clone(),
        kafka: d.kafka.clone(),
        chain_id: id.chain_id,
        package: id.package,
        payment_ahead_secs: cfg.settler.payment_ahead_secs,
        health: d.health.clone(),
    }
    .start(d.shutdown.child())
    .await
    .context("starting the gateway (gateway.listen in use?)")?;
    match web_files {
        Some(dir) => println!(
            "  web app:                 http://{}/  (files: {})",
            gateway.addr,
            dir.display()
        ),
        None => {
            println!("  web app:                 not built (scripts/web.sh build); dashboard at /")
        }
    }
    println!(
        "  dashboard:               http://{}/dashboard",
        gateway.addr
    );
    println!(
        "  GraphQL:                 http://{0}/graphql  (subscriptions ws://{0}/graphql/ws)",
        gateway.addr
    );
    println!(
        "  REST API:                http://{}/api/v1/openapi.json",
        gateway.addr
    );
    tasks.push(detach(gateway.task));

    // One executor per provider: each runs its jobs in sandboxed containers, meters every
    // second and takes its buyers' vouchers over x402.
    let demo_dir = std::env::temp_dir().join("computestream-demo");
    let mut endpoints = Vec::new();
    for (p, pseed) in d.chain.keys.providers.iter().enumerate() {
        let key = SigningKey::from_seed(*pseed);
        let config = ExecutorConfig {
            node_url: node_url.clone(),
            private_key: Some(Secret::new(hex::encode(pseed))),
            listen: "127.0.0.1:0".parse()?,
            work_dir: demo_dir.join(format!("provider-{p}")),
            artifacts_url: format!("file://{}", demo_dir.join("artifacts").display()),
            ..cfg.executor.clone()
        };
        let caller = Caller::new(
            RestChain::new(node_url, id.package, Duration::from_secs(10))?,
            Account::new(*pseed, id.chain_id, id.package)?,
            Duration::from_secs(30),
        );
        let exec = Executor::new(
            Arc::new(d.docker.clone()),
            Arc::new(caller),
            d.kafka.clone(),
            config,
            key,
            id.voucher_context(),
            d.health.clone(),
        )
        .start(None, d.shutdown.child())
        .await
        .context("starting an executor")?;
        println!(
            "  executor {p} (x402):      http://{}/jobs/<id>",
            exec.endpoint
        );
        endpoints.push(format!("http://{}", exec.endpoint));
        tasks.push(detach(exec.task));
    }
    println!("  Ctrl-C stops cleanly.\n");
    Ok(Running { endpoints, tasks })
}
