//! `computestream-bench settler`: N concurrent streams paying every second (a provider-signed
//! metering record and a buyer voucher per stream per second) through the broker, settled on
//! the devnet by the real settler over REST.
//!
//! Two phases, one run:
//! 1. intake: a backlog of `--backlog-seconds` seconds is in the log before the settler
//!    starts; the time it takes to read, verify and book all of it gives vouchers/s, against
//!    the raw limit of strict ed25519 verification of the same messages on every core;
//! 2. live: `--seconds` more seconds are produced in real time, one second's worth every
//!    second; measured: settlement transactions per minute, streams per transaction, the
//!    ratio to the naive design (one on-chain payment per stream per second), and the
//!    settlement lag (from a second's vouchers to the moment every stream is paid through
//!    that second on chain).

use computestream_runtime::now_ms;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use computestream_devnet::load;
use computestream_devnet::paying::PayingStream;
use computestream_devnet::{ChainIdentity, Running};
use computestream_eventlog::{admin, tails, EnvelopeProducer, KafkaSettings};
use computestream_indexer::{progress, Indexer, IndexerConfig};
use computestream_runtime::{Health, Secret, Shutdown};
use computestream_schemas::{topics, Envelope, Event};
use computestream_settler::{RestChain, Settler, SettlerConfig};

use crate::fleet::{self, second_of, send_all};
use computestream::config::AppConfig;

#[derive(Debug, clap::Args)]
pub struct SettlerBenchArgs {
    #[arg(long, default_value_t = 10_000)]
    streams: usize,
    #[arg(long, default_value_t = 1_000)]
    providers: usize,
    /// Seconds already in the log when the settler starts (the intake measurement).
    #[arg(long, default_value_t = 5)]
    backlog_seconds: u64,
    /// Seconds produced in real time afterwards.
    #[arg(long, default_value_t = 75)]
    seconds: u64,
    /// The settler's interval (`settler.interval_secs`).
    #[arg(long, default_value_t = 30)]
    interval: u64,
}

/// Seconds whose vouchers are now paid on chain everywhere: their lag is recorded and they
/// are no longer waited for.
fn settled_through(produced_at: &mut Vec<(u64, Instant)>, paid_through: u64, lags: &mut Vec<f64>) {
    produced_at.retain(|(sec, at)| {
        if *sec <= paid_through {
            lags.push(at.elapsed().as_secs_f64());
            false
        } else {
            true
        }
    });
}

/// The smallest paid total over all streams on chain.
fn min_paid(running: &Running) -> anyhow::Result<u64> {
    let node = running.devnet.node()?;
    Ok(node
        .state
        .streams
        .values()
        .map(|s| s.paid)
        .min()
        .unwrap_or(0))
}

