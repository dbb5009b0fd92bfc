//! `computestream execute` (the provider agent) and `computestream buy` (a buyer paying a
//! job second by second over x402).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use computestream_chain::{parse_seed, Account, Caller, RestChain};
use computestream_domain::{ed25519_authentication_key, SigningKey, VoucherContext};
use computestream_executor::{Buyer, DockerRuntime, Executor, ExecutorError, Payment};
use computestream_runtime::ride_out::ride_out;

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
    let caller = Arc::new(Caller::new(
        chain,
        Account::new(seed, cfg.chain_id, cfg.package)?,
        Duration::from_secs(30),
    ));
    let runtime = Arc::new(
        DockerRuntime::connect()
            .await
            .context("the Docker engine (is dockerd running?)")?,
    );
    crate::dependencies::watch_broker(&side, &cfg.kafka)?;
    crate::dependencies::watch_node(&side, &cfg.executor.node_url)?;
    // An attempt re-reads the log and re-adopts the provider's running containers, as after
    // a restart.
    let result = ride_out(
        "executor",
        &side.shutdown,
        ExecutorError::is_retryable,
        |attempt| {
            let executor = Executor::new(
                runtime.clone(),
                caller.clone(),
                cfg.kafka.clone(),
                cfg.executor.clone(),
                key.clone(),
                VoucherContext {
                    chain_id: cfg.chain_id,
                    package: cfg.package,
                },
                side.health.clone(),
            );
            let (public_url, addr) = (public_url.clone(), side.addr);
            async move {
                let running = executor.start(public_url, attempt).await?;
                tracing::info!(%provider, endpoint = %running.endpoint, side = %addr, "executor running");
                running
                    .task
                    .await
                    .map_err(|e| ExecutorError::Config(format!("executor task: {e}")))?
            }
        },
    )
    .await;
    side.stop().await;
    result.context("executor stopped")
}

#[derive(Debug, clap::Args)]
pub struct BuyArgs {
    /// The executor's x402 endpoint, e.g. http://127.0.0.1:8403; default: the job's
    /// provider's endpoint as the gateway knows it (`buyer.gateway_url`, `Provider.endpoint`,
    /// announced in the executor's heartbeats).
    #[arg(long)]
    executor: Option<String>,
    /// The job to pay for.
    #[arg(long)]
    job: u64,
    /// The buyer's ed25519 voucher key (64 hex digits): the key named in `create_job`.
    /// Better from the configuration (`[buyer] key`, `COMPUTESTREAM_BUYER__KEY`): a command
    /// line is visible to every user of the machine.
    #[arg(long)]
    key: Option<String>,
    /// Stop paying once the executor reports this many seconds paid; 0 pays until the job
    /// ends.
    #[arg(long, default_value_t = 0)]
    seconds: u64,
    /// Seconds to pay ahead of what was served (the executor caps it); default
    /// `buyer.lead_secs`.
    #[arg(long)]
    lead: Option<u64>,
}

/// The x402 endpoint of job `job`'s provider, asked of the gateway at `graphql_url`.
async fn provider_endpoint(graphql_url: &str, job: u64) -> anyhow::Result<String> {
    let query = serde_json::json!({
        "query": "query($id: ID!) { job(id: $id) { provider { address endpoint } } }",
        "variables": { "id": job.to_string() },
    });
    let body: serde_json::Value = reqwest::Client::new()
        .post(graphql_url)
        .json(&query)
        .send()
        .await
        .with_context(|| format!("asking the gateway at {graphql_url} for job {job}'s provider"))?
        .json()
        .await
        .context("the gateway's answer is not JSON")?;
    let provider = &body["data"]["job"]["provider"];
    anyhow::ensure!(
        !provider.is_null(),
        "the gateway does not know job {job} or its provider (yet): {}",
        body["errors"]
    );
    match provider["endpoint"].as_str() {
        Some(e) if e.starts_with("http://") || e.starts_with("https://") => Ok(e.to_owned()),
        _ => anyhow::bail!(
            "provider {} has announced no x402 endpoint (its executor is not running?); pass --executor",
            provider["address"]
        ),
    }
}

/// Pays the job every second for what was served plus the lead (one voucher catches up
/// after a stall), until it ends or `--seconds` are paid.
pub async fn buy(cfg: &AppConfig, a: BuyArgs) -> anyhow::Result<()> {
    let seed = match (&a.key, &cfg.buyer.key) {
        (Some(k), _) => parse_seed(k)?,
        (None, Some(k)) => parse_seed(k.expose())?,
        (None, None) => {
            anyhow::bail!("no buyer key: set buyer.key (COMPUTESTREAM_BUYER__KEY) or --key")
        }
    };
    let executor = match &a.executor {
        Some(e) => e.clone(),
        None => provider_endpoint(&cfg.buyer.gateway_url, a.job).await?,
    };
    println!("paying job {} at {executor}", a.job);
    let buyer = Buyer::new(SigningKey::from_seed(seed), cfg.chain_id, cfg.package)
        .with_lead(a.lead.unwrap_or(cfg.buyer.lead_secs));
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match buyer.pay_due(&executor, a.job).await {
            Ok(Payment::NothingDue) => {}
            Ok(Payment::Paid(p)) => {
                let status = p.body["status"].as_str().unwrap_or("?").to_owned();
                let paid_seconds = p.body["paidSeconds"].as_u64().unwrap_or(0);
                println!(
                    "paid {} octas in total ({paid_seconds} s); job {} {status}, {} s served",
                    p.cumulative, a.job, p.body["secondsServed"]
                );
                if a.seconds > 0 && paid_seconds >= a.seconds {
                    break;
                }
            }
            Ok(Payment::Ended(body)) => {
                println!(
                    "job {} ended: {} after {} s served",
                    a.job, body["status"], body["secondsServed"]
                );
                break;
            }
            Err(e) if e.is_retryable() => tracing::warn!(error = %e, "retrying"),
            Err(e) => return Err(e).context("payment refused"),
        }
    }
    Ok(())
}
