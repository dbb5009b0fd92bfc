//! Shared by the settler's tests: the devnet with open streams, the indexer feeding the
//! log, a settler on the real broker, and buyers/providers paying per second.
#![allow(dead_code, unused_imports)]

pub use computestream_runtime::now_ms;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use computestream_devnet::load;
use computestream_devnet::paying::PayingStream;
use computestream_devnet::Running;
use computestream_domain::{Octas, SignedVoucher};
use computestream_eventlog::{EnvelopeProducer, KafkaSettings};
use computestream_runtime::{Health, Secret, Shutdown};
use computestream_schemas::events::{MeteringTick, VoucherReceived};
use computestream_schemas::{topics, Envelope, Event};
use computestream_settler::{RestChain, RunningSettler, Settler, SettlerConfig};
use computestream_testkit::chain::{self, identity};

pub const PROVIDERS: usize = 10;

pub struct Pipeline {
    pub running: Running,
    pub devnet_stop: Shutdown,
    pub kafka: KafkaSettings,
    pub stop: Shutdown,
    pub indexer: tokio::task::JoinHandle<Result<(), computestream_indexer::IndexerError>>,
    pub streams: Vec<PayingStream>,
    pub producer: EnvelopeProducer,
}

pub fn settler_config(node_url: &str) -> SettlerConfig {
    SettlerConfig {
        node_url: node_url.to_owned(),
        private_key: Some(Secret::new(hex::encode(load::settler_seed()))),
        listen: "127.0.0.1:0".parse().expect("addr"),
        interval_secs: 1,
        confirm_timeout_secs: 10,
        // Vouchers at most one second ahead of what is attested are redeemed.
        payment_ahead_secs: 1,
        ..SettlerConfig::default()
    }
}

impl Pipeline {
    /// The devnet with `jobs` open streams, indexed into a fresh topic prefix.
    pub async fn start(jobs: usize) -> Pipeline {
        let (running, devnet_stop) = chain::devnet_with_jobs(PROVIDERS, jobs).await;
        let kafka = computestream_testkit::kafka();
        computestream_eventlog::admin::ensure_topics(&kafka, &topics::ALL)
            .await
            .expect("topics");
        let stop = Shutdown::new();
        let indexer = tokio::spawn(chain::indexer(&running, &kafka).run(None, stop.child()));
        let streams = (0..jobs)
            .map(|i| PayingStream::for_job(identity(), i, PROVIDERS))
            .collect();
        let producer = EnvelopeProducer::new(&kafka, "settler-test").expect("producer");
        // As a resource server does, pay only once the streams' openings are in the log.
        let mut opened = 0;
        for _ in 0..600 {
            opened = computestream_testkit::read_topic(
                &kafka,
                topics::CHAIN_EVENTS.name,
                topics::CHAIN_EVENTS.partitions,
            )
            .await
            .iter()
            .filter(|r| {
                matches!(
                    Envelope::from_json(&r.payload).map(|e| e.event),
                    Ok(Event::StreamOpened(_))
                )
            })
            .count();
            if opened >= jobs {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(opened >= jobs, "{opened} of {jobs} streams indexed");
        Pipeline {
            running,
            devnet_stop,
            kafka,
            stop,
            indexer,
            streams,
            producer,
        }
    }

    /// A settler on this pipeline with `config`.
    pub async fn settler(&self, config: SettlerConfig, shutdown: Shutdown) -> RunningSettler {
        let chain = RestChain::new(&config.node_url, identity().package, Duration::from_secs(5))
            .expect("chain");
        let config = SettlerConfig {
            held_limit: 1_000_000,
            ..config
        };
        Settler::new(
            Arc::new(chain),
            self.kafka.clone(),
            config,
            identity().voucher_context(),
            Health::new(),
        )
        .start(shutdown)
        .await
        .expect("settler")
    }

    /// `seconds` more seconds of every stream: metering records and vouchers in the log.
    pub async fn pay_seconds(&mut self, seconds: u64) {
        let mut envs = Vec::new();
        for _ in 0..seconds {
            for s in &mut self.streams {
                let (record, voucher) = s.tick(now_ms());
                envs.push(Envelope::metering_tick(MeteringTick { record }));
                envs.push(voucher_envelope(s, voucher));
            }
        }
        self.publish(&envs).await;
    }

    pub async fn publish(&self, envs: &[Envelope]) {
        for chunk in envs.chunks(5_000) {
            for r in futures::future::join_all(chunk.iter().map(|e| self.producer.send(e))).await {
                r.expect("produce");
            }
        }
    }

    /// Per stream on chain: (paid, open).
    pub fn chain_streams(&self) -> BTreeMap<u64, (u64, bool)> {
        let node = self.running.devnet.node().expect("node");
        node.state
            .streams
            .iter()
            .map(|(id, s)| (*id, (s.paid, s.open)))
            .collect()
    }

    pub fn escrow_conserved(&self) -> bool {
        let node = self.running.devnet.node().expect("node");
        node.state.escrows.values().all(|e| e.is_conserved())
    }

    /// Waits (up to `secs`) until every stream satisfies `ok(stream, paid, open)`.
    pub async fn wait_until(&self, secs: u64, what: &str, ok: impl Fn(u64, u64, bool) -> bool) {
        for _ in 0..secs * 10 {
            if self
                .chain_streams()
                .iter()
                .all(|(id, (p, o))| ok(*id, *p, *o))
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let bad: Vec<_> = self
            .chain_streams()
            .into_iter()
            .filter(|(id, (p, o))| !ok(*id, *p, *o))
            .take(5)
            .collect();
        panic!("{what}: not reached within {secs} s; e.g. {bad:?}");
    }

    pub fn committed_transactions(&self) -> u64 {
        self.running
            .devnet
            .node()
            .expect("node")
            .committed_counts()
            .0
    }
}

pub fn voucher_envelope(s: &PayingStream, voucher: SignedVoucher) -> Envelope {
    Envelope::voucher(
        s.provider_address(),
        now_ms(),
        VoucherReceived {
            voucher,
            second: voucher.voucher.cumulative_amount.get() / s.rate.get(),
            commitment_id: voucher.voucher.commitment_id(),
        },
    )
}

/// A TCP forwarder to the node that can be taken down (connections refused and the open
/// ones cut) and brought back, to play a node outage.
pub struct FlakyProxy {
    pub addr: std::net::SocketAddr,
    down: Arc<std::sync::atomic::AtomicBool>,
    conns: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl FlakyProxy {
    pub async fn start(upstream: std::net::SocketAddr) -> FlakyProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let down = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let conns = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (d, c) = (down.clone(), conns.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if d.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // dropped: the client sees the connection closed
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                c.lock().expect("conns").push(task);
            }
        });
        FlakyProxy { addr, down, conns }
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
        if down {
            for t in self.conns.lock().expect("conns").drain(..) {
                t.abort();
            }
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }
}