/// Strict ed25519 verification of the same messages, on every core: the raw limit of
/// intake.
fn raw_verify_rate(envs: &[Envelope]) -> f64 {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let chunk = envs.len().div_ceil(threads).max(1);
    let t = Instant::now();
    let ok: usize = std::thread::scope(|sc| {
        let handles: Vec<_> = envs
            .chunks(chunk)
            .map(|part| {
                sc.spawn(move || {
                    part.iter()
                        .filter(|e| match &e.event {
                            Event::MeteringTick(t) => t.record.signature_is_valid(),
                            Event::VoucherReceived(v) => v.voucher.signature_is_valid(),
                            _ => false,
                        })
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(ok, envs.len(), "every generated signature verifies");
    envs.len() as f64 / secs
}

pub async fn run(cfg: &AppConfig, a: SettlerBenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(a.streams > 0 && a.providers > 0 && a.seconds > 0 && a.interval > 0);
    let stamp = now_ms() / 1000;
    let id = ChainIdentity {
        chain_id: cfg.chain_id,
        package: cfg.package,
    };
    let kafka: KafkaSettings = cfg
        .kafka
        .clone()
        .with_topic_prefix(format!("bench{stamp}settle."));
    admin::ensure_topics(&kafka, &topics::ALL).await?;
    let stop = Shutdown::new();

    // The chain: providers registered, one open stream per job.
    let running = fleet::chain_with_streams(id, a.providers, a.streams, stop.child()).await?;
    let indexer = Indexer::over_rest(
        IndexerConfig {
            node_url: running.rest_url(),
            poll_interval_ms: 100,
            ..IndexerConfig::default()
        },
        kafka.clone(),
        id.chain_id,
        id.package,
        Health::new(),
    )?;
    let indexer_task = tokio::spawn(indexer.run(None, stop.child()));
    let head = running.devnet.node()?.ledger_version();
    while progress::read_last(&kafka)
        .await?
        .is_none_or(|cp| cp.next_version <= head)
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Phase 1: the backlog, then the settler reads it.
    let producer = EnvelopeProducer::new(&kafka, "bench-settler")?;
    let mut streams: Vec<PayingStream> = (0..a.streams)
        .map(|i| PayingStream::for_job(id, i, a.providers))
        .collect();
    let mut backlog = Vec::new();
    for _ in 0..a.backlog_seconds {
        backlog.extend(second_of(&mut streams, now_ms()));
    }
    send_all(&producer, &backlog).await?;
    let settler_health = Health::new();
    let settler = Settler::new(
        Arc::new(RestChain::new(
            &running.rest_url(),
            id.package,
            Duration::from_secs(10),
        )?),
        kafka.clone(),
        SettlerConfig {
            node_url: running.rest_url(),
            private_key: Some(Secret::new(hex::encode(load::settler_seed()))),
            listen: "127.0.0.1:0".parse()?,
            interval_secs: a.interval,
            threshold_octas: computestream_domain::Octas(u64::MAX),
            ..cfg.settler.clone()
        },
        id.voucher_context(),
        settler_health.clone(),
    );
    let txns_before = running.devnet.node()?.committed_counts().0;
    let t_intake = Instant::now();
    let settler = settler.start(stop.child()).await?;
    while !settler_health.report().0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let intake = t_intake.elapsed();
    let backlog_vouchers = a.streams as u64 * a.backlog_seconds;
    let intake_rate = backlog.len() as f64 / intake.as_secs_f64();
    let raw_rate = raw_verify_rate(&backlog);
    drop(backlog);
    println!(
        "intake: {backlog_vouchers} vouchers + {backlog_vouchers} metering records read, verified and booked in {:.2} s: {:.0} vouchers/s ({:.0} messages/s); raw strict ed25519 on every core {:.0} messages/s; ratio {:.2}",
        intake.as_secs_f64(),
        backlog_vouchers as f64 / intake.as_secs_f64(),
        intake_rate,
        raw_rate,
        intake_rate / raw_rate
    );

    // Phase 2: live, one second's worth every second.
    let rate = load::PRICE_PER_SECOND;
    let first_live = a.backlog_seconds + 1;
    let last = a.backlog_seconds + a.seconds;
    let mut produced_at: Vec<(u64, Instant)> = Vec::new();
    let mut lags: Vec<f64> = Vec::new();
    let mut late_seconds = 0u64;
    let t_live = Instant::now();
    let mut next = tokio::time::Instant::now();
    let mut ready = second_of(&mut streams, now_ms());
    for s in first_live..=last {
        tokio::time::sleep_until(next).await;
        next += Duration::from_secs(1);
        let batch = std::mem::take(&mut ready);
        let sent_at = Instant::now();
        let send = send_all(&producer, &batch);
        // The next second is signed while this one is sent.
        let (r, built) = tokio::join!(send, async {
            if s < last {
                let mut moved = std::mem::take(&mut streams);
                let at = now_ms() + 1000;
                let (envs, back) = tokio::task::spawn_blocking(move || {
                    let envs = second_of(&mut moved, at);
                    (envs, moved)
                })
                .await
                .expect("generator");
                streams = back;
                envs
            } else {
                Vec::new()
            }
        });
        r?;
        if sent_at.elapsed() > Duration::from_secs(1) {
            late_seconds += 1;
        }
        ready = built;
        produced_at.push((s, sent_at));
        // Settled through which second?
        let paid_through = min_paid(&running)? / rate;
        settled_through(&mut produced_at, paid_through, &mut lags);
    }
    let live = t_live.elapsed();
    // Drain: everything produced is paid within a few intervals.
    let deadline = Instant::now() + Duration::from_secs(3 * a.interval + 30);
    while !produced_at.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let paid_through = min_paid(&running)? / rate;
        settled_through(&mut produced_at, paid_through, &mut lags);
    }
    let unsettled = produced_at.len();
    let txns = running.devnet.node()?.committed_counts().0 - txns_before;
    let total_time = t_intake.elapsed();
    // Let the last confirmations reach the settlement topic.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.trigger();
    let _ = settler.task.await;
    let _ = indexer_task.await;

    // Streams per transaction, from the settlement topic's confirmations.
    let records = tails::read_all(
        &kafka,
        &kafka.topic(topics::SETTLEMENT.name),
        topics::SETTLEMENT.partitions,
    )
    .await
    .context("reading the settlement topic")?;
    let mut rows = 0usize;
    let mut confirmed = 0usize;
    for r in &records {
        if let Ok(Envelope {
            event: Event::SettlementConfirmed(c),
            ..
        }) = Envelope::from_json(&r.payload)
        {
            rows += c.paid.len();
            confirmed += 1;
        }
    }
    lags.sort_by(f64::total_cmp);
    let pct = |q: f64| -> f64 {
        if lags.is_empty() {
            return f64::NAN;
        }
        lags[((lags.len() as f64 - 1.0) * q).round() as usize]
    };
    let paid_seconds = a.streams as u64 * last;
    let naive = computestream_domain::settlement::naive_transactions(a.streams as u64, last);
    let minutes = total_time.as_secs_f64() / 60.0;
    println!(
        "live: {} s at {} streams ({} vouchers/s offered; {late_seconds} seconds took longer than 1 s to produce) in {:.0} s",
        a.seconds,
        a.streams,
        a.streams,
        live.as_secs_f64()
    );
    println!(
        "settlement: {txns} transactions ({confirmed} confirmed, {:.0} streams each) for {paid_seconds} paid stream-seconds: {:.1} transactions/min; naive design {naive} transactions: {:.0}x fewer",
        rows as f64 / confirmed.max(1) as f64,
        txns as f64 / minutes,
        naive as f64 / txns.max(1) as f64
    );
    println!(
        "settlement lag (a second's vouchers to every stream paid through it on chain), interval {} s: p50 {:.1} s, p99 {:.1} s, max {:.1} s; {unsettled} seconds unsettled at the end",
        a.interval,
        pct(0.5),
        pct(0.99),
        lags.last().copied().unwrap_or(f64::NAN)
    );
    Ok(())
}
