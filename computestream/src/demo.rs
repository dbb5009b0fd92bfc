//! `computestream demo`: the pipeline end to end on the local stack, with a live terminal
//! summary.
//!
//! In one process: the devnet (the chain), the indexer (chain → log), the projector (log →
//! Postgres), providers registered and jobs created through real signed transactions; every
//! second each job's provider signs a hash-chained metering record and its buyer a
//! cumulative x402 voucher, both into the metering topic; every `--settle-every` seconds the
//! newest vouchers of all jobs are redeemed in ONE `payment_stream::settle_batch`
//! transaction; at the end each job completes and its stream closes with the final voucher
//! (refunding the rest). The summary is read back from the read models. The executor,
//! settler and gateway services replace the simulated parts as they land (issues 6, 7, 8).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use aptos_sdk::aptos_bcs::to_bytes;
use computestream_devnet::load::{self, LoadPlan};
use computestream_devnet::{ChainIdentity, DevnetConfig, SubmitError};
use computestream_domain::settlement::naive_transactions;
use computestream_domain::{
    ed25519_authentication_key, MeteringRecord, Octas, RecordHash, SigningKey, Voucher,
    METERING_GENESIS_HASH,
};
use computestream_eventlog::EnvelopeProducer;
use computestream_indexer::{Indexer, IndexerConfig, RestSource};
use computestream_projector::{store, Projector, ProjectorConfig};
use computestream_schemas::events::{MeteringTick, VoucherReceived};
use computestream_schemas::Envelope;
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

/// The load generator's price per second (octas).
const PRICE: u64 = 1_000;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

struct Job {
    stream_id: u64,
    provider: SigningKey,
    buyer: SigningKey,
    provider_seed: [u8; 32],
    prev: RecordHash,
    second: u64,
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
        "ComputeStream demo: {} providers, {} jobs at {PRICE} octas/s, chain id {}",
        args.providers, args.jobs, id.chain_id
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
    let mut jobs: Vec<Job> = (0..args.jobs)
        .map(|i| Job {
            stream_id: i as u64 + 1,
            provider: SigningKey::from_seed(load::provider_seed(i % args.providers)),
            buyer: SigningKey::from_seed(load::buyer_seed(i)),
            provider_seed: load::provider_seed(i % args.providers),
            prev: METERING_GENESIS_HASH,
            second: 0,
        })
        .collect();
    // Providers start their jobs (each provider's sequence numbers follow its
    // registration, which was its first transaction).
    let mut provider_seqs = std::collections::HashMap::<[u8; 32], u64>::new();
    let starts = status_changes(id, &jobs, 1, &mut provider_seqs, expiry)?;
    submit_all(&running, starts).await?;

    let producer = EnvelopeProducer::new(&kafka, "computestream-demo")?;
    let settler_seed = load::settler_seed();
    let mut settler_seq = 0u64;
    let mut settlements = 0u64;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut elapsed = 0u64;
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
            j.second += 1;
            let r = MeteringRecord {
                chain_id: id.chain_id,
                package: id.package,
                stream_id: j.stream_id,
                provider: ed25519_authentication_key(&j.provider.public_key()),
                second: j.second,
                prev_hash: j.prev,
                observed_at_ms: now_ms(),
                cpu_usage_micros: 900_000,
                memory_bytes: 256 << 20,
                gpu: None,
            };
            j.prev = r.hash();
            producer
                .send(&Envelope::metering_tick(MeteringTick {
                    record: r.sign(&j.provider),
                }))
                .await?;
            let v = Voucher {
                chain_id: id.chain_id,
                package: id.package,
                stream_id: j.stream_id,
                cumulative_amount: Octas(j.second * PRICE),
            }
            .sign(&j.buyer);
            let provider = ed25519_authentication_key(&j.provider.public_key());
            producer
                .send(&Envelope::voucher(
                    provider,
                    now_ms(),
                    VoucherReceived {
                        voucher: v,
                        second: j.second,
                        commitment_id: format!("{}:{}", j.stream_id, j.second),
                    },
                ))
                .await?;
        }
        if elapsed.is_multiple_of(args.settle_every) {
            settle(&running, id, &jobs, settler_seed, &mut settler_seq, expiry).await?;
            settlements += 1;
        }
        summary(&pool, elapsed, settlements).await;
    }

    // Jobs complete; the settler closes every stream with its final voucher.
    let finish = status_changes(id, &jobs, 2, &mut provider_seqs, expiry)?;
    submit_all(&running, finish).await?;
    let mut closes = Vec::new();
    for j in &jobs {
        let sig = Voucher {
            chain_id: id.chain_id,
            package: id.package,
            stream_id: j.stream_id,
            cumulative_amount: Octas(j.second * PRICE),
        }
        .sign(&j.buyer)
        .signature
        .0
        .to_vec();
        closes.push(
            load::sign_call(
                id,
                settler_seed,
                settler_seq,
                "payment_stream",
                "close_stream",
                vec![
                    to_bytes(&j.stream_id)?,
                    to_bytes(&(j.second * PRICE))?,
                    to_bytes(&sig)?,
                ],
                expiry,
            )
            .map_err(anyhow::Error::msg)?
            .to_bcs()?,
        );
        settler_seq += 1;
    }
    submit_all(&running, closes).await?;

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
    let conserved = running
        .devnet
        .node()?
        .state
        .escrows
        .values()
        .all(|e| e.is_conserved());
    shutdown.trigger();
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
    anyhow::ensure!(conserved, "escrow conservation broke");
    Ok(())
}

