//! The chaos test: the whole pipeline as separate `computestream` processes — the indexer,
//! the projector, the settler, one executor per provider running real containers, the
//! gateway — on infrastructure of the test's own: the devnet as a process on its journal, the
//! broker on durable storage, a PostgreSQL cluster. 200 jobs whose buyers pay every second
//! over x402. At random moments one thing fails, in a random order each round, three rounds
//! at least:
//!
//! - a service is killed with SIGKILL and restarted;
//! - the broker is killed with SIGKILL and restarted on its storage;
//! - PostgreSQL stops with an immediate shutdown (a crash for its clients) and starts again
//!   (WAL recovery) while the projector writes and the gateway reads;
//! - the devnet is killed with SIGKILL and restarted from its journal.
//!
//! During each infrastructure outage every service that depends on it stays up and reports
//! unhealthy on `/healthz` (the outage is held until they all do), then healthy again once
//! it is back, having logged the outage once, not once per record. Then, once every job has
//! ended and every stream is closed:
//!
//! - the log holds every chain event exactly once (compared with a clean indexer run);
//! - the read models hold every chain event exactly once (each job, escrow and stream as the
//!   chain has it; one settlement row per on-chain settlement event);
//! - per stream, the chain paid exactly the newest voucher in the log, bounded by the metered
//!   seconds and the escrow;
//! - escrow is conserved on chain and in the read models;
//! - no job ran twice: every job went to running once, every completed job stored the
//!   outputs of exactly one container start, and the engine reported no second start;
//! - replaying the log into a fresh schema reproduces every read model exactly;
//! - the restarted gateway answers from the same read models.
//!
//! One test in one file past ~600 lines on purpose: its phases (setup, chaos, the checks) read
//! top to bottom; process handling is shared in `support/processes.rs`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use computestream_devnet::load::{self, LoadPlan};
use computestream_devnet::DevnetConfig;
use computestream_domain::{ed25519_authentication_key, JobStatus, SigningKey};
use computestream_eventlog::KafkaSettings;
use computestream_executor::Buyer;
use computestream_projector::{replay, store, ProjectorConfig};
use computestream_schemas::{topics, Envelope, Event};
use computestream_testkit::chain::{expiry, identity};
use computestream_testkit::{job_image, read_topic};
use futures::StreamExt;
use support::infra::{self, journaled_devnet, wait_reported, ChainViews, OwnPostgres};
use support::processes::{base, Service};

mod support;

const PROVIDERS: usize = 4;
/// Provider indices no other test uses: tests share the Docker engine, whose containers are
/// named per provider and job.
const FIRST_PROVIDER: usize = 40;
const JOBS: usize = 200;
const JOB_SECONDS: u64 = 40;
/// Three rounds of the eight victims: five services and three pieces of infrastructure.
const MIN_KILLS: usize = 24;
const RATE: u64 = load::PRICE_PER_SECOND;
/// Seconds buyers may pay ahead of those served (`payment_ahead_secs`, both defaults).
const LEAD_SECS: u64 = 5;

struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

async fn chain_jobs_ended(chain: &ChainViews) -> usize {
    chain
        .count(1..=JOBS as u64, |j| async move {
            chain.job_status(j).await.is_some_and(|s| s >= 2)
        })
        .await
}

/// The jobs that have not ended (or that the node cannot answer for), with their status.
async fn jobs_not_ended(chain: &ChainViews) -> Vec<String> {
    let mut out = Vec::new();
    for j in 1..=JOBS as u64 {
        match chain.job_status(j).await {
            Some(s) if s >= 2 => {}
            Some(s) => out.push(format!("job {j} {}", status_name(s))),
            None => out.push(format!("job {j} unknown")),
        }
    }
    out
}

async fn chain_streams_closed(chain: &ChainViews) -> usize {
    chain
        .count(1..=JOBS as u64, |s| async move {
            chain.stream_open(s).await == Some(false)
        })
        .await
}

fn status_name(s: u8) -> &'static str {
    match s {
        0 => "pending",
        1 => "running",
        2 => "completed",
        3 => "failed",
        _ => "cancelled",
    }
}

