//! `computestream demo`: the pipeline end to end on the local stack, with a live terminal
//! summary.
//!
//! In one process: the devnet (the chain), the indexer (chain → log), the projector (log →
//! Postgres), and the settler with its x402 facilitator; providers registered and jobs
//! created through real signed transactions; every second each job's provider signs a
//! hash-chained metering record (into the metering topic) and its buyer pays for the second
//! with a cumulative voucher through the facilitator's `/settle` (x402 v2,
//! batch-settlement). The settler redeems the newest vouchers of all streams in few
//! `settle_batch` transactions every `--settle-every` seconds, and closes each stream when
//! its job completes (final payment, rest refunded). The summary is read back from the read
//! models. The executor and gateway replace the simulated parts as they land (issues 6, 8).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use computestream_devnet::load::{self, LoadPlan};
use computestream_devnet::paying::PayingStream;
use computestream_devnet::{ChainIdentity, DevnetConfig};
use computestream_domain::settlement::naive_transactions;
use computestream_domain::{JobStatus, SigningKey};
use computestream_eventlog::EnvelopeProducer;
use computestream_indexer::{Indexer, IndexerConfig, RestSource};
use computestream_projector::{store, Projector, ProjectorConfig};
use computestream_runtime::Secret;
use computestream_schemas::events::MeteringTick;
use computestream_schemas::x402::{FacilitatorRequest, PaymentRequirements, SettleResponse};
use computestream_schemas::Envelope;
use computestream_settler::{RestChain, Settler, SettlerConfig, Shared};
use sqlx::PgPool;