/// Each job's provider moves its job to `status`, as signed transactions.
fn status_changes(
    id: ChainIdentity,
    jobs: &[Job],
    status: u8,
    seqs: &mut std::collections::HashMap<[u8; 32], u64>,
    expiry: u64,
) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for j in jobs {
        let seq = seqs.entry(j.provider_seed).or_insert(1);
        let args = vec![to_bytes(&j.stream_id)?, to_bytes(&status)?];
        let t = load::sign_call(
            id,
            j.provider_seed,
            *seq,
            "job_registry",
            "update_job_status",
            args,
            expiry,
        )
        .map_err(anyhow::Error::msg)?;
        *seq += 1;
        out.push(t.to_bcs()?);
    }
    Ok(out)
}

/// Submits transactions to the devnet (waiting when a sender is too far ahead) and waits
/// until they are committed.
async fn submit_all(
    running: &computestream_devnet::Running,
    txns: Vec<Vec<u8>>,
) -> anyhow::Result<()> {
    let target = running.devnet.node()?.committed_counts().0 + txns.len() as u64;
    for b in &txns {
        loop {
            match running.devnet.submit(b) {
                Ok(_) => break,
                Err(SubmitError::Rejected(r)) if r.body.vm_error_code == Some(4) => {
                    tokio::time::sleep(Duration::from_millis(20)).await
                }
                Err(e) => anyhow::bail!("transaction refused: {e:?}"),
            }
        }
    }
    while running.devnet.node()?.committed_counts().0 < target {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// One `settle_batch` with the newest voucher of every job.
async fn settle(
    running: &computestream_devnet::Running,
    id: ChainIdentity,
    jobs: &[Job],
    settler: [u8; 32],
    seq: &mut u64,
    expiry: u64,
) -> anyhow::Result<()> {
    let streams: Vec<u64> = jobs.iter().map(|j| j.stream_id).collect();
    let amounts: Vec<u64> = jobs.iter().map(|j| j.second * PRICE).collect();
    let sigs: Vec<Vec<u8>> = jobs
        .iter()
        .map(|j| {
            Voucher {
                chain_id: id.chain_id,
                package: id.package,
                stream_id: j.stream_id,
                cumulative_amount: Octas(j.second * PRICE),
            }
            .sign(&j.buyer)
            .signature
            .0
            .to_vec()
        })
        .collect();
    let t = load::sign_call(
        id,
        settler,
        *seq,
        "payment_stream",
        "settle_batch",
        vec![to_bytes(&streams)?, to_bytes(&amounts)?, to_bytes(&sigs)?],
        expiry,
    )
    .map_err(anyhow::Error::msg)?;
    *seq += 1;
    submit_all(running, vec![t.to_bcs()?]).await
}

async fn summary(pool: &PgPool, elapsed: u64, settlements: u64) {
    let row: Result<(i64, i64, String, String), _> = sqlx::query_as(
        "SELECT count(*), COALESCE(sum(attested_seconds),0)::bigint, COALESCE(sum(vouchered),0)::text, COALESCE(sum(settled),0)::text FROM payment_streams",
    )
    .fetch_one(pool)
    .await;
    if let Ok((streams, seconds, vouchered, settled)) = row {
        println!("t={elapsed:>4}s  streams={streams}  seconds served={seconds:>6}  accrued (vouchers)={vouchered:>10}  settled on chain={settled:>10} octas  batches={settlements}");
    }
}
