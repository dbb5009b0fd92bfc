//! Kill -9 the `computestream index` process at random moments, many times, while it indexes
//! a devnet into the real broker; then compare the log with a clean run's: the same event
//! ids, none missing, none twice, each partition in chain order.

use std::collections::{BTreeSet, HashSet};
use std::process::Child;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use computestream_devnet::load::{self, LoadPlan};
use computestream_devnet::{ChainIdentity, DevnetConfig, SubmitError};
use computestream_domain::SigningKey;
use computestream_eventlog::KafkaSettings;
use computestream_runtime::Shutdown;
use computestream_schemas::{topics, Envelope};

fn id() -> ChainIdentity {
    // The package where `computestream` (default configuration) expects it.
    computestream_testkit::chain::identity()
}

fn spawn_indexer(node_url: &str, kafka: &KafkaSettings) -> Child {
    computestream_testkit::service_command(env!("CARGO_BIN_EXE_computestream"), "index", kafka)
        .env("COMPUTESTREAM_INDEXER__NODE_URL", node_url)
        .env("COMPUTESTREAM_INDEXER__PAGE_SIZE", "10")
        .env("COMPUTESTREAM_INDEXER__CONCURRENCY", "2")
        .env("COMPUTESTREAM_INDEXER__POLL_INTERVAL_MS", "20")
        .spawn()
        .expect("spawn computestream index")
}

async fn next_version(kafka: &KafkaSettings) -> u64 {
    computestream_indexer::progress::read_last(kafka)
        .await
        .ok()
        .flatten()
        .map(|c| c.next_version)
        .unwrap_or(0)
}

async fn run_until_caught_up(node_url: &str, kafka: &KafkaSettings, head: u64) {
    let mut child = spawn_indexer(node_url, kafka);
    for _ in 0..3_000 {
        if next_version(kafka).await > head {
            let _ = child.kill();
            let _ = child.wait();
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the indexer did not catch up to {head}");
}

async fn log_of(kafka: &KafkaSettings) -> Vec<(i32, Envelope)> {
    computestream_testkit::read_topic(
        kafka,
        topics::CHAIN_EVENTS.name,
        topics::CHAIN_EVENTS.partitions,
    )
    .await
    .iter()
    .map(|r| {
        (
            r.partition,
            Envelope::from_json(&r.payload).expect("envelope"),
        )
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_loses_and_duplicates_nothing() {
    // A devnet with a few hundred events of every common kind.
    let shutdown = Shutdown::new();
    let config = DevnetConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        block_time_ms: 10,
        ..DevnetConfig::default()
    };
    let seed = SigningKey::from_hex(config.root_seed.expose())
        .expect("seed")
        .seed();
    let running = computestream_devnet::start(id(), config, shutdown.clone())
        .await
        .expect("devnet");
    let expiry = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 3600;
    let w = load::build(
        LoadPlan {
            providers: 5,
            jobs: 60,
            deposits: 3,
            batch: 20,
            max_job_secs: load::MAX_JOB_SECS,
        },
        id(),
        seed,
        expiry,
    )
    .expect("workload");
    for phase in w.setup.iter().chain(std::iter::once(&w.load)) {
        let target = running.devnet.node().expect("node").committed_counts().0 + phase.len() as u64;
        for t in phase {
            let bytes = t.to_bcs().expect("bcs");
            loop {
                match running.devnet.submit(&bytes) {
                    Ok(_) => break,
                    Err(SubmitError::Rejected(r)) if r.body.vm_error_code == Some(4) => {
                        tokio::time::sleep(Duration::from_millis(5)).await
                    }
                    Err(e) => panic!("{e:?}"),
                }
            }
        }
        while running.devnet.node().expect("node").committed_counts().0 < target {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let head = running.devnet.node().expect("node").ledger_version();
    let url = running.rest_url();

    let clean = computestream_testkit::kafka();
    run_until_caught_up(&url, &clean, head).await;

    let chaos = computestream_testkit::kafka();
    let mut x = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64
        | 1;
    let mut kills = 0;
    while kills < 20 && next_version(&chaos).await <= head {
        let mut child = spawn_indexer(&url, &chaos);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        tokio::time::sleep(Duration::from_millis(50 + x % 400)).await;
        child.kill().expect("kill -9");
        child.wait().expect("reap");
        kills += 1;
    }
    run_until_caught_up(&url, &chaos, head).await;

    let a = log_of(&clean).await;
    let b = log_of(&chaos).await;
    let ids = |log: &[(i32, Envelope)]| {
        log.iter()
            .map(|(_, e)| e.id.as_str().to_owned())
            .collect::<BTreeSet<_>>()
    };
    let unique_b: HashSet<_> = b.iter().map(|(_, e)| e.id.as_str().to_owned()).collect();
    println!(
        "kills: {kills}, events: clean {} / after kills {} (unique {})",
        a.len(),
        b.len(),
        unique_b.len()
    );
    assert!(
        a.len() > 500,
        "the workload produced too few events: {}",
        a.len()
    );
    assert_eq!(
        unique_b.len(),
        b.len(),
        "events duplicated in the log after {kills} kills"
    );
    assert_eq!(ids(&a), ids(&b), "the logs differ after {kills} kills");
    for p in 0..topics::CHAIN_EVENTS.partitions {
        let positions: Vec<_> = b
            .iter()
            .filter(|(q, _)| *q == p)
            .map(|(_, e)| e.id.chain_position())
            .collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "partition {p} out of chain order"
        );
    }
    shutdown.trigger();
    running.task.await.expect("join").expect("devnet");
}
