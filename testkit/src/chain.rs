//! A devnet for tests: started in process on a free port, optionally with a workload's
//! providers registered and jobs created (each job's stream open and funded).

use computestream_devnet::load::{self, LoadPlan};
use computestream_devnet::{ChainIdentity, DevnetConfig, Running};
use computestream_domain::{AccountAddress, SigningKey};
use computestream_runtime::Shutdown;

/// The chain every test runs against: the devnet's chain id and the local package address
/// (a leading zero the node drops when it prints it).
pub fn identity() -> ChainIdentity {
    ChainIdentity {
        chain_id: 4,
        package: computestream_devnet::LOCAL_PACKAGE,
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
    let root = SigningKey::from_hex(DevnetConfig::default().root_seed.expose())
        .expect("root seed")
        .seed();
    let w = load::build(
        LoadPlan {
            providers,
            jobs,
            deposits: 0,
            batch: jobs.max(1),
            max_job_secs: load::MAX_JOB_SECS,
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
    computestream_indexer::Indexer::over_rest(
        computestream_indexer::IndexerConfig {
            node_url: running.rest_url(),
            poll_interval_ms: 20,
            ..computestream_indexer::IndexerConfig::default()
        },
        kafka.clone(),
        identity().chain_id,
        identity().package,
        computestream_runtime::Health::new(),
    )
    .expect("source")
}

/// Funds `address` from the faucet and waits until the transfer committed.
pub async fn fund(running: &Running, address: AccountAddress) {
    running
        .devnet
        .fund(address, 100 * computestream_domain::OCTAS_PER_MOVE)
        .expect("fund");
    for _ in 0..500 {
        if running
            .devnet
            .node()
            .expect("node")
            .state
            .accounts
            .contains_key(&address)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("funding {address} did not commit");
}

fn bcs<T: serde::Serialize>(v: &T) -> Vec<u8> {
    aptos_sdk::aptos_bcs::to_bytes(v).expect("bcs")
}

/// Funds and registers workload provider `i` (its first transaction).
pub async fn register_provider(running: &Running, i: usize) -> AccountAddress {
    let key = SigningKey::from_seed(load::provider_seed(i));
    let address = computestream_domain::ed25519_authentication_key(&key.public_key());
    fund(running, address).await;
    let t = load::sign_call(
        identity(),
        load::provider_seed(i),
        0,
        "provider_registry",
        "register_provider",
        vec![
            bcs(&"H100".to_owned()),
            bcs(&80u64),
            bcs(&load::PRICE_PER_SECOND),
            bcs(&computestream_domain::OCTAS_PER_MOVE),
        ],
        expiry(),
    )
    .expect("sign");
    running
        .submit_all(vec![t.to_bcs().expect("bcs")])
        .await
        .expect("register");
    address
}

/// Workload buyer `buyer` (funded here) creates a job on provider `provider` running
/// `image` for at most `max_duration_secs`, with `escrow` octas; `seq` is the buyer's
/// sequence number (0 for its first job). The job id is the chain's next one.
pub async fn create_job(
    running: &Running,
    buyer: usize,
    provider: AccountAddress,
    image: &str,
    max_duration_secs: u64,
    escrow: u64,
    seq: u64,
) {
    let key = SigningKey::from_seed(load::buyer_seed(buyer));
    let address = computestream_domain::ed25519_authentication_key(&key.public_key());
    if seq == 0 {
        fund(running, address).await;
    }
    let t = load::sign_call(
        identity(),
        load::buyer_seed(buyer),
        seq,
        "job_registry",
        "create_job",
        vec![
            bcs(&provider.0),
            bcs(&image.to_owned()),
            bcs(&max_duration_secs),
            bcs(&escrow),
            bcs(&key.public_key().0.to_vec()),
        ],
        expiry(),
    )
    .expect("sign");
    running
        .submit_all(vec![t.to_bcs().expect("bcs")])
        .await
        .expect("create job");
}

/// A job's status and outputs on chain: (status code, output url, output cid). The exit
/// code and reason travel in its `JobStatusChanged` event.
pub fn job_on_chain(
    running: &Running,
    job_id: u64,
) -> Option<(u8, Option<String>, Option<String>)> {
    let node = running.devnet.node().expect("node");
    node.state
        .jobs
        .get(&job_id)
        .map(|j| (j.status, j.output_url.clone(), j.output_cid.clone()))
}
