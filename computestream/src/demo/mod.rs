//! `computestream demo`: the pipeline end to end on the local stack, with a live terminal
//! summary.
//!
//! In one process ([`services`]): the devnet (the chain, [`chain`]; or any node by URL), the
//! indexer (chain → log), the projector (log → Postgres), the settler with its x402
//! facilitator, the gateway, and one executor per provider. Providers register and jobs are
//! created through real signed transactions; each executor runs its jobs in sandboxed
//! containers and signs a hash-chained metering record every second; each buyer
//! ([`buyers`]) pays every second over x402 at its provider's executor (`GET /jobs/{id}` with
//! a cumulative voucher in `PAYMENT-SIGNATURE`). The settler redeems the newest vouchers of
//! all streams in few `settle_batch` transactions every `--settle-every` seconds and closes
//! each stream when its job ends (final payment, rest refunded). The summary and the final
//! checks ([`report`]) are read back from the chain and the read models.

mod buyers;
pub mod chain;
mod report;
mod services;

use std::time::Duration;

use anyhow::Context;
use computestream_devnet::load;
use computestream_devnet::ChainIdentity;
use computestream_domain::{ed25519_authentication_key, SigningKey};
use computestream_executor::{ContainerRuntime, DockerRuntime};
use computestream_projector::store;
use computestream_runtime::now_ms;

use crate::config::AppConfig;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Providers to register (local devnet; with --keys, one per provider key).
    #[arg(long, default_value_t = 3)]
    providers: usize,
    /// Concurrent paying jobs (local devnet; with --keys, one per buyer key).
    #[arg(long, default_value_t = 6)]
    jobs: usize,
    /// Seconds the jobs run; 0 runs until Ctrl-C.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Seconds between settlement batches.
    #[arg(long, default_value_t = 10)]
    settle_every: u64,
    /// Run against this node instead of a local devnet, e.g. Bardock testnet
    /// `https://testnet.movementnetwork.xyz/v1` with `chain_id = 250` and the package's
    /// address in the configuration. Needs --keys.
    #[arg(long, requires = "keys")]
    node_url: Option<String>,
    /// Postgres schema of the demo's read models (dropped and rebuilt at start).
    #[arg(long, default_value = "demo")]
    schema: String,
    /// JSON file of funded ed25519 keys: `{"settler": "..", "providers": [..], "buyers": [..]}`.
    #[arg(long, requires = "node_url")]
    keys: Option<std::path::PathBuf>,
    /// Where the services' logs go (the terminal shows the live summary); default
    /// `computestream-demo.log` in the system's temporary directory.
    #[arg(long)]
    log_file: Option<std::path::PathBuf>,
}

impl DemoArgs {
    /// The log file of this run.
    pub fn log_file(&self) -> std::path::PathBuf {
        self.log_file
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join("computestream-demo.log"))
    }
}

pub async fn run(cfg: &AppConfig, args: DemoArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.providers > 0 && args.jobs > 0 && args.settle_every > 0,
        "sizes must be positive"
    );
    let keys_file = args
        .keys
        .as_deref()
        .map(chain::Keys::from_file)
        .transpose()?;
    // Ctrl-C is the demo's: the first winds the jobs down, a second stops at once.
    let side = crate::side::start_with(cfg, false).await?;
    let (shutdown, health) = (side.shutdown.clone(), side.health.clone());
    let id = ChainIdentity {
        chain_id: cfg.chain_id,
        package: cfg.package,
    };
    let stamp = now_ms() / 1000;
    let kafka = if cfg.kafka.topic_prefix.is_empty() {
        cfg.kafka.clone().with_topic_prefix(format!("demo{stamp}."))
    } else {
        cfg.kafka.clone()
    };

    // The read models, fresh for this run.
    let url = cfg.database.url.expose();
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .context("Postgres (database.url); is the stack up? scripts/stack.sh up")?;
    anyhow::ensure!(
        !args.schema.is_empty()
            && args
                .schema
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
        "--schema takes lowercase letters, digits and underscores"
    );
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {} CASCADE", args.schema))
        .execute(&admin)
        .await?;
    admin.close().await;
    let pool = store::open(url, &args.schema, 4).await?;
    health.ok("postgres");

    // The jobs' image: it works for `--seconds` seconds, printing its progress, then writes
    // its result (derived locally from the stack's busybox image; nothing is pulled).
    let docker = DockerRuntime::connect()
        .await
        .context("the Docker engine; is the stack up? scripts/stack.sh up")?;
    let run_for = if args.seconds == 0 {
        86_400
    } else {
        args.seconds
    };
    let base = std::env::var("CS_TEST_IMAGE").unwrap_or_else(|_| load::DEFAULT_IMAGE.into());
    let image = docker
        .derive_image(
            &base,
            "computestream/demo-job",
            &format!("{run_for}s"),
            vec![
                "sh".into(),
                "-c".into(),
                format!("i=0; while [ $i -lt {run_for} ]; do i=$((i+1)); echo \"step $i of {run_for}\"; sleep 1; done; echo \"{run_for} steps done\" > /out/result.txt"),
            ],
        )
        .await
        .context("deriving the demo job image")?;

    // The chain: a local devnet, or the given node; providers and jobs through real signed
    // transactions.
    let chain = match (&args.node_url, keys_file) {
        (Some(node_url), Some(keys)) => {
            chain::external(id, node_url, keys, &image, run_for + 600).await?
        }
        _ => {
            chain::local(
                id,
                &cfg.devnet,
                args.providers,
                args.jobs,
                &image,
                run_for,
                shutdown.child(),
            )
            .await?
        }
    };
    if chain.devnet.is_some() {
        // A fresh devnet numbers its jobs from 1 again: an earlier run's job containers of
        // these providers are not this run's, and an executor must not adopt them.
        for seed in &chain.keys.providers {
            let provider = ed25519_authentication_key(&SigningKey::from_seed(*seed).public_key());
            for c in docker.list(&provider.to_long_string()).await? {
                docker.remove(&c.id).await?;
            }
        }
    }
    let node_url = chain.node_url.clone();
    let running = services::start(services::Wiring {
        cfg,
        id,
        kafka: kafka.clone(),
        pool: pool.clone(),
        health: health.clone(),
        shutdown: shutdown.clone(),
        docker,
        chain: &chain,
        node_url,
        schema: args.schema.clone(),
        settle_every: args.settle_every,
        side_addr: side.addr,
    })
    .await?;

    // Buyers pay each second of their job over x402, until it ends.
    let paid = buyers::pay_until_done(&chain, &running.endpoints, &pool, run_for + 300).await;
    if paid.interrupted {
        // Ctrl-C: the buyers cancel what still runs; the executors stop those containers and
        // the settler closes the streams and refunds the rest before everything stops.
        println!("\nstopping: the buyers cancel their running jobs (Ctrl-C again exits at once)");
        let hard_stop = shutdown.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            hard_stop.trigger();
            std::process::exit(130);
        });
        let n = chain.cancel_running().await?;
        println!("  {n} jobs cancelled");
    }
    // Every job ended: the settler closes each stream with its final voucher, once it has
    // read the job's last vouchers (on a busy machine the log can be minutes behind).
    let closes_by =
        std::time::Instant::now() + Duration::from_secs(args.settle_every.saturating_add(300));
    while !chain.all_closed().await && std::time::Instant::now() < closes_by {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let findings =
        report::check(&chain, &kafka, &pool, &paid, cfg.settler.payment_ahead_secs).await?;
    shutdown.trigger();
    running.stopped().await;
    if let Some(d) = chain.devnet {
        let _ = d.task.await;
    }
    side.stop().await;
    findings.print()
}
