//! `computestream-bench indexer`: backfill of a pre-filled devnet into the broker, against
//! the two raw limits measured in the same run: fetching the identical pages with no
//! produce, and producing the identical messages with no fetch.

use std::sync::Arc;
use std::time::{Duration, Instant};

use computestream_devnet::load::{self, LoadPlan};
use computestream_devnet::node::Node;
use computestream_devnet::{ChainIdentity, Devnet, DevnetConfig, ROOT_BALANCE};
use computestream_domain::{ed25519_authentication_key, SigningKey};
use computestream_eventlog::{admin, EnvelopeProducer, KafkaSettings};
use computestream_indexer::{decode, progress, ChainSource, Indexer, IndexerConfig, RestSource};
use computestream_nodeapi::Transaction;
use computestream_runtime::{Health, Shutdown};
use computestream_schemas::{topics, Envelope};

use crate::devnet::{feed, now_secs};
use computestream::config::AppConfig;

#[derive(Debug, clap::Args)]
pub struct IndexerBenchArgs {
    #[arg(long, default_value_t = 1_000)]
    providers: usize,
    #[arg(long, default_value_t = 20_000)]
    jobs: usize,
    /// Escrow deposits per job (2 indexed events each).
    #[arg(long, default_value_t = 23)]
    deposits: usize,
    #[arg(long, default_value_t = 100)]
    page_size: u16,
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

pub async fn run(cfg: &AppConfig, a: IndexerBenchArgs) -> anyhow::Result<()> {
    let id = ChainIdentity {
        chain_id: cfg.chain_id,
        package: cfg.package,
    };
    let config = DevnetConfig {
        listen: "127.0.0.1:0".parse()?,
        block_time_ms: 50,
        ..DevnetConfig::default()
    };
    let seed = SigningKey::from_hex(config.root_seed.expose())?.seed();
    let plan = LoadPlan {
        providers: a.providers,
        jobs: a.jobs,
        deposits: a.deposits,
        batch: 500,
        max_job_secs: load::MAX_JOB_SECS,
    };
    let t = Instant::now();
    let w = load::build(plan, id, seed, now_secs() + 7200).map_err(anyhow::Error::msg)?;
    let root = ed25519_authentication_key(&SigningKey::from_seed(seed).public_key());
    let mut clock = now_secs() * 1_000_000;
    let mut node = Node::new(id.chain_id, id.package, clock, &[(root, ROOT_BALANCE)]);
    for phase in w.setup.iter().chain(std::iter::once(&w.load)) {
        feed(&mut node, phase, &mut clock)?;
    }
    let head = node.ledger_version();
    println!(
        "pre-filled devnet: {head} versions, {} events, in {:.0} s",
        node.committed_counts().1,
        t.elapsed().as_secs_f64()
    );
    drop(w);
    let shutdown = Shutdown::new();
    let devnet = Arc::new(Devnet::from_node(id, config.clone(), node)?);
    let running =
        computestream_devnet::serve(id, devnet, config.listen, config.http, shutdown.clone())
            .await?;
    let stamp = now_secs();

    // Raw limit 1: the identical pages, fetched the way the indexer fetches them, no produce.
    let source = RestSource::new(&running.rest_url(), Duration::from_secs(30))?;
    let size = u64::from(a.page_size);
    let t = Instant::now();
    let mut next = 0u64;
    let mut pages: Vec<Vec<Transaction>> = Vec::new();
    while next <= head {
        let starts: Vec<u64> = (0..a.concurrency as u64)
            .map(|i| next + i * size)
            .take_while(|s| *s <= head)
            .collect();
        let got =
            futures::future::join_all(starts.iter().map(|s| source.page(*s, a.page_size))).await;
        for p in got {
            let p = p?;
            next += p.len() as u64;
            pages.push(p);
        }
    }
    let fetch_time = t.elapsed();
    let mut envelopes: Vec<Envelope> = Vec::new();
    for p in &pages {
        for tx in p {
            if let Transaction::User(u) = tx {
                envelopes.extend(
                    decode::transaction(id.chain_id, &id.package, u)
                        .map_err(anyhow::Error::msg)?
                        .events,
                );
            }
        }
    }
    drop(pages);
    let events = envelopes.len() as u64;
    println!(
        "raw fetch:   {:>9.0} events/s ({events} events in {:.1} s, {} versions)",
        rate(events, fetch_time),
        fetch_time.as_secs_f64(),
        head + 1
    );

    // Raw limit 2: the identical messages, produced with no fetch.
    let raw_kafka = cfg
        .kafka
        .clone()
        .with_topic_prefix(format!("bench{stamp}raw."));
    admin::ensure_topics(&raw_kafka, &[topics::CHAIN_EVENTS]).await?;
    let producer = EnvelopeProducer::new(&raw_kafka, "bench-raw-produce")?;
    let t = Instant::now();
    for chunk in envelopes.chunks(50_000) {
        for r in futures::future::join_all(chunk.iter().map(|e| producer.send(e))).await {
            r?;
        }
    }
    let produce_time = t.elapsed();
    println!(
        "raw produce: {:>9.0} events/s ({events} events in {:.1} s)",
        rate(events, produce_time),
        produce_time.as_secs_f64()
    );
    drop(envelopes);

    // The indexer, end to end.
    let kafka: KafkaSettings = cfg
        .kafka
        .clone()
        .with_topic_prefix(format!("bench{stamp}idx."));
    let stop = Shutdown::new();
    let indexer = Indexer {
        source: RestSource::new(&running.rest_url(), Duration::from_secs(30))?,
        kafka: kafka.clone(),
        chain_id: id.chain_id,
        package: id.package,
        config: IndexerConfig {
            node_url: running.rest_url(),
            page_size: a.page_size,
            concurrency: a.concurrency,
            poll_interval_ms: 20,
            ..IndexerConfig::default()
        },
        health: Health::new(),
    };
    let t = Instant::now();
    let task = tokio::spawn(indexer.run(None, stop.clone()));
    loop {
        if let Some(cp) = progress::read_last(&kafka).await? {
            if cp.next_version > head {
                break;
            }
        }
        anyhow::ensure!(!task.is_finished(), "the indexer stopped early");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let index_time = t.elapsed();
    stop.trigger();
    task.await??;
    let ours = rate(events, index_time);
    let slower = rate(events, fetch_time).min(rate(events, produce_time));
    println!(
        "indexer:     {ours:>9.0} events/s ({events} events in {:.1} s)",
        index_time.as_secs_f64()
    );
    println!("ratio to the slower raw limit: {:.2}", ours / slower);
    shutdown.trigger();
    let _ = running.task.await;
    Ok(())
}