use crate::config::AppConfig;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Providers to register.
    #[arg(long, default_value_t = 3)]
    providers: usize,
    /// Concurrent paying jobs (streams).
    #[arg(long, default_value_t = 6)]
    jobs: usize,
    /// Seconds the jobs run; 0 runs until Ctrl-C.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Seconds between settlement batches.
    #[arg(long, default_value_t = 10)]
    settle_every: u64,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub async fn run(cfg: &AppConfig, args: DemoArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.providers > 0 && args.jobs > 0 && args.settle_every > 0,
        "sizes must be positive"
    );
    let side = crate::side::start(cfg).await?;
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
    sqlx::query("DROP SCHEMA IF EXISTS demo CASCADE")
        .execute(&admin)
        .await?;
    admin.close().await;
    let pool = store::open(url, "demo", 4).await?;
    health.ok("postgres");

    // The chain, the indexer, the projector.
    let devnet_cfg = DevnetConfig {
        block_time_ms: 100,
        ..cfg.devnet.clone()
    };
    let seed = SigningKey::from_hex(&devnet_cfg.root_seed)?.seed();
    let running = computestream_devnet::start(id, devnet_cfg, shutdown.child())
        .await
        .context("starting the devnet (devnet.listen in use?)")?;
    let indexer = Indexer {
        source: RestSource::new(&running.rest_url(), Duration::from_secs(10))?,
        kafka: kafka.clone(),
        chain_id: id.chain_id,
        package: id.package,
        config: IndexerConfig {
            node_url: running.rest_url(),
            poll_interval_ms: 100,
            ..IndexerConfig::default()
        },
        health: health.clone(),
    };
    let indexer_task = tokio::spawn(indexer.run(None, shutdown.child()));
    let projector = Projector {
        pool: pool.clone(),
        kafka: kafka.clone(),
        config: ProjectorConfig {
            schema: "demo".into(),
            linger_ms: 20,
            ..ProjectorConfig::default()
        },
        health: health.clone(),
    };
    let projector_stop = shutdown.child();
    let projector_task = tokio::spawn(async move { projector.run(projector_stop, None).await });

    println!(
        "ComputeStream demo: {} providers, {} jobs at {} octas/s, chain id {}",
        args.providers,
        args.jobs,
        load::PRICE_PER_SECOND,
        id.chain_id
    );
    println!("  node REST API (devnet):  {}", running.rest_url());
    println!("  read models (Postgres):  schema \"demo\" at database.url");
    println!(
        "  log topics:              {}computestream.*",
        kafka.topic_prefix
    );
    println!(
        "  metrics and health:      http://{0}/metrics  http://{0}/healthz",
        side.addr
    );
    println!("  Ctrl-C stops cleanly.\n");

    // Providers and jobs, through real signed transactions.
    let expiry = now_ms() / 1000 + 24 * 3600;
    let w = load::build(
        LoadPlan {
            providers: args.providers,
            jobs: args.jobs,
            deposits: 0,
            batch: args.jobs,
        },
        id,
        seed,
        expiry,
    )
    .map_err(anyhow::Error::msg)?;
    for phase in &w.setup {
        submit_all(
            &running,
            phase
                .iter()
                .map(|t| t.to_bcs())
                .collect::<Result<Vec<_>, _>>()?,
        )
        .await?;
    }
    let mut jobs: Vec<PayingStream> = (0..args.jobs)
        .map(|i| PayingStream::for_job(id, i, args.providers))
        .collect();
    // Providers start their jobs.
    let mut provider_seqs = std::collections::HashMap::<usize, u64>::new();
    let starts = status_changes(
        id,
        args.providers,
        args.jobs,
        JobStatus::Running,
        &mut provider_seqs,
        expiry,
    )?;
    submit_all(&running, starts).await?;

    // The settler redeems the vouchers the buyers pay through its x402 facilitator.
    let settler_cfg = SettlerConfig {
        node_url: running.rest_url(),
        private_key: Some(Secret::new(hex::encode(load::settler_seed()))),
        interval_secs: args.settle_every,
        ..cfg.settler.clone()
    };
    let settler = Settler {
        chain: Arc::new(RestChain::new(
            &running.rest_url(),
            id.package,
            Duration::from_secs(10),
        )?),
        kafka: kafka.clone(),
        config: settler_cfg,
        shared: Shared::new(id.chain_id, id.package, cfg.settler.held_limit),
        health: health.clone(),
    }
    .start(shutdown.child())
    .await
    .context("starting the settler (settler.listen in use?)")?;
    println!(
        "  x402 facilitator:        http://{}/supported",
        settler.facilitator
    );

    let producer = EnvelopeProducer::new(&kafka, "computestream-demo")?;
    let http = reqwest::Client::new();
    let settle_url = format!("http://{}/settle", settler.facilitator);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut elapsed = 0u64;
    let mut refused = 0u64;
    loop {
        tokio::select! {
            _ = shutdown.wait() => break,
            _ = tick.tick() => {}
        }
        if args.seconds > 0 && elapsed >= args.seconds {
            break;
        }
        elapsed += 1;
        for j in &mut jobs {
            // The provider meters the second; the buyer pays for it over x402.
            let (record, voucher) = j.tick(now_ms());
            producer
                .send(&Envelope::metering_tick(MeteringTick { record }))
                .await?;
            let req = PaymentRequirements::for_stream(
                id.chain_id,
                id.package,
                j.stream_id,
                j.rate,
                j.provider_address(),
            );
            let answer: SettleResponse = http
                .post(&settle_url)
                .json(&FacilitatorRequest::voucher(req, &voucher))
                .send()
                .await?
                .json()
                .await?;
            if !answer.success {
                refused += 1;
                tracing::warn!(stream = j.stream_id, reason = ?answer.error_reason, "voucher refused");
            }
        }
        summary(&pool, elapsed).await;
    }

    // Jobs complete; the settler closes every stream with its final voucher.
    let finish = status_changes(
        id,
        args.providers,
        args.jobs,
        JobStatus::Completed,
        &mut provider_seqs,
        expiry,
    )?;
    submit_all(&running, finish).await?;
    for _ in 0..(args.settle_every * 10 + 300) {
        let all_closed = {
            let node = running.devnet.node()?;
            jobs.iter().all(|j| {
                node.state
                    .streams
                    .get(&j.stream_id)
                    .is_some_and(|s| !s.open)
            })
        };
        if all_closed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Let the indexer and projector catch up, then report from the read models.
    let head = running.devnet.node()?.ledger_version();
    for _ in 0..200 {
        if let Ok(Some(cp)) = computestream_indexer::progress::read_last(&kafka).await {
            if cp.next_version > head {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let seconds: u64 = jobs.iter().map(|j| j.second).sum();
    let onchain_settlements: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT version) FROM stream_settlements")
            .fetch_one(&pool)
            .await
            .unwrap_or(0);
    let (paid, refunded, deposited): (String, String, String) = sqlx::query_as(
        "SELECT COALESCE(sum(released),0)::text, COALESCE(sum(refunded),0)::text, COALESCE(sum(deposited),0)::text FROM escrows",
    )
    .fetch_one(&pool)
    .await
    .unwrap_or_default();
    let (conserved, exact) = {
        let node = running.devnet.node()?;
        let conserved = node.state.escrows.values().all(|e| e.is_conserved());
        // Per stream, the chain paid exactly the newest voucher and closed the stream.
        let exact = jobs.iter().all(|j| {
            node.state
                .streams
                .get(&j.stream_id)
                .is_some_and(|s| !s.open && s.paid == j.rate.get() * j.second)
        });
        (conserved, exact)
    };
    shutdown.trigger();
    let _ = settler.task.await;
    let _ = indexer_task.await;
    let _ = projector_task.await;
    let _ = running.task.await;
    side.stop().await;
    println!("\nFinal (read back from the read models):");
    println!("  {} jobs x {} s = {seconds} paid seconds; escrow deposited {deposited}, paid to providers {paid}, refunded to buyers {refunded} octas", args.jobs, elapsed);
    println!(
        "  escrow conservation on chain: {}",
        if conserved { "holds" } else { "BROKEN" }
    );
    let naive = naive_transactions(args.jobs as u64, elapsed);
    println!(
        "  on-chain settlement transactions: {onchain_settlements} batches + {} closes, against {naive} in the naive one-payment-per-second design",
        args.jobs
    );
    println!(
        "  per stream, paid on chain = newest voucher, stream closed: {}{}",
        if exact { "yes" } else { "NO" },
        if refused > 0 {
            format!(" ({refused} vouchers refused by the facilitator)")
        } else {
            String::new()
        }
    );
    anyhow::ensure!(conserved, "escrow conservation broke");
    anyhow::ensure!(exact, "a stream was not paid exactly its newest voucher");
    Ok(())
}

/// Each job's provider moves its job to `status`, as signed transactions (a provider's
/// sequence numbers follow its registration, its first transaction).
fn status_changes(
    id: ChainIdentity,
    providers: usize,
    jobs: usize,
    status: JobStatus,
    seqs: &mut std::collections::HashMap<usize, u64>,
    expiry: u64,
) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for i in 0..jobs {
        let seq = seqs.entry(i % providers).or_insert(1);
        let t = load::job_status_call(id, i, providers, status, *seq, expiry)
            .map_err(anyhow::Error::msg)?;
        *seq += 1;
        out.push(t.to_bcs()?);
    }
    Ok(out)
}

async fn submit_all(
    running: &computestream_devnet::Running,
    txns: Vec<Vec<u8>>,
) -> anyhow::Result<()> {
    running.submit_all(txns).await.map_err(anyhow::Error::msg)
}

async fn summary(pool: &PgPool, elapsed: u64) {
    let row: Result<(i64, i64, String, String, i64), _> = sqlx::query_as(
        "SELECT count(*), COALESCE(sum(attested_seconds),0)::bigint, COALESCE(sum(vouchered),0)::text, COALESCE(sum(settled),0)::text, (SELECT count(DISTINCT version) FROM stream_settlements) FROM payment_streams",
    )
    .fetch_one(pool)
    .await;
    if let Ok((streams, seconds, vouchered, settled, batches)) = row {
        println!("t={elapsed:>4}s  streams={streams}  seconds served={seconds:>6}  accrued (vouchers)={vouchered:>10}  settled on chain={settled:>10} octas  settlement txns={batches}");
    }
}