async fn envelopes(kafka: &KafkaSettings, spec: topics::TopicSpec) -> Vec<Envelope> {
    read_topic(kafka, spec.name, spec.partitions)
        .await
        .iter()
        .map(|r| Envelope::from_json(&r.payload).expect("envelope"))
        .collect()
}

async fn wait_for<Fut: std::future::Future<Output = bool>>(
    what: &str,
    secs: u64,
    mut done: impl FnMut() -> Fut,
    services: &[Service],
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!("=== timed out waiting until {what}; each service's last lines:");
    for s in services {
        eprintln!("--- {} (last lines) ---\n{}", s.name, s.tail());
    }
    panic!("timed out waiting until {what}");
}

/// Whether the log at `kafka` has every chain version up to `head` (within two minutes).
async fn indexed_past(kafka: &KafkaSettings, head: u64) -> bool {
    for _ in 0..1_200 {
        if let Ok(Some(cp)) = computestream_indexer::progress::read_last(kafka).await {
            if cp.next_version > head {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Counts container starts per container name, from the engine's live event stream (the
/// engine keeps only its last few hundred events, so they are watched as they happen).
fn watch_container_starts(
    docker: bollard::Docker,
) -> (
    Arc<std::sync::Mutex<HashMap<String, usize>>>,
    tokio::task::JoinHandle<()>,
) {
    let starts = Arc::new(std::sync::Mutex::new(HashMap::new()));
    let options = bollard::query_parameters::EventsOptions {
        since: None,
        until: None,
        filters: Some(HashMap::from([
            ("type".to_owned(), vec!["container".to_owned()]),
            ("event".to_owned(), vec!["start".to_owned()]),
        ])),
    };
    let counts = starts.clone();
    let task = tokio::spawn(async move {
        let mut events = docker.events(Some(options));
        while let Some(e) = events.next().await {
            let Ok(e) = e.map_err(|err| eprintln!("engine events: {err}")) else {
                break;
            };
            if let Some(name) = e
                .actor
                .and_then(|a| a.attributes)
                .and_then(|a| a.get("name").cloned())
            {
                *counts.lock().expect("counts").entry(name).or_insert(0) += 1;
            }
        }
    });
    (starts, task)
}

/// What fails in one chaos step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Victim {
    /// `services[i]`, SIGKILLed and restarted.
    Service(usize),
    Broker,
    Postgres,
    Devnet,
}

/// The services that depend on each piece of infrastructure (by name prefix), and so must
/// report unhealthy while it is down.
fn dependents(v: Victim) -> &'static [&'static str] {
    match v {
        Victim::Broker => &["indexer", "projector", "settler", "gateway", "executor"],
        Victim::Postgres => &["projector", "gateway"],
        Victim::Devnet => &["indexer", "settler", "executor"],
        Victim::Service(_) => &[],
    }
}

/// The log line the dependency watcher writes when an outage starts
/// (`computestream_runtime::dependency::watch`).
const OUTAGE_LINE: &str = "dependency unreachable";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_every_service_and_the_infrastructure_at_random_moments_loses_nothing_and_pays_nothing_twice(
) {
    let started_at = now_secs() - 1;
    let dir = std::env::temp_dir().join(format!("cs-chaos-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let mut pg = OwnPostgres::start(&dir);
    let url = pg.url.clone();
    let broker_port = computestream_testkit::free_port();
    let mut broker = infra::durable_broker(&dir, broker_port);
    broker.start();
    assert!(
        infra::port_open(broker_port).await,
        "the broker did not start"
    );
    let kafka = KafkaSettings::new(format!("127.0.0.1:{broker_port}")).with_topic_prefix("chaos.");
    computestream_eventlog::admin::ensure_topics(&kafka, &topics::ALL)
        .await
        .expect("topics");
    let id = identity();
    for p in 0..PROVIDERS {
        let key = SigningKey::from_seed(load::provider_seed(FIRST_PROVIDER + p));
        computestream_testkit::remove_job_containers(
            &ed25519_authentication_key(&key.public_key()).to_long_string(),
        )
        .await;
    }
    let (starts, watcher) = watch_container_starts(computestream_testkit::docker().await);
    let image = job_image(
        "chaos",
        // Every start of its container leaves a line in its output: a job started twice
        // would store different outputs (another CID) than every other job.
        &format!("echo start >> /out/starts.txt; i=0; while [ $i -lt {JOB_SECONDS} ]; do i=$((i+1)); echo step $i; sleep 1; done; echo done > /out/result.txt"),
    )
    .await;
    let root = SigningKey::from_hex(DevnetConfig::default().root_seed.expose())
        .expect("root seed")
        .seed();
    let workload = load::build_at(
        LoadPlan {
            providers: PROVIDERS,
            jobs: JOBS,
            deposits: 0,
            batch: JOBS,
            max_job_secs: load::MAX_JOB_SECS,
        },
        id,
        root,
        expiry(),
        &image,
        FIRST_PROVIDER,
    )
    .expect("workload");
    // The chain's setup runs on a devnet in this process, journaled; the run itself on
    // `computestream devnet` over the same journal, which the chaos kills and restarts.
    let journal = dir.join("devnet.journal");
    {
        let (running, stop) = journaled_devnet(id, &journal).await;
        for phase in &workload.setup {
            let txns = phase.iter().map(|t| t.to_bcs().expect("bcs")).collect();
            running.submit_all(txns).await.expect("setup phase");
        }
        stop.trigger();
        running.task.await.expect("join").expect("setup devnet");
    }
    let devnet_port = computestream_testkit::free_port();
    let mut devnet = infra::devnet_process(&dir, &format!("127.0.0.1:{devnet_port}"), &journal);
    devnet.start();
    assert!(
        infra::port_open(devnet_port).await,
        "the devnet did not start"
    );
    let node_url = format!("http://127.0.0.1:{devnet_port}/v1");
    let chain = ChainViews::new(&node_url, &id.package.to_string());

    // The pipeline, one process per service, each with its side port (`/healthz`).
    let mut services = Vec::new();
    let mut sides = Vec::new();
    let side = |sides: &mut Vec<String>| {
        let s = format!("127.0.0.1:{}", computestream_testkit::free_port());
        sides.push(s.clone());
        s
    };
    {
        let (k, u, n, s) = (
            kafka.clone(),
            url.clone(),
            node_url.clone(),
            side(&mut sides),
        );
        services.push(Service::new("indexer", &dir, move || {
            let mut c = base("index", &k, &u, "chaos");
            c.env("COMPUTESTREAM_INDEXER__NODE_URL", &n)
                .env("COMPUTESTREAM_INDEXER__POLL_INTERVAL_MS", "50")
                .env("COMPUTESTREAM_SIDE_PORT", &s);
            c
        }));
    }
    {
        let (k, u, s) = (kafka.clone(), url.clone(), side(&mut sides));
        services.push(Service::new("projector", &dir, move || {
            let mut c = base("project", &k, &u, "chaos");
            c.env("COMPUTESTREAM_PROJECTOR__LINGER_MS", "20")
                .env("COMPUTESTREAM_SIDE_PORT", &s);
            c
        }));
    }
    {
        let (k, u, n, s) = (
            kafka.clone(),
            url.clone(),
            node_url.clone(),
            side(&mut sides),
        );
        services.push(Service::new("settler", &dir, move || {
            let mut c = base("settle", &k, &u, "chaos");
            c.env("COMPUTESTREAM_SETTLER__NODE_URL", &n)
                .env(
                    "COMPUTESTREAM_SETTLER__PRIVATE_KEY",
                    hex::encode(load::settler_seed()),
                )
                .env("COMPUTESTREAM_SETTLER__INTERVAL_SECS", "3")
                .env("COMPUTESTREAM_SETTLER__CONFIRM_TIMEOUT_SECS", "15")
                .env("COMPUTESTREAM_SETTLER__LISTEN", "127.0.0.1:0")
                .env("COMPUTESTREAM_SIDE_PORT", &s);
            c
        }));
    }
    let gateway = format!("127.0.0.1:{}", computestream_testkit::free_port());
    {
        let (k, u, n, g, s) = (
            kafka.clone(),
            url.clone(),
            node_url.clone(),
            gateway.clone(),
            side(&mut sides),
        );
        services.push(Service::new("gateway", &dir, move || {
            let mut c = base("serve", &k, &u, "chaos");
            c.env("COMPUTESTREAM_GATEWAY__LISTEN", &g)
                .env("COMPUTESTREAM_GATEWAY__NODE_URL", &n)
                .env("COMPUTESTREAM_SIDE_PORT", &s);
            c
        }));
    }
    let mut endpoints = Vec::new();
    for p in 0..PROVIDERS {
        let listen = format!("127.0.0.1:{}", computestream_testkit::free_port());
        endpoints.push(format!("http://{listen}"));
        let (k, u, n, s) = (
            kafka.clone(),
            url.clone(),
            node_url.clone(),
            side(&mut sides),
        );
        let work = dir.join(format!("provider-{p}"));
        let artifacts = format!("file://{}", dir.join("artifacts").display());
        services.push(Service::new(&format!("executor-{p}"), &dir, move || {
            let mut c = base("execute", &k, &u, "chaos");
            c.env("COMPUTESTREAM_EXECUTOR__NODE_URL", &n)
                .env(
                    "COMPUTESTREAM_EXECUTOR__PRIVATE_KEY",
                    hex::encode(load::provider_seed(FIRST_PROVIDER + p)),
                )
                .env("COMPUTESTREAM_EXECUTOR__LISTEN", &listen)
                .env(
                    "COMPUTESTREAM_EXECUTOR__WORK_DIR",
                    work.display().to_string(),
                )
                .env("COMPUTESTREAM_EXECUTOR__ARTIFACTS_URL", &artifacts)
                .env("COMPUTESTREAM_EXECUTOR__GRACE_SECS", "60")
                .env("COMPUTESTREAM_EXECUTOR__HEARTBEAT_SECS", "2")
                .env("COMPUTESTREAM_EXECUTOR__SANDBOX__MEMORY_MB", "32")
                .env("COMPUTESTREAM_SIDE_PORT", &s);
            c
        }));
    }
    for s in services.iter_mut() {
        s.start();
    }
    let http = reqwest::Client::new();
    let names: Vec<&str> = vec!["indexer", "projector", "settler", "gateway", "executor"];
    wait_reported(
        "every service reports healthy",
        120,
        &http,
        &services,
        &sides,
        &names,
        true,
    )
    .await;

    // The buyers: every second each pays its job's next second, until the job ends.
    let paying = Arc::new(AtomicBool::new(true));
    let buyers_task = {
        let paying = paying.clone();
        let endpoints = endpoints.clone();
        tokio::spawn(async move {
            let buyers: Vec<Buyer> = (0..JOBS)
                .map(|i| {
                    Buyer::new(
                        SigningKey::from_seed(load::buyer_seed(i)),
                        id.chain_id,
                        id.package,
                    )
                })
                .collect();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            let mut accepted = 0u64;
            while paying.load(Ordering::Relaxed) {
                tick.tick().await;
                let paid = futures::future::join_all(
                    buyers
                        .iter()
                        .enumerate()
                        .map(|(i, b)| b.pay_due(&endpoints[i % PROVIDERS], i as u64 + 1)),
                )
                .await;
                accepted += paid
                    .iter()
                    .filter(|p| matches!(p, Ok(computestream_executor::Payment::Paid(_))))
                    .count() as u64;
            }
            accepted
        })
    };

    // Chaos: one victim at a random moment — a service (SIGKILL, restarted after a random
    // pause) or a piece of infrastructure (down until every service that depends on it
    // reports unhealthy, then back) — every kind in turn, in a random order each round,
    // until enough kills are done and every job has ended.
    let mut rng = Xorshift(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_nanos() as u64
            | 1,
    );
    println!("chaos seed {}", rng.0);
    let mut kills = 0usize;
    let mut outages: BTreeMap<&'static str, (usize, f64)> = BTreeMap::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(900);
    let mut round: Vec<Victim> = Vec::new();
    while kills < MIN_KILLS || chain_jobs_ended(&chain).await < JOBS {
        if std::time::Instant::now() >= deadline {
            eprintln!("=== jobs did not end within 900 s; each service's last lines:");
            for s in &services {
                eprintln!("--- {} (last lines) ---\n{}", s.name, s.tail());
            }
            panic!(
                "jobs did not end: {} of {JOBS} ended after {kills} kills; not ended: {:?}; logs in {}",
                chain_jobs_ended(&chain).await,
                jobs_not_ended(&chain).await,
                dir.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(300 + rng.below(1_700))).await;
        if kills >= MIN_KILLS {
            continue;
        }
        if round.is_empty() {
            round = vec![
                Victim::Service(0),
                Victim::Service(1),
                Victim::Service(2),
                Victim::Service(3),
                Victim::Service(4 + rng.below(PROVIDERS as u64) as usize),
                Victim::Broker,
                Victim::Postgres,
                Victim::Devnet,
            ];
            for i in (1..round.len()).rev() {
                round.swap(i, rng.below(i as u64 + 1) as usize);
            }
        }
        let victim = round.pop().expect("round");
        kills += 1;
        if let Victim::Service(i) = victim {
            services[i].kill();
            tokio::time::sleep(Duration::from_millis(rng.below(1_000))).await;
            services[i].start();
            continue;
        }
        let down_at = std::time::Instant::now();
        let name = match victim {
            Victim::Broker => {
                broker.kill();
                "broker"
            }
            Victim::Postgres => {
                pg.stop_immediate();
                "postgres"
            }
            _ => {
                devnet.kill();
                "devnet"
            }
        };
        wait_reported(
            &format!("every service that depends on the {name} reports unhealthy"),
            60,
            &http,
            &services,
            &sides,
            dependents(victim),
            false,
        )
        .await;
        // The gateway keeps answering while the read models are away (errors, not hangs).
        if victim == Victim::Postgres {
            let answer = http
                .post(format!("http://{gateway}/graphql"))
                .json(&serde_json::json!({"query": "{ marketplaceStats { jobs } }"}))
                .timeout(Duration::from_secs(30))
                .send()
                .await
                .expect("the gateway answers during the database's outage");
            assert!(answer.status().as_u16() < 600);
        }
        tokio::time::sleep(Duration::from_millis(rng.below(2_000))).await;
        match victim {
            Victim::Broker => {
                broker.start();
                assert!(
                    infra::port_open(broker_port).await,
                    "the broker did not restart"
                );
            }
            Victim::Postgres => pg.start_again(),
            _ => {
                devnet.start();
                assert!(
                    infra::port_open(devnet_port).await,
                    "the devnet did not restart"
                );
            }
        }
        let entry = outages.entry(name).or_insert((0, 0.0));
        entry.0 += 1;
        entry.1 += down_at.elapsed().as_secs_f64();
        // Every service rode the outage out in its process, and is ready again.
        wait_reported(
            &format!("every service is healthy again after the {name}'s restart"),
            180,
            &http,
            &services,
            &sides,
            &names,
            true,
        )
        .await;
        for s in services.iter_mut() {
            assert!(
                !s.exited(),
                "{} exited during the {name}'s outage:\n{}",
                s.name,
                s.tail()
            );
        }
    }
    let seconds_of_chaos = now_secs() - started_at;

    // Every stream closes (the settler pays the final voucher and refunds the rest).
    wait_for(
        "every stream is closed on chain",
        300,
        || async { chain_streams_closed(&chain).await == JOBS },
        &services,
    )
    .await;
    paying.store(false, Ordering::Relaxed);
    let accepted = buyers_task.await.expect("buyers");
    // The executors and settler are done: no more records; the indexer and projector catch up.
    for s in services
        .iter_mut()
        .filter(|s| s.name.starts_with("executor") || s.name == "settler")
    {
        s.stop();
    }
    let head = chain
        .ledger_version()
        .await
        .expect("the node's ledger version");
    assert!(
        indexed_past(&kafka, head).await,
        "the indexer did not reach the head {head}"
    );
    // The chain as its journal has it, in this process, for the checks below.
    devnet.stop();
    let (running, devnet_stop) = journaled_devnet(id, &journal).await;
    assert!(
        running.devnet.node().expect("node").ledger_version() >= head,
        "the journal holds the ledger the run saw"
    );
    let ends = replay::log_ends(&kafka).await.expect("log ends");
    let end_total: i64 = ends.values().sum();
    let pool = store::open(&url, "chaos", 4).await.expect("read models");
    let mut projected = false;
    for _ in 0..1_200 {
        let n: i64 = sqlx::query_scalar(
            "SELECT COALESCE(sum(next_offset), 0)::bigint FROM consumer_offsets",
        )
        .fetch_one(&pool)
        .await
        .expect("offsets");
        if n >= end_total {
            projected = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(projected, "the projector did not reach the log's end");

    // 1. The log: every chain event exactly once, as a clean indexer run writes it.
    let chaos_events = envelopes(&kafka, topics::CHAIN_EVENTS).await;
    let clean = kafka
        .clone()
        .with_topic_prefix(format!("{}clean.", kafka.topic_prefix));
    computestream_eventlog::admin::ensure_topics(&clean, &topics::ALL)
        .await
        .expect("topics");
    let stop = computestream_runtime::Shutdown::new();
    let clean_run = tokio::spawn(
        computestream_testkit::chain::indexer(&running, &clean).run(None, stop.child()),
    );
    let caught_up = indexed_past(&clean, head).await;
    stop.trigger();
    clean_run.await.expect("join").expect("clean indexer run");
    assert!(caught_up, "the clean indexer run did not reach {head}");
    let clean_events = envelopes(&clean, topics::CHAIN_EVENTS).await;
    let mut a: Vec<String> = chaos_events.iter().map(|e| e.id.to_string()).collect();
    let mut b: Vec<String> = clean_events.iter().map(|e| e.id.to_string()).collect();
    a.sort();
    b.sort();
    let distinct: HashSet<&String> = a.iter().collect();
    assert_eq!(distinct.len(), a.len(), "a chain event is twice in the log");
    assert_eq!(a, b, "the log's chain events differ from a clean run's");

    // 2. The read models against the chain: every event applied exactly once.
    let node = running.devnet.node().expect("node").state.clone();
    let jobs: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT job_id, status, output_cid FROM jobs ORDER BY job_id")
            .fetch_all(&pool)
            .await
            .expect("jobs");
    assert_eq!(jobs.len(), JOBS);
    for (job_id, status, cid) in &jobs {
        let j = &node.jobs[&(*job_id as u64)];
        assert_eq!(status, status_name(j.status), "job {job_id} status");
        assert_eq!(cid, &j.output_cid, "job {job_id} output");
    }
    let escrows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
        "SELECT job_id, deposited::text, released::text, refunded::text, locked::text FROM escrows ORDER BY job_id",
    )
    .fetch_all(&pool)
    .await
    .expect("escrows");
    assert_eq!(escrows.len(), JOBS);
    for (job_id, deposited, released, refunded, locked) in &escrows {
        let e = &node.escrows[&(*job_id as u64)];
        assert!(e.is_conserved(), "escrow {job_id} conserved on chain");
        assert_eq!(
            (
                deposited.clone(),
                released.clone(),
                refunded.clone(),
                locked.clone()
            ),
            (
                e.deposited.to_string(),
                e.released.to_string(),
                e.refunded.to_string(),
                e.locked.to_string()
            ),
            "escrow {job_id}: read model = chain"
        );
    }
    let streams: Vec<(i64, i64, String, String, String)> = sqlx::query_as(
        "SELECT stream_id, attested_seconds, settled::text, refunded::text, status FROM payment_streams ORDER BY stream_id",
    )
    .fetch_all(&pool)
    .await
    .expect("streams");
    assert_eq!(streams.len(), JOBS);
    let settled_events: BTreeMap<u64, (usize, u64)> =
        chaos_events.iter().fold(BTreeMap::new(), |mut m, e| {
            match &e.event {
                Event::StreamSettled(s) => {
                    let entry = m.entry(s.stream_id).or_insert((0, 0));
                    entry.0 += 1;
                    entry.1 += s.paid_now.get();
                }
                Event::StreamClosed(s) => {
                    m.entry(s.stream_id).or_insert((0, 0)).1 += s.final_payment.get();
                }
                _ => {}
            }
            m
        });
    let settlement_rows: Vec<(i64, i64)> =
        sqlx::query_as("SELECT stream_id, count(*) FROM stream_settlements GROUP BY stream_id")
            .fetch_all(&pool)
            .await
            .expect("settlement rows");
    let settlement_rows: BTreeMap<u64, usize> = settlement_rows
        .into_iter()
        .map(|(s, n)| (s as u64, n as usize))
        .collect();
    assert_eq!(
        settlement_rows,
        settled_events
            .iter()
            .filter(|(_, (n, _))| *n > 0)
            .map(|(s, (n, _))| (*s, *n))
            .collect::<BTreeMap<_, _>>(),
        "one settlement row per on-chain settlement event"
    );

    // 3. Per stream: paid on chain = the newest voucher in the log within the metered
    // seconds plus the lead buyers may pay ahead (the settler's `payment_ahead_secs`, equal
    // to the executors'), and within the escrow.
    let mut vouchers: HashMap<u64, Vec<u64>> = HashMap::new();
    for e in envelopes(&kafka, topics::METERING).await {
        if let Event::VoucherReceived(v) = &e.event {
            vouchers
                .entry(v.voucher.voucher.stream_id)
                .or_default()
                .push(v.voucher.voucher.cumulative_amount.get());
        }
    }
    let mut paid_total = 0u64;
    let mut refunded_total = 0u64;
    let mut metered_total = 0i64;
    for (stream_id, attested, settled, refunded, status) in &streams {
        let s = &node.streams[&(*stream_id as u64)];
        let escrow = node.escrows[&(*stream_id as u64)].deposited;
        let bound = ((*attested).max(0) as u64 + LEAD_SECS) * RATE;
        let expected = vouchers
            .get(&(*stream_id as u64))
            .into_iter()
            .flatten()
            .copied()
            .filter(|a| *a <= bound.min(escrow))
            .max()
            .unwrap_or(0);
        assert_eq!(
            s.paid, expected,
            "stream {stream_id}: paid = newest voucher"
        );
        assert!(s.paid <= escrow, "stream {stream_id} within its escrow");
        assert!(!s.open);
        assert_eq!(status, "closed");
        assert_eq!(settled, &s.paid.to_string(), "stream {stream_id} settled");
        assert_eq!(
            refunded,
            &node.escrows[&(*stream_id as u64)].refunded.to_string()
        );
        assert_eq!(
            settled_events.get(&(*stream_id as u64)).map_or(0, |e| e.1),
            s.paid,
            "stream {stream_id}: its settlement and close events add up to what it was paid"
        );
        paid_total += s.paid;
        refunded_total += node.escrows[&(*stream_id as u64)].refunded;
        metered_total += attested;
    }
    let conserved_rm: bool = sqlx::query_scalar(
        "SELECT bool_and(deposited = released + refunded + locked AND locked >= 0) FROM escrows",
    )
    .fetch_one(&pool)
    .await
    .expect("conservation");
    assert!(conserved_rm, "escrow conservation in the read models");

    // 4. No job ran twice.
    watcher.abort();
    let starts = starts.lock().expect("counts").clone();
    let providers: Vec<String> = (0..PROVIDERS)
        .map(|p| {
            ed25519_authentication_key(
                &SigningKey::from_seed(load::provider_seed(FIRST_PROVIDER + p)).public_key(),
            )
            .to_long_string()
        })
        .collect();
    let mut containers = 0;
    for j in 1..=JOBS as u64 {
        let provider = &providers[(j as usize - 1) % PROVIDERS];
        let name = computestream_executor::sandbox::container_name(provider, j);
        let n = starts.get(&name).copied().unwrap_or(0);
        assert!(n <= 1, "job {j}'s container started {n} times");
        containers += n;
    }
    let mut to_running: HashMap<u64, usize> = HashMap::new();
    for e in &chaos_events {
        if let Event::JobStatusChanged(c) = &e.event {
            if c.to == JobStatus::Running {
                *to_running.entry(c.job_id).or_insert(0) += 1;
            }
        }
    }
    assert!(
        to_running.values().all(|n| *n == 1),
        "a job went to running twice"
    );
    let outcomes = jobs.iter().fold(BTreeMap::new(), |mut m, (_, s, _)| {
        *m.entry(s.clone()).or_insert(0usize) += 1;
        m
    });
    // The engine's event stream drops events for a slow reader, so it can miss a start but
    // never invent one; the outputs are the exact check: one line per container start.
    let cids: BTreeMap<String, usize> = jobs
        .iter()
        .filter(|(_, status, _)| status == "completed")
        .filter_map(|(_, _, cid)| cid.clone())
        .fold(BTreeMap::new(), |mut m, c| {
            *m.entry(c).or_insert(0) += 1;
            m
        });
    assert_eq!(
        cids.len(),
        1,
        "every completed job stored the outputs of exactly one start: {cids:?}"
    );
    assert_eq!(
        cids.values().sum::<usize>(),
        outcomes.get("completed").copied().unwrap_or(0),
        "every completed job stored its outputs"
    );

    // 5. The gateway (restarted several times) answers from the read models.
    let stats: serde_json::Value = reqwest::Client::new()
        .post(format!("http://{gateway}/graphql"))
        .json(
            &serde_json::json!({"query": "{ marketplaceStats { jobs openStreams totalSettled } }"}),
        )
        .send()
        .await
        .expect("gateway")
        .json()
        .await
        .expect("json");
    assert_eq!(
        stats["data"]["marketplaceStats"],
        serde_json::json!({"jobs": JOBS.to_string(), "openStreams": "0", "totalSettled": paid_total.to_string()}),
        "{stats}"
    );

    // 6. Replaying the whole log reproduces every read model exactly.
    for s in services.iter_mut() {
        s.stop();
    }
    let (replayed, records) = replay::build(&url, &kafka, "replayed", &ProjectorConfig::default())
        .await
        .expect("replay");
    let before = replay::table_contents(&pool).await.expect("tables");
    let after = replay::table_contents(&replayed).await.expect("tables");
    let mut rows = 0;
    for ((table, x), (_, y)) in before.iter().zip(&after) {
        assert_eq!(x.len(), y.len(), "{table}: row count after replay");
        assert_eq!(x, y, "{table}: contents after replay");
        rows += x.len();
    }

    // 7. Each outage is in each dependent's log once (the watcher's line), not once per
    // record.
    let mut outage_lines = Vec::new();
    for s in &services {
        let lines = s.log_lines_with(OUTAGE_LINE);
        let expected: usize = [Victim::Broker, Victim::Postgres, Victim::Devnet]
            .into_iter()
            .filter(|v| dependents(*v).iter().any(|p| s.name.starts_with(p)))
            .map(|v| {
                let name = match v {
                    Victim::Broker => "broker",
                    Victim::Postgres => "postgres",
                    _ => "devnet",
                };
                outages.get(name).map_or(0, |o| o.0)
            })
            .sum();
        // A probe may time out now and then on a loaded machine (an outage of its own, a few
        // seconds long); one line per record would be hundreds.
        assert!(
            lines <= expected + 3,
            "{}: {lines} outage lines for {expected} outages:\n{}",
            s.name,
            s.tail()
        );
        outage_lines.push(format!("{} {lines}", s.name));
    }

    let mut per_component: Vec<String> = services
        .iter()
        .filter(|s| s.kills > 0)
        .map(|s| format!("{} {}", s.name, s.kills))
        .collect();
    for (name, (n, secs)) in &outages {
        per_component.push(format!("{name} {n} ({secs:.0} s down in all)"));
    }
    println!(
        "chaos: {kills} kills in {seconds_of_chaos} s ({}); {} chain events, {records} log records, {rows} read-model rows",
        per_component.join(", "),
        a.len()
    );
    println!(
        "outage lines logged per service: {}",
        outage_lines.join(", ")
    );
    println!(
        "streams: {JOBS}, container starts the engine reported: {containers} (none twice), job outcomes: {outcomes:?}, vouchers accepted: {accepted}, metered seconds: {metered_total}"
    );
    println!(
        "paid to providers: {paid_total} octas, refunded to buyers: {refunded_total} octas, escrow conserved on chain and in the read models"
    );
    assert!(kills >= MIN_KILLS);
    for name in ["broker", "postgres", "devnet"] {
        assert!(
            outages.get(name).is_some_and(|o| o.0 >= 2),
            "the {name} went down at least twice"
        );
    }
    assert!(paid_total > 0, "something was paid");
    replayed.close().await;
    pool.close().await;
    devnet_stop.trigger();
    drop(pg);
    broker.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
