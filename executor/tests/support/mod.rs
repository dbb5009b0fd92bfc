//! ExecutorState by the executor's tests: the devnet with a registered provider, the indexer
//! feeding the log, the real Docker engine, and an executor for that provider.
#![allow(dead_code, unused_imports)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use computestream_chain::{Account, Caller, RestChain};
use computestream_devnet::load;
use computestream_devnet::Running;
use computestream_domain::{AccountAddress, SigningKey, VoucherContext};
use computestream_eventlog::KafkaSettings;
use computestream_executor::{
    Buyer, DockerRuntime, Executor, ExecutorConfig, ExecutorState, RunningExecutor, SandboxPolicy,
};
use computestream_runtime::{Health, Secret, Shutdown};
use computestream_schemas::events::JobStatusChanged;
use computestream_schemas::{topics, Envelope, Event};
use computestream_testkit::chain::{self, identity};

pub struct Rig {
    pub running: Running,
    pub devnet_stop: Shutdown,
    pub kafka: KafkaSettings,
    pub stop: Shutdown,
    pub provider: AccountAddress,
    /// The workload provider index this rig's executor runs as (one per test: tests share
    /// the Docker engine, and an executor owns the containers labelled with its provider).
    pub index: usize,
    pub work: PathBuf,
}

pub const RATE: u64 = load::PRICE_PER_SECOND;

impl Rig {
    pub async fn start(name: &str, index: usize) -> Rig {
        computestream_runtime::telemetry::init_tracing();
        let (running, devnet_stop) = chain::devnet().await;
        let provider = chain::register_provider(&running, index).await;
        let kafka = computestream_testkit::kafka();
        computestream_eventlog::admin::ensure_topics(&kafka, &topics::ALL)
            .await
            .expect("topics");
        let stop = Shutdown::new();
        tokio::spawn(chain::indexer(&running, &kafka).run(None, stop.child()));
        let work = std::env::temp_dir().join(format!("cs-exec-{name}-{}", uuid_like()));
        std::fs::create_dir_all(&work).expect("work dir");
        Rig {
            running,
            devnet_stop,
            kafka,
            stop,
            provider,
            index,
            work,
        }
    }

    pub fn config(&self) -> ExecutorConfig {
        ExecutorConfig {
            node_url: self.running.rest_url(),
            private_key: Some(Secret::new(hex::encode(load::provider_seed(self.index)))),
            listen: "127.0.0.1:0".parse().expect("addr"),
            work_dir: self.work.join("jobs"),
            artifacts_url: format!("file://{}", self.work.join("artifacts").display()),
            grace_secs: 4,
            payment_ahead_secs: 2,
            heartbeat_secs: 1,
            sandbox: SandboxPolicy {
                memory_mb: 64,
                ..SandboxPolicy::default()
            },
            ..ExecutorConfig::default()
        }
    }

    pub async fn executor(&self, config: ExecutorConfig, shutdown: Shutdown) -> RunningExecutor {
        start_executor(config, self.kafka.clone(), self.index, shutdown).await
    }

    /// An executor on its own runtime in its own thread, crashed (every task dropped where
    /// it stands, as a kill -9 would) when the returned sender is dropped or sent to.
    pub fn crashable_executor(
        &self,
        config: ExecutorConfig,
    ) -> (
        std::net::SocketAddr,
        std::sync::mpsc::Sender<()>,
        std::thread::JoinHandle<()>,
    ) {
        let (kafka, index) = (self.kafka.clone(), self.index);
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (crash_tx, crash_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime");
            let running = rt.block_on(start_executor(config, kafka, index, Shutdown::new()));
            addr_tx.send(running.endpoint).expect("send");
            let _ = crash_rx.recv();
            rt.shutdown_background();
        });
        let addr = addr_rx.recv().expect("executor started");
        (addr, crash_tx, thread)
    }
}

pub async fn start_executor(
    config: ExecutorConfig,
    kafka: KafkaSettings,
    index: usize,
    shutdown: Shutdown,
) -> RunningExecutor {
    let seed = load::provider_seed(index);
    let key = SigningKey::from_seed(seed);
    {
        let chain = RestChain::new(&config.node_url, identity().package, Duration::from_secs(5))
            .expect("chain");
        let account = Account::new(seed, identity().chain_id, identity().package).expect("key");
        let caller = Caller::new(chain, account, Duration::from_secs(20));
        let ctx = VoucherContext {
            chain_id: identity().chain_id,
            package: identity().package,
        };
        Executor::new(
            Arc::new(DockerRuntime::connect().await.expect("docker")),
            Arc::new(caller),
            kafka,
            config,
            key,
            ctx,
            Health::new(),
        )
        .start(None, shutdown)
        .await
        .expect("executor")
    }
}

impl Rig {
    pub fn buyer(&self, i: usize) -> Buyer {
        Buyer::new(
            SigningKey::from_seed(load::buyer_seed(i)),
            identity().chain_id,
            identity().package,
        )
    }

