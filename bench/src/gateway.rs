//! `computestream-bench gateway`: concurrent `graphql-transport-ws` subscribers held by one
//! gateway, with the latency from an event's production to its message at the subscriber
//! against the log's own latency (a plain consumer of the same records, same run), the
//! gateway's CPU per delivery and RSS per subscriber; and the providers query's throughput
//! and p99 under concurrent load, against the same SQL run directly.
//!
//! Profiles: paced ticks (each stream's metering record once a second at its own phase),
//! `--burst` (every stream's tick at the top of the second) and `--settlement-burst` (one
//! `settle_batch` of `--batch` streams every `--every-secs`: that many `StreamSettled`
//! events at once). Each stream's watchers sign in as its buyer (metering is private).
//!
//! The gateway runs as its own `computestream serve` process; the subscribers' sockets are
//! in this one (the fd limit must exceed the subscribers).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use computestream_domain::Octas;
use computestream_domain::{AccountAddress, MeteringRecord, SigningKey, METERING_GENESIS_HASH};
use computestream_eventlog::EnvelopeProducer;
use computestream_graphql::read_models::{self, ProviderQuery};
use computestream_projector::{replay, ProjectorConfig};
use computestream_runtime::{now_ms, Shutdown};
use computestream_schemas::events::{MeteringTick, StreamSettled};
use computestream_schemas::{topics, Envelope};
use futures::{SinkExt, StreamExt};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use computestream::config::AppConfig;

#[derive(Debug, clap::Args)]
pub struct GatewayBenchArgs {
    #[arg(long, default_value_t = 10_000)]
    subscribers: usize,
    /// Streams they watch (each updates once a second).
    #[arg(long, default_value_t = 1_000)]
    streams: u64,
    /// Seconds of updates measured.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Concurrent clients of the providers query.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Every stream ticks at the top of the second (instead of spread over it).
    #[arg(long)]
    burst: bool,
    /// The settlement-burst profile instead of ticks: every `--every-secs` seconds one
    /// `settle_batch` of `--batch` streams (700 `StreamSettled` events at once, the
    /// indexer's output for one transaction), each stream watched by subscribers/streams.
    #[arg(long)]
    settlement_burst: bool,
    /// Streams settled by one batch (settlement-burst profile).
    #[arg(long, default_value_t = 700)]
    batch: u64,
    /// Seconds between batches (settlement-burst profile).
    #[arg(long, default_value_t = 10)]
    every_secs: u64,
    /// Serve the subscribers from the fan-out floor (`fanout-floor`: the least a WebSocket
    /// server must do, no GraphQL) instead of the gateway: what any server reaches on this
    /// machine with these subscribers. Skips the providers query.
    #[arg(long)]
    floor: bool,
}

/// The gateway process's CPU time so far (user + system), seconds.
fn cpu_secs(pid: &str) -> f64 {
    let ticks = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // Fields after the command's closing parenthesis; utime and stime are 14th and
            // 15th of the whole line (11th and 12th after it).
            let rest = s.rsplit_once(')')?.1.split_whitespace().collect::<Vec<_>>();
            let u = rest.get(11)?.parse::<u64>().ok()?;
            let k = rest.get(12)?.parse::<u64>().ok()?;
            Some(u + k)
        })
        .unwrap_or(0);
    // USER_HZ is 100 on Linux.
    ticks as f64 / 100.0
}

