//! A devnet for tests: started in process on a free port, optionally with a workload's
//! providers registered and jobs created (each job's stream open and funded).

use computestream_devnet::load::{self, LoadPlan};
use computestream_devnet::{ChainIdentity, DevnetConfig, Running};
use computestream_domain::{AccountAddress, SigningKey};
use computestream_runtime::Shutdown;

/// The chain every test runs against: the devnet's chain id and the package's dev address.
pub fn identity() -> ChainIdentity {
    ChainIdentity {
        chain_id: 4,
        package: AccountAddress::new([0xc5; 32]),
    }
}

/// A fresh devnet on a free port with 10 ms blocks.
pub async fn devnet() -> (Running, Shutdown) {
    let shutdown = Shutdown::new();
    let config = DevnetConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        block_time_ms: 10,
        idle_block_ms: 100,
        ..DevnetConfig::default()
    };
    let running = computestream_devnet::start(identity(), config, shutdown.clone())
        .await
        .expect("devnet");
    (running, shutdown)
}

/// Far enough ahead for any test.
pub fn expiry() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 24 * 3600
}

/// A devnet where `providers` providers are registered and `jobs` jobs created: job `i`
/// (stream `i + 1`) is bought by `load::buyer_seed(i)` from provider `i % providers`, with
/// `load::ESCROW` octas at `load::PRICE_PER_SECOND`. The settler account is funded.
pub async fn devnet_with_jobs(providers: usize, jobs: usize) -> (Running, Shutdown) {
    let (running, stop) = devnet().await;
    let root = SigningKey::from_hex(&DevnetConfig::default().root_seed)
        .expect("root seed")
        .seed();
    let w = load::build(
        LoadPlan {
            providers,
            jobs,
            deposits: 0,
            batch: jobs.max(1),
        },
        identity(),
        root,
        expiry(),
    )
    .expect("workload");
    for phase in &w.setup {
        let txns = phase
            .iter()
            .map(|t| t.to_bcs().expect("bcs"))
            .collect::<Vec<_>>();
        running.submit_all(txns).await.expect("setup phase");
    }
    (running, stop)
}

/// Every job's buyer cancels it (their second transaction): the streams become closable.
pub async fn cancel_jobs(running: &Running, providers: usize, jobs: std::ops::Range<usize>) {
    let txns = jobs
        .map(|i| {
            load::job_status_call(
                identity(),
                i,
                providers,
                computestream_domain::JobStatus::Cancelled,
                1,
                expiry(),
            )
            .expect("sign")
            .to_bcs()
            .expect("bcs")
        })
        .collect();
    running.submit_all(txns).await.expect("cancellations");
}

/// An indexer of `running` into `kafka`, polling every 20 ms.
pub fn indexer(
    running: &Running,
    kafka: &computestream_eventlog::KafkaSettings,
) -> computestream_indexer::Indexer<computestream_indexer::RestSource> {
    computestream_indexer::Indexer {
        source: computestream_indexer::RestSource::new(
            &running.rest_url(),
            std::time::Duration::from_secs(5),
        )
        .expect("source"),
        kafka: kafka.clone(),
        chain_id: identity().chain_id,
        package: identity().package,
        config: computestream_indexer::IndexerConfig {
            node_url: running.rest_url(),
            poll_interval_ms: 20,
            ..computestream_indexer::IndexerConfig::default()
        },
        health: computestream_runtime::Health::new(),
    }
}
