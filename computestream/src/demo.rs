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
//! models; the gateway serves them (GraphQL, subscriptions, REST, the dashboard) while the
//! demo runs.

use computestream_runtime::now_ms;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use computestream_chain::{Account, Caller};
use computestream_devnet::load;
use computestream_devnet::ChainIdentity;
use computestream_domain::settlement::naive_transactions;
use computestream_domain::{ed25519_authentication_key, JobStatus, SigningKey, VoucherContext};
use computestream_executor::{Buyer, DockerRuntime, Executor, ExecutorConfig, ExecutorState};
use computestream_graphql::{Gateway, GatewayConfig};
use computestream_indexer::{Indexer, IndexerConfig};
use computestream_projector::{store, Projector, ProjectorConfig};
use computestream_runtime::Secret;
use computestream_settler::{RestChain, Settler, SettlerConfig};
use sqlx::PgPool;

use crate::config::AppConfig;
use crate::demo_chain;

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
}

pub async fn run(cfg: &AppConfig, args: DemoArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.providers > 0 && args.jobs > 0 && args.settle_every > 0,
        "sizes must be positive"
    );
    let keys_file = args
        .keys
        .as_deref()
        .map(demo_chain::Keys::from_file)
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
            demo_chain::external(id, node_url, keys, &image, run_for + 600).await?
        }
        _ => {
            demo_chain::local(
                id,
                &cfg.devnet,
                args.providers,
                args.jobs,
                &image,
                shutdown.child(),
            )
            .await?
        }
    };
    let node_url = chain.node_url.clone();
    let (providers, jobs) = (chain.keys.providers.len(), chain.jobs.len());

    // The indexer and the projector.
    let indexer = Indexer::over_rest(
        IndexerConfig {
            node_url: node_url.clone(),
            poll_interval_ms: 100,
            start_version: chain.start_version,
            ..cfg.indexer.clone()
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
            schema: args.schema.clone(),
            linger_ms: 20,
            ..ProjectorConfig::default()
        },
        health: health.clone(),
    };
    let projector_stop = shutdown.child();
    let projector_task = tokio::spawn(async move { projector.run(projector_stop, None).await });

    println!(
        "ComputeStream demo: {providers} providers, {jobs} jobs at {} octas/s, chain id {}",
        load::PRICE_PER_SECOND,
        chain.chain_id()
    );
    println!("  node REST API:           {node_url}");
    println!(
        "  read models (Postgres):  schema \"{}\" at database.url",
        args.schema
    );
    println!(
        "  log topics:              {}computestream.*",
        kafka.topic_prefix
    );
    println!(
        "  metrics and health:      http://{0}/metrics  http://{0}/healthz",
        side.addr
    );

    // The settler redeems the buyers' vouchers; it also serves the x402 facilitator.
    let settler = Settler::new(
        Arc::new(RestChain::new(
            &node_url,
            id.package,
            Duration::from_secs(10),
        )?),
        kafka.clone(),
        SettlerConfig {
            node_url: node_url.clone(),
            private_key: Some(Secret::new(hex::encode(chain.keys.settler))),
            interval_secs: args.settle_every,
            ..cfg.settler.clone()
        },
        id.voucher_context(),
        health.clone(),
    )
    .start(shutdown.child())
    .await
    .context("starting the settler (settler.listen in use?)")?;
    println!(
        "  x402 facilitator:        http://{}/supported",
        settler.facilitator
    );

    // The gateway: GraphQL, subscriptions, the REST API and the dashboard, over the demo's
    // read models and topics.
    let gateway = Gateway {
        config: GatewayConfig {
            node_url: node_url.clone(),
            ..cfg.gateway.clone()
        },
        pool: pool.clone(),
        kafka: kafka.clone(),
        chain_id: id.chain_id,
        package: id.package,
        health: health.clone(),
    }
    .start(shutdown.child())
    .await
    .context("starting the gateway (gateway.listen in use?)")?;
    println!("  dashboard:               http://{}/", gateway.addr);
    println!(
        "  GraphQL:                 http://{0}/graphql  (subscriptions ws://{0}/graphql/ws)",
        gateway.addr
    );
    println!(
        "  REST API:                http://{}/api/v1/openapi.json",
        gateway.addr
    );

    // One executor per provider: each runs its jobs in sandboxed containers, meters every
    // second and takes its buyers' vouchers over x402.
    let demo_dir = std::env::temp_dir().join("computestream-demo");
    let mut endpoints = Vec::new();
    let mut executors = Vec::new();
    for (p, pseed) in chain.keys.providers.iter().enumerate() {
        let key = SigningKey::from_seed(*pseed);
        let provider = ed25519_authentication_key(&key.public_key());
        let config = ExecutorConfig {
            node_url: node_url.clone(),
            private_key: Some(Secret::new(hex::encode(pseed))),
            listen: "127.0.0.1:0".parse()?,
            work_dir: demo_dir.join(format!("provider-{p}")),
            artifacts_url: format!("file://{}", demo_dir.join("artifacts").display()),
            ..cfg.executor.clone()
        };
        let caller = Caller::new(
            RestChain::new(&node_url, id.package, Duration::from_secs(10))?,
            Account::new(*pseed, id.chain_id, id.package)?,
            Duration::from_secs(30),
        );
        let exec = Executor {
            runtime: Arc::new(docker.clone()),
            chain: Arc::new(caller),
            kafka: kafka.clone(),
            config,
            key,
            shared: ExecutorState::new(
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
    println!("  Ctrl-C stops cleanly.\n");

    // Buyers pay each second of their job over x402, until it ends.
    let buyers: Vec<Buyer> = chain
        .keys
        .buyers
        .iter()
        .map(|seed| Buyer::new(SigningKey::from_seed(*seed), id.chain_id, id.package))
        .collect();
    let mut paid_through = vec![computestream_domain::Octas::ZERO; jobs];
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut elapsed = 0u64;
    let mut interrupted = false;
    // One listener for the whole loop: a SIGINT while the buyers pay is not lost.
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => { interrupted = true; break }
            _ = tick.tick() => {}
        }
        elapsed += 1;
        let payments = futures::future::join_all(
            chain
                .jobs
                .iter()
                .map(|j| buyers[j.buyer].pay_second(&endpoints[j.provider], j.job_id)),
        )
        .await;
        for (i, p) in payments.into_iter().enumerate() {
            match p {
                Ok(p) => paid_through[i] = p.cumulative,
                Err(e) => {
                    tracing::debug!(job = chain.jobs[i].job_id, error = %e, "not paid this second")
                }
            }
        }
        summary(&pool, elapsed).await;
        if chain.all_ended().await || elapsed > run_for + 300 {
            break;
        }
    }
    if interrupted {
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
    // Every job ended: the settler closes each stream with its final voucher.
    for _ in 0..(args.settle_every * 10 + 600) {
        if chain.all_closed().await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Let the indexer and projector catch up, then report from the chain and the read models.
    let head = chain.rest.ledger().await?.version;
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
    let attested: std::collections::HashMap<i64, i64> =
        sqlx::query_as::<_, (i64, i64)>("SELECT stream_id, attested_seconds FROM payment_streams")
            .fetch_all(&pool)
            .await
            .unwrap_or_default()
            .into_iter()
            .collect();
    let outputs: Vec<String> = sqlx::query_scalar(
        "SELECT output_cid FROM jobs WHERE output_cid IS NOT NULL ORDER BY job_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap_or_default();
    let rate = load::PRICE_PER_SECOND;
    let (mut conserved, mut exact, mut jobs_done) = (true, true, 0);
    let (mut deposited, mut paid, mut refunded) = (0u64, 0u64, 0u64);
    for (i, j) in chain.jobs.iter().enumerate() {
        let [d, released, r, locked] = chain.escrow(j.job_id).await?;
        conserved &= u128::from(d) == u128::from(released) + u128::from(r) + u128::from(locked);
        deposited += d;
        paid += released;
        refunded += r;
        // Per stream the chain paid exactly the newest voucher within the metered seconds,
        // and the stream is closed.
        let metered = attested
            .get(&(j.job_id as i64))
            .copied()
            .unwrap_or(0)
            .max(0) as u64;
        let expected = paid_through[i].get().min(metered * rate);
        let (stream_paid, open) = chain.stream(j.job_id).await?;
        let status = chain.job_status(j.job_id).await?;
        let stream_exact = !open
            && if status == JobStatus::Cancelled as u8 {
                // A cancelled stream closes when the cancellation is read; the seconds the
                // provider metered until it saw the cancellation too are not billed.
                stream_paid <= expected
            } else {
                stream_paid == expected
            };
        if !stream_exact {
            println!(
                "  stream {}: paid {stream_paid}, open {open}, status {status}; newest voucher {}, metered {metered} s",
                j.job_id, paid_through[i]
            );
        }
        exact &= stream_exact;
        if status == JobStatus::Completed as u8 {
            jobs_done += 1;
        }
    }
    let seconds: i64 = attested.values().sum();
    shutdown.trigger();
    let _ = settler.task.await;
    for e in executors {
        let _ = e.await;
    }
    let _ = indexer_task.await;
    let _ = projector_task.await;
    let _ = gateway.task.await;
    if let Some(d) = chain.devnet {
        let _ = d.task.await;
    }
    side.stop().await;
    println!("\nFinal (read back from the chain and the read models):");
    println!(
        "  {jobs_done} of {jobs} jobs completed in their containers; outputs on chain: {}",
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
        "  on-chain settlement transactions: {onchain_settlements} batches + {jobs} closes, against {naive} in the naive one-payment-per-second design"
    );
    println!(
        "  per stream, paid on chain = the newest voucher within the metered seconds (cancelled: at most), stream closed: {}",
        if exact { "yes" } else { "NO" }
    );
    anyhow::ensure!(conserved, "escrow conservation broke");
    anyhow::ensure!(
        exact,
        "a stream was not paid exactly its newest voucher within the metered seconds"
    );
    Ok(())
}

async fn summary(pool: &PgPool, elapsed: u64) {
    let row: Result<(i64, i64, i64, String, String, i64), _> = sqlx::query_as(
        "SELECT (SELECT count(*) FROM jobs WHERE status = 'running'), \
                (SELECT count(*) FROM jobs WHERE status IN ('completed', 'failed', 'cancelled')), \
                COALESCE(sum(attested_seconds),0)::bigint, COALESCE(sum(vouchered),0)::text, \
                COALESCE(sum(settled),0)::text, \
                (SELECT count(DISTINCT version) FROM stream_settlements) \
         FROM payment_streams",
    )
    .fetch_one(pool)
    .await;
    if let Ok((running, ended, seconds, vouchered, settled, batches)) = row {
        println!("t={elapsed:>4}s  jobs running={running} ended={ended}  seconds served={seconds:>6}  accrued (vouchers)={vouchered:>10}  settled on chain={settled:>10} octas  settlement txns={batches}");
    }
}