/// A line of the gateway process's `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`).
fn status_kib(pid: &str, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Signs in as `key`'s account through the gateway; the session token.
async fn sign_in(
    http: &reqwest::Client,
    addr: std::net::SocketAddr,
    key: &SigningKey,
) -> anyhow::Result<String> {
    let me = computestream_domain::ed25519_authentication_key(&key.public_key()).to_long_string();
    let url = format!("http://{addr}/graphql");
    let ch: serde_json::Value = http
        .post(&url)
        .json(&serde_json::json!({"query": "mutation($a: String!) { signInChallenge(address: $a) { nonce message } }", "variables": {"a": me}}))
        .send()
        .await?
        .json()
        .await?;
    let message = ch["data"]["signInChallenge"]["message"]
        .as_str()
        .with_context(|| format!("sign-in challenge: {ch}"))?;
    let sig = key.sign(message.as_bytes()).to_string();
    let s: serde_json::Value = http
        .post(&url)
        .json(&serde_json::json!({"query": "mutation($a: String!, $k: String!, $n: String!, $s: String!) { signIn(address: $a, publicKey: $k, nonce: $n, signature: $s) { token } }",
            "variables": {"a": me, "k": key.public_key().to_string(), "n": ch["data"]["signInChallenge"]["nonce"], "s": sig}}))
        .send()
        .await?
        .json()
        .await?;
    Ok(s["data"]["signIn"]["token"]
        .as_str()
        .with_context(|| format!("sign-in: {s}"))?
        .to_owned())
}

fn buyer_key(stream: u64) -> SigningKey {
    // The sample history's buyer keys (`computestream_schemas::sample`).
    let mut s = [0x2b; 32];
    s[..8].copy_from_slice(&stream.to_le_bytes());
    SigningKey::from_seed(s)
}

/// The part of a `next` message the subscribers read.
#[derive(serde::Deserialize)]
struct NextMessage<'a> {
    #[serde(borrow)]
    payload: NextPayload<'a>,
}

#[derive(serde::Deserialize)]
struct NextPayload<'a> {
    #[serde(borrow)]
    data: NextData<'a>,
}

#[derive(serde::Deserialize)]
struct NextData<'a> {
    #[serde(borrow, rename = "paymentStream")]
    payment_stream: PaymentStreamAt<'a>,
}

#[derive(serde::Deserialize)]
struct PaymentStreamAt<'a> {
    #[serde(rename = "atMs")]
    at_ms: &'a str,
}

/// A child process killed and reaped when dropped.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where the gateway process listens.
struct GatewayProcess {
    addr: std::net::SocketAddr,
}