    /// Waits until the job has a terminal status on chain; returns (status, url, cid).
    pub async fn wait_terminal(
        &self,
        job_id: u64,
        secs: u64,
    ) -> (u8, Option<String>, Option<String>) {
        for _ in 0..secs * 10 {
            if let Some(j) = chain::job_on_chain(&self.running, job_id) {
                if j.0 >= 2 {
                    return j;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "job {job_id} did not end within {secs} s: {:?}",
            chain::job_on_chain(&self.running, job_id)
        );
    }

    pub fn job_status(&self, job_id: u64) -> u8 {
        chain::job_on_chain(&self.running, job_id)
            .map(|j| j.0)
            .unwrap_or(0)
    }

    /// The job's status changes as indexed into the log.
    pub async fn status_events(&self, job_id: u64) -> Vec<JobStatusChanged> {
        self.events(topics::CHAIN_EVENTS)
            .await
            .into_iter()
            .filter_map(|e| match e.event {
                Event::JobStatusChanged(c) if c.job_id == job_id => Some(c),
                _ => None,
            })
            .collect()
    }

    pub async fn events(&self, spec: topics::TopicSpec) -> Vec<Envelope> {
        computestream_testkit::read_topic(&self.kafka, spec.name, spec.partitions)
            .await
            .iter()
            .map(|r| Envelope::from_json(&r.payload).expect("envelope"))
            .collect()
    }

    /// Pays job `job_id` every second from `buyer` until it ends.
    pub fn pay_until_done(
        &self,
        buyer: usize,
        job_id: u64,
        url: String,
    ) -> tokio::task::JoinHandle<u64> {
        let b = self.buyer(buyer);
        let running_url = url;
        let node = self.running.devnet.clone();
        tokio::spawn(async move {
            let mut paid = 0u64;
            for _ in 0..600 {
                let done = node
                    .node()
                    .map(|n| n.state.jobs.get(&job_id).is_some_and(|j| j.status >= 2))
                    .unwrap_or(false);
                if done {
                    break;
                }
                if let Ok(computestream_executor::Payment::Paid(_)) =
                    b.pay_due(&running_url, job_id).await
                {
                    paid += 1;
                }
                tokio::time::sleep(Duration::from_millis(700)).await;
            }
            paid
        })
    }
}

fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_nanos()
    )
}

impl Rig {
    /// What the provider committed on chain for `job` (`EvidenceCommitted`, as indexed),
    /// waiting up to ~10 s for it to be indexed.
    pub async fn committed_evidence(
        &self,
        job: u64,
    ) -> Option<computestream_schemas::events::JobEvidenceCommitted> {
        for _ in 0..100 {
            let found = self
                .events(topics::CHAIN_EVENTS)
                .await
                .into_iter()
                .find_map(|e| match e.event {
                    Event::JobEvidenceCommitted(c) if c.job_id == job => Some(c),
                    _ => None,
                });
            if found.is_some() {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    }

    /// The head of `stream`'s metering chain in the log: (SHA3-256 of the last record, its
    /// second); the genesis hash and 0 when nothing was metered.
    pub async fn metering_head(&self, stream: u64) -> (computestream_domain::RecordHash, u64) {
        match self.metering_records(stream).await.last() {
            Some(t) => (t.record.hash(), t.record.second),
            None => (computestream_domain::METERING_GENESIS_HASH, 0),
        }
    }

    /// `stream`'s signed metering records in the log, by second.
    pub async fn metering_records(
        &self,
        stream: u64,
    ) -> Vec<computestream_domain::SignedMeteringRecord> {
        let mut ticks: Vec<_> = self
            .events(topics::METERING)
            .await
            .into_iter()
            .filter_map(|e| match e.event {
                Event::MeteringTick(t) if t.record.record.stream_id == stream => Some(t.record),
                _ => None,
            })
            .collect();
        ticks.sort_by_key(|t| t.record.second);
        ticks
    }

    /// [`Rig::verified_metering`], or 0 while nothing is in the log yet.
    pub async fn verified_metering_or_zero(&self, stream: u64) -> u64 {
        if self.metering_head(stream).await.1 == 0 {
            return 0;
        }
        self.verified_metering(stream).await
    }

    /// Every metering record of `stream` in the log, checked as one gapless, unforked,
    /// correctly signed chain (identical copies count once); returns the seconds attested.
    pub async fn verified_metering(&self, stream: u64) -> u64 {
        use computestream_domain::{MeteringChain, MeteringVerdict};
        let ctx = VoucherContext {
            chain_id: identity().chain_id,
            package: identity().package,
        };
        let ticks = self.metering_records(stream).await;
        let first = ticks.first().expect("metering records");
        let mut chain = MeteringChain::new(ctx, stream, first.provider_public_key);
        for t in &ticks {
            // A copy of a record (a send that failed although the broker kept it, then sent
            // again) counts once, as `computestream verify` counts it.
            let verdict = chain.accept(t);
            assert!(
                matches!(
                    verdict,
                    Ok(MeteringVerdict::Appended | MeteringVerdict::Duplicate)
                ),
                "stream {stream}, second {}: {verdict:?}",
                t.record.second
            );
        }
        chain.attested_seconds()
    }
}
