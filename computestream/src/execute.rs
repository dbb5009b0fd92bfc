//! `computestream execute` (the provider agent) and `computestream buy` (a buyer paying a
//! job second by second over x402).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use computestream_chain::{parse_seed, Account, Caller, RestChain};
use computestream_domain::{ed25519_authentication_key, SigningKey, VoucherContext};
use computestream_executor::{Buyer, DockerRuntime, Executor, ExecutorState};

use crate::config::AppConfig;

pub async fn run(cfg: &AppConfig, public_url: Option<String>) -> anyhow::Result<()> {
    let side = crate::side::start(cfg).await?;
    let seed = parse_seed(
        cfg.executor
            .private_key
            .as_ref()
            .context("executor.private_key is required (COMPUTESTREAM_EXECUTOR__PRIVATE_KEY)")?
            .expose(),
    )?;
    let key = SigningKey::from_seed(seed);
    let provider = ed25519_authentication_key(&key.public_key());
    let chain = RestChain::new(&cfg.executor.node_url, cfg.package, Duration::from_secs(10))?;
    let caller = Caller::new(
        chain,
        Account::new(seed, cfg.chain_id, cfg.package)?,
        Duration::from_secs(30),
    );
    let runtime = DockerRuntime::connect()
        .await
        .context("the Docker engine (is dockerd running?)")?;
    let executor = Executor {
        runtime: Arc::new(runtime),
        chain: Arc::new(caller),
        kafka: cfg.kafka.clone(),
        config: cfg.executor.clone(),
        key,
        shared: ExecutorState::new(
            provider,
            VoucherContext {
                chain_id: cfg.chain_id,
                package: cfg.package,
            },
        ),
        health: side.health.clone(),
    };
    let running = executor
        .start(public_url, side.shutdown.clone())
        .await
        .context("starting the executor")?;
    tracing::info!(%provider, endpoint = %running.endpoint, side = %side.addr, "executor running");
    let result = running.task.await.context("executor task")?;
    side.stop().await;
    result.context("executor stopped")
}

#[derive(Debug, clap::Args)]
pub struct BuyArgs {
    /// The executor's x402 endpoint, e.g. http://127.0.0.1:8403.
    #[arg(long)]
    executor: String,
    /// The job to pay for.
    #[arg(long)]
    job: u64,
    /// The buyer's ed25519 private key (64 hex digits).
    #[arg(long, env = "COMPUTESTREAM_BUYER_KEY", hide_env_values = true)]
    key: String,
    /// Seconds to pay for; 0 pays until the job ends.
    #[arg(long, default_value_t = 0)]
    seconds: u64,
}

pub async fn buy(cfg: &AppConfig, a: BuyArgs) -> anyhow::Result<()> {
    let key = SigningKey::from_seed(parse_seed(&a.key)?);
    let buyer = Buyer::new(key, cfg.chain_id, cfg.package);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut paid = 0u64;
    loop {
        tick.tick().await;
        if a.seconds > 0 && paid >= a.seconds {
            break;
        }
        match buyer.pay_second(&a.executor, a.job).await {
            Ok(p) => {
                paid += 1;
                let status = p.body["status"].as_str().unwrap_or("?").to_owned();
                println!(
                    "paid {} octas in total; job {} {status}, {} s served",
                    p.cumulative, a.job, p.body["secondsServed"]
                );
                let ended = status
                    .parse::<computestream_domain::JobStatus>()
                    .is_ok_and(computestream_domain::JobStatus::is_terminal);
                if ended {
                    break;
                }
            }
            Err(e) if e.is_retryable() => tracing::warn!(error = %e, "retrying"),
            Err(e) => return Err(e).context("payment refused"),
        }
    }
    Ok(())
}