fn pct(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

fn provider_key(stream: u64) -> SigningKey {
    let mut s = [0x1a; 32];
    s[..8].copy_from_slice(&((stream - 1) / 10).to_le_bytes());
    SigningKey::from_seed(s)
}

pub async fn run(cfg: &AppConfig, a: GatewayBenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(a.subscribers > 0 && a.streams > 0 && a.seconds > 0 && a.clients > 0);
    let stamp = now_ms() / 1000;
    let kafka = cfg
        .kafka
        .clone()
        .with_topic_prefix(format!("bench{stamp}gw."));
    computestream_eventlog::admin::ensure_topics(&kafka, &topics::ALL).await?;
    // Read models for `streams` jobs.
    let history = computestream_schemas::sample::marketplace(a.streams, 10, now_ms() - 600_000);
    let producer = EnvelopeProducer::new(&kafka, "bench-gateway")?;
    for chunk in history.chunks(20_000) {
        for r in futures::future::join_all(chunk.iter().map(|e| producer.send(e))).await {
            r?;
        }
    }
    let schema = format!("bench_gw_{stamp}");
    let (pool, _) = replay::build(
        cfg.database.url.expose(),
        &kafka,
        &schema,
        &ProjectorConfig::default(),
    )
    .await
    .context("projecting the history")?;
    // The gateway (or the floor) in its own process (its sockets count against its own fd
    // limit).
    let free = || -> anyhow::Result<std::net::SocketAddr> {
        Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?)
    };
    let (addr, side) = (free()?, free()?);
    let spec = if a.settlement_burst {
        topics::CHAIN_EVENTS
    } else {
        topics::METERING
    };
    let topic = kafka.topic(spec.name);
    let mut cmd = if a.floor {
        let mut c = std::process::Command::new(std::env::current_exe()?);
        c.arg("fanout-floor")
            .args(["--listen", &addr.to_string(), "--topic", &topic])
            .args(["--partitions", &spec.partitions.to_string()]);
        c
    } else {
        let mut c = std::process::Command::new(crate::services_binary()?);
        c.arg("serve");
        c
    };
    let child = cmd
        .env("COMPUTESTREAM_DATABASE__URL", cfg.database.url.expose())
        .env("COMPUTESTREAM_PROJECTOR__SCHEMA", &schema)
        .env("COMPUTESTREAM_KAFKA__BROKERS", &kafka.brokers)
        .env("COMPUTESTREAM_KAFKA__TOPIC_PREFIX", &kafka.topic_prefix)
        .env("COMPUTESTREAM_GATEWAY__LISTEN", addr.to_string())
        .env("COMPUTESTREAM_GATEWAY__RATE_LIMIT_PER_MINUTE", "1000000000")
        .env(
            "COMPUTESTREAM_GATEWAY__NONCES_PER_MINUTE_PER_CLIENT",
            "1000000000",
        )
        .env(
            "COMPUTESTREAM_GATEWAY__WS_MAX_CONNECTIONS_PER_CLIENT",
            "1000000",
        )
        .env("COMPUTESTREAM_GATEWAY__MAX_CONNECTIONS", "1000000")
        .env("COMPUTESTREAM_SIDE_PORT", side.to_string())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .context("starting the gateway process")?;
    // Killed however this function ends (an error must not leave it running).
    let child = KillOnDrop(child);
    computestream_chain::install_tls_provider();
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..300 {
        up = if a.floor {
            // The floor listens once its consumer is at the topic's ends.
            tokio::net::TcpStream::connect(addr).await.is_ok()
        } else {
            http.get(format!("http://{side}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        };
        if up {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::ensure!(up, "the gateway did not become healthy");
    let stop = Shutdown::new();
    let gw_pid = child.0.id().to_string();
    let server = if a.floor { "fan-out floor" } else { "gateway" };
    let gw = GatewayProcess { addr };

    // Each stream's watchers sign in as its buyer (a job's metering is private to its buyer
    // and provider): one session per stream.
    let mut tokens = Vec::new();
    for stream in 1..=a.streams {
        tokens.push(if a.floor {
            String::from("floor")
        } else {
            sign_in(&http, gw.addr, &buyer_key(stream)).await?
        });
    }
    let rss_before_kib = status_kib(&gw_pid, "VmRSS:");

    // Subscribers: `subscribers` WebSocket connections, each on one stream.
    let latencies = Arc::new(Mutex::new(Vec::<u64>::new()));
    let received = Arc::new(AtomicU64::new(0));
    let measuring = Arc::new(AtomicU64::new(0));
    let t = Instant::now();
    let mut conns = Vec::new();
    for i in 0..a.subscribers {
        let stream = i as u64 % a.streams + 1;
        let mut req = format!("ws://{}/graphql/ws", gw.addr).into_client_request()?;
        req.headers_mut()
            .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.map_err(|e| {
            anyhow::anyhow!("subscriber {i}: {e:?} (past ~1,000 connections, raise the fd limit: ulimit -n 20000)")
        })?;
        let token = &tokens[(stream - 1) as usize];
        ws.send(Message::text(
            serde_json::json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}}).to_string(),
        ))
        .await?;
        let _ack = ws.next().await;
        ws.send(Message::text(
            serde_json::json!({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription($j: ID!) { paymentStream(jobId: $j) { accrued atMs } }",
            "variables": {"j": stream.to_string()}}})
            .to_string(),
        ))
        .await?;
        let (lat, rec, on) = (latencies.clone(), received.clone(), measuring.clone());
        conns.push(tokio::spawn(async move {
            while let Some(Ok(m)) = ws.next().await {
                if let Message::Text(txt) = m {
                    let now = now_ms();
                    // Only the field measured is read (the clients share the machine with
                    // the gateway: they must cost it as little as possible).
                    if let Ok(v) = serde_json::from_str::<NextMessage<'_>>(&txt) {
                        if let Ok(at) = v.payload.data.payment_stream.at_ms.parse::<u64>() {
                            if on.load(Ordering::Relaxed) == 1 {
                                rec.fetch_add(1, Ordering::Relaxed);
                                lat.lock().await.push(now.saturating_sub(at));
                            }
                        }
                    }
                }
            }
        }));
    }
    println!(
        "{} subscribers connected in {:.1} s",
        a.subscribers,
        t.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after_kib = status_kib(&gw_pid, "VmRSS:");
    println!(
        "{server} RSS: {rss_before_kib} KiB before the subscribers, {rss_after_kib} KiB with them: {:.1} KiB per subscriber",
        rss_after_kib.saturating_sub(rss_before_kib) as f64 / a.subscribers as f64
    );

    // The log's own latency: a plain consumer of the topic the updates come from, from its
    // end.
    let raw =
        crate::fanout_floor::at_live_end(cfg, &kafka, &topic, spec.partitions, "bench-gateway-raw")
            .await?;
    let raw_lat = Arc::new(Mutex::new(Vec::<u64>::new()));
    let (rl, rstop) = (raw_lat.clone(), stop.child());
    let raw_task = tokio::spawn(async move {
        loop {
            let r = tokio::select! { _ = rstop.wait() => break, r = raw.next() => r };
            if let Ok(rec) = r {
                if let Ok(env) = Envelope::from_json(&rec.payload) {
                    rl.lock()
                        .await
                        .push(now_ms().saturating_sub(env.occurred_at_ms));
                }
            }
        }
    });

    // One tick per stream per second. Paced (the default): stream i ticks at i/streams of
    // each second, as executors do (each meters from its own job's start), and each record
    // is signed at the moment it is produced. `--burst`: every stream's tick at the top of
    // the second, signed together first (the worst case for the tail).
    let keys: Vec<SigningKey> = (1..=a.streams).map(provider_key).collect();
    let producer = Arc::new(producer);
    let tick_record = |stream: u64, second: u64| {
        let key = &keys[(stream - 1) as usize];
        let r = MeteringRecord {
            chain_id: cfg.chain_id,
            package: AccountAddress::new([0xc5; 32]),
            stream_id: stream,
            provider: computestream_domain::ed25519_authentication_key(&key.public_key()),
            second,
            prev_hash: METERING_GENESIS_HASH,
            observed_at_ms: now_ms(),
            cpu_usage_micros: 1,
            memory_bytes: 1,
            gpu: None,
        };
        Envelope::metering_tick(MeteringTick {
            record: r.sign(key),
        })
    };
    measuring.store(1, Ordering::Relaxed);
    let cpu_start = cpu_secs(&gw_pid);
    let start = tokio::time::Instant::now();
    let mut sends = Vec::new();
    // Settlement bursts: one batch of `batch` streams every `every_secs`, rotating through
    // the streams; each subscriber of a settled stream gets one update.
    let mut expected = 0u64;
    let rounds = if a.settlement_burst {
        a.seconds.div_ceil(a.every_secs.max(1))
    } else {
        0
    };
    // Subscriber i watches stream i % streams + 1.
    let subs = a.subscribers as u64;
    let watchers = |stream: u64| subs / a.streams + u64::from(stream - 1 < subs % a.streams);
    let mut version = 10_000_000u64;
    for round in 0..rounds {
        tokio::time::sleep_until(start + Duration::from_secs(round * a.every_secs)).await;
        let at = now_ms();
        let envs: Vec<Envelope> = (0..a.batch.min(a.streams))
            .map(|k| (round * a.batch + k) % a.streams + 1)
            .map(|stream| {
                expected += watchers(stream);
                version += 1;
                Envelope::chain(
                    cfg.chain_id,
                    version,
                    0,
                    at,
                    StreamSettled {
                        stream_id: stream,
                        cumulative_amount: Octas(round + 1),
                        paid_now: Octas(1),
                        paid_total: Octas(round + 1),
                    },
                )
            })
            .collect();
        for r in futures::future::join_all(envs.iter().map(|e| producer.send(e))).await {
            r?;
        }
    }
    let tick_seconds = if a.settlement_burst { 0 } else { a.seconds };
    if !a.settlement_burst {
        expected = a.subscribers as u64 * a.seconds;
    }
    for (n, second) in (11..11 + tick_seconds).enumerate() {
        let top = start + Duration::from_secs(n as u64);
        if a.burst {
            tokio::time::sleep_until(top).await;
            let envs: Vec<Envelope> = (1..=a.streams).map(|s| tick_record(s, second)).collect();
            for r in futures::future::join_all(envs.iter().map(|e| producer.send(e))).await {
                r?;
            }
            continue;
        }
        for stream in 1..=a.streams {
            let at = top + Duration::from_secs(1) * (stream - 1) as u32 / a.streams as u32;
            tokio::time::sleep_until(at).await;
            let env = tick_record(stream, second);
            let p = producer.clone();
            sends.push(tokio::spawn(async move { p.send(&env).await }));
        }
    }
    for s in sends {
        s.await??;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    measuring.store(0, Ordering::Relaxed);
    let cpu = cpu_secs(&gw_pid) - cpu_start;
    let mut lat = latencies.lock().await.clone();
    lat.sort_unstable();
    let mut rlat = raw_lat.lock().await.clone();
    rlat.sort_unstable();
    let got = received.load(Ordering::Relaxed);
    println!(
        "{server} CPU over the measured window: {cpu:.2} s, {:.1} µs per delivery",
        cpu * 1e6 / got.max(1) as f64
    );
    println!(
        "{} ({}): {} updates received of {expected} sent to {} subscribers over {} s; latency produced -> received p50 {} ms, p99 {} ms, max {} ms; the log's own (plain consumer) p50 {} ms, p99 {} ms; ratio {:.2}",
        if a.floor {
            "fan-out floor, no gateway"
        } else {
            "subscriptions"
        },
        if a.settlement_burst {
            "settlement burst"
        } else if a.burst {
            "burst"
        } else {
            "paced"
        },
        lat.len(),
        a.subscribers,
        a.seconds,
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        lat.last().copied().unwrap_or(0),
        pct(&rlat, 0.5),
        pct(&rlat, 0.99),
        pct(&lat, 0.99) as f64 / pct(&rlat, 0.99).max(1) as f64
    );
    for c in conns {
        c.abort();
    }
    if !a.floor {
        providers_query(&http, gw.addr, &pool, a.clients).await;
    }
    stop.trigger();
    let _ = raw_task.await;
    let gw_rss_kib = status_kib(&gw_pid, "VmHWM:");
    println!("{server} process peak memory: {gw_rss_kib} KiB");
    drop(child);
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&pool)
        .await?;
    Ok(())
}

/// The providers query through GraphQL over HTTP from `clients` concurrent clients for 10 s,
/// against the same SQL run directly through the pool.
async fn providers_query(
    http: &reqwest::Client,
    addr: std::net::SocketAddr,
    pool: &sqlx::PgPool,
    clients: usize,
) {
    let url = format!("http://{addr}/graphql");
    let body = serde_json::json!({"query": "{ providers(first: 20, order: REPUTATION_DESC) { nodes { address gpuType vramGb pricePerSecond reputationBps } } }"});
    let window = Duration::from_secs(10);
    let q_lat = Arc::new(Mutex::new(Vec::<u64>::new()));
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, url, body, q) = (http.clone(), url.clone(), body.clone(), q_lat.clone());
        tasks.push(tokio::spawn(async move {
            while t.elapsed() < window {
                let s = Instant::now();
                if let Ok(r) = http.post(&url).json(&body).send().await {
                    let _ = r.bytes().await;
                    q.lock().await.push(s.elapsed().as_micros() as u64);
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let mut ql = q_lat.lock().await.clone();
    ql.sort_unstable();
    let qps = ql.len() as f64 / t.elapsed().as_secs_f64();
    let q = ProviderQuery {
        limit: 20,
        sort: read_models::ProviderSort::Reputation,
        ..ProviderQuery::default()
    };
    let raw_n = Arc::new(AtomicU64::new(0));
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (pool, q, n) = (pool.clone(), q.clone(), raw_n.clone());
        tasks.push(tokio::spawn(async move {
            while t.elapsed() < window {
                if read_models::providers(&pool, &q).await.is_ok() {
                    n.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let raw_qps = raw_n.load(Ordering::Relaxed) as f64 / t.elapsed().as_secs_f64();
    println!(
        "providers query: {qps:.0} queries/s through GraphQL over HTTP ({} clients), p50 {:.1} ms, p99 {:.1} ms; the same SQL directly: {raw_qps:.0} queries/s; ratio {:.2}",
        clients,
        pct(&ql, 0.5) as f64 / 1000.0,
        pct(&ql, 0.99) as f64 / 1000.0,
        qps / raw_qps
    );
}
