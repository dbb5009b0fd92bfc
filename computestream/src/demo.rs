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

use computestream_runtime::now_ms;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use computestream_chain::{Account, Caller};
use computestream_devnet::load::{self, LoadPlan};
use computestream_devnet::{ChainIdentity, DevnetConfig};
use computestream_domain::settlement::naive_transactions;
use computestream_domain::{ed25519_authentication_key, JobStatus, SigningKey, VoucherContext};
use computestream_executor::{
    Buyer, DockerRuntime, Executor, ExecutorConfig, Shared as ExecutorShared,
};
use computestream_indexer::{Indexer, IndexerConfig};
use computestream_projector::{store, Projector, ProjectorConfig};
use computestream_runtime::Secret;
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
    let indexer = Indexer::over_rest(
        IndexerConfig {
            node_url: running.rest_url(),
            poll_interval_ms: 100,
            ..IndexerConfig::default()
        },
        kafka.clone(),
        id.chain_id,
        id.package,
        health.clone(),
    )?;
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
            "latest",
            vec![
                "sh".into(),
                "-c".into(),
                format!("i=0; while [ $i -lt {run_for} ]; do i=$((i+1)); echo \"step $i of {run_for}\"; sleep 1; done; echo \"{run_for} steps done\" > /out/result.txt"),
            ],
        )
        .await
        .context("deriving the demo job image")?;

    // Providers and jobs, through real signed transactions.
    let expiry = now_ms() / 1000 + 24 * 3600;
    let w = load::build_with_image(
        LoadPlan {
            providers: args.providers,
            jobs: args.jobs,
            deposits: 0,
            batch: args.jobs,
        },
        id,
        seed,
        expiry,
        &image,
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

    // The settler redeems the buyers' vouchers; it also serves the x402 facilitator.
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

    // One executor per provider: each runs its jobs in sandboxed containers, meters every
    // second and takes its buyers' vouchers over x402.
    let demo_dir = std::env::temp_dir().join("computestream-demo");
    let mut endpoints = Vec::new();
    let mut executors = Vec::new();
    for p in 0..args.providers {
        let pseed = load::provider_seed(p);
        let key = SigningKey::from_seed(pseed);
        let provider = ed25519_authentication_key(&key.public_key());
        let config = ExecutorConfig {
            node_url: running.rest_url(),
            private_key: Some(Secret::new(hex::encode(pseed))),
            listen: "127.0.0.1:0".parse()?,
            work_dir: demo_dir.join(format!("provider-{p}")),
            artifacts_url: format!("file://{}", demo_dir.join("artifacts").display()),
            ..cfg.executor.clone()
        };
        let caller = Caller::new(
            RestChain::new(&running.rest_url(), id.package, Duration::from_secs(10))?,
            Account::new(pseed, id.chain_id, id.package)?,
            Duration::from_secs(30),
        );
        let exec = Executor {
            runtime: Arc::new(docker.clone()),
            chain: Arc::new(caller),
            kafka: kafka.clone(),
            config,
            key,
            shared: ExecutorShared::new(
                provider,
                VoucherContext {
                    chain_id: id.chain_id,
                    package: id.package,
                },
            ),
            health: health.clone(),
        }
        .start(None, shutdown.child())
        .await
        .context("starting an executor")?;
        println!(
            "  executor {p} (x402):      http://{}/jobs/<id>",
            exec.endpoint
        );
        endpoints.push(format!("http://{}", exec.endpoint));
        executors.push(exec.task);
    }
    println!();

    // Buyers pay each second of their job over x402, until it ends.
    let buyers: Vec<Buyer> = (0..args.jobs)
        .map(|i| {
            Buyer::new(
                SigningKey::from_seed(load::buyer_seed(i)),
                id.chain_id,
                id.package,
            )
        })
        .collect();
    let mut paid_through = vec![computestream_domain::Octas::ZERO; args.jobs];
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut elapsed = 0u64;
    let mut interrupted = false;
    loop {
        tokio::select! {
            _ = shutdown.wait() => { interrupted = true; break }
            _ = tick.tick() => {}
        }
        elapsed += 1;
        let payments = futures::future::join_all(
            (0..args.jobs)
                .map(|i| buyers[i].pay_second(&endpoints[i % args.providers], i as u64 + 1)),
        )
        .await;
        for (i, p) in payments.into_iter().enumerate() {
            match p {
                Ok(p) => paid_through[i] = p.cumulative,
                Err(e) => tracing::debug!(job = i + 1, error = %e, "not paid this second"),
            }
        }
        summary(&pool, elapsed).await;
        let ended = {
            let node = running.devnet.node()?;
            (1..=args.jobs as u64).all(|j| node.state.jobs.get(&j).is_some_and(|j| j.status >= 2))
        };
        if ended || elapsed > run_for + 300 {
            break;
        }
    }
    if interrupted {
        // Ctrl-C: the buyers cancel what still runs (the executors stop those containers,
        // the settler closes the streams and refunds the rest).
        println!("\nstopping: the buyers cancel their running jobs");
        let still: Vec<usize> = {
            let node = running.devnet.node()?;
            (0..args.jobs)
                .filter(|i| {
                    node.state
                        .jobs
                        .get(&(*i as u64 + 1))
                        .is_some_and(|j| j.status < 2)
                })
                .collect()
        };
        let cancels = still
            .iter()
            .map(|&i| {
                load::job_status_call(id, i, args.providers, JobStatus::Cancelled, 1, expiry)
                    .map_err(anyhow::Error::msg)
                    .and_then(|t| Ok(t.to_bcs()?))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        submit_all(&running, cancels).await?;
    }
    // Every job ended: the settler closes each stream with its final voucher.
    for _ in 0..(args.settle_every * 10 + 600) {
        let all_closed = {
            let node = running.devnet.node()?;
            (1..=args.jobs as u64).all(|j| node.state.streams.get(&j).is_some_and(|s| !s.open))
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
    let attested: std::collections::HashMap<i64, i64> =
        sqlx::query_as::<_, (i64, i64)>("SELECT stream_id, attested_seconds FROM payment_streams")
            .fetch_all(&pool)
            .await
            .unwrap_or_default()
            .into_iter()
            .collect();
    let rate = load::PRICE_PER_SECOND;
    let (conserved, exact, jobs_done, outputs) = {
        let node = running.devnet.node()?;
        let conserved = node.state.escrows.values().all(|e| e.is_conserved());
        // Per stream the chain paid exactly the newest voucher within the metered seconds,
        // and the stream is closed.
        let exact = (0..args.jobs).all(|i| {
            let stream = i as u64 + 1;
            let metered = attested.get(&(stream as i64)).copied().unwrap_or(0).max(0) as u64;
            let expected = paid_through[i].get().min(metered * rate);
            node.state
                .streams
                .get(&stream)
                .is_some_and(|s| !s.open && s.paid == expected)
        });
        let jobs_done = (1..=args.jobs as u64)
            .filter(|j| {
                node.state
                    .jobs
                    .get(j)
                    .is_some_and(|j| j.status == JobStatus::Completed as u8)
            })
            .count();
        let outputs: Vec<String> = (1..=args.jobs as u64)
            .filter_map(|j| node.state.jobs.get(&j).and_then(|j| j.output_cid.clone()))
            .collect();
        (conserved, exact, jobs_done, outputs)
    };
    let seconds: i64 = attested.values().sum();
    shutdown.trigger();
    let _ = settler.task.await;
    for e in executors {
        let _ = e.await;
    }
    let _ = indexer_task.await;
    let _ = projector_task.await;
    let _ = running.task.await;
    side.stop().await;
    println!("\nFinal (read back from the chain and the read models):");
    println!(
        "  {jobs_done} of {} jobs completed in their containers; outputs on chain: {}",
        args.jobs,
        outputs
            .first()
            .map(|c| format!("{c} (and {} more)", outputs.len() - 1))
            .unwrap_or_else(|| "none".into())
    );
    println!("  {seconds} metered seconds; escrow deposited {deposited}, paid to providers {paid}, refunded to buyers {refunded} octas");
    println!(
        "  escrow conservation on chain: {}",
        if conserved { "holds" } else { "BROKEN" }
    );
    let naive = naive_transactions(1, seconds.max(0) as u64);
    println!(
        "  on-chain settlement transactions: {onchain_settlements} batches + {} closes, against {naive} in the naive one-payment-per-second design",
        args.jobs
    );
    println!(
        "  per stream, paid on chain = the newest voucher within the metered seconds, stream closed: {}",
        if exact { "yes" } else { "NO" }
    );
    anyhow::ensure!(conserved, "escrow conservation broke");
    anyhow::ensure!(
        exact,
        "a stream was not paid exactly its newest voucher within the metered seconds"
    );
    Ok(())
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
