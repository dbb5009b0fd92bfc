//! `computestream demo`: the end-to-end run on the local stack, with a live terminal summary.
//!
//! What runs today: the stores are prepared (migrations, topic registry); for every stream a
//! provider signs a hash-chained metering record and the buyer signs a cumulative x402
//! voucher each second; both go through the idempotent producer into the metering topic;
//! an independent verifier reads the topic back, checks every signature and chain link
//! with the domain rules, and keeps each stream's accounting and its redeemable voucher.
//! The summary shows the single batched settlement those vouchers make against the naive
//! one-payment-per-second design. The devnet, executor and settler plug into this flow as
//! they land (issues 3, 6 and 7): settlement is computed here, not yet submitted on chain.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use computestream_domain::settlement::naive_transactions;
use computestream_domain::{
    MeteringChain, MeteringRecord, Octas, RecordHash, SigningKey, StreamAccount, Voucher,
    VoucherBook, VoucherContext, METERING_GENESIS_HASH,
};
use computestream_eventlog::{admin, tails, EnvelopeProducer, LogConsumer};
use computestream_runtime::{side_port, telemetry, Health, Shutdown};
use computestream_schemas::events::{MeteringTick, VoucherReceived};
use computestream_schemas::{topics, Envelope, Event};

use crate::config::AppConfig;
use crate::ops;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Concurrent paying streams (jobs).
    #[arg(long, default_value_t = 4)]
    streams: u64,
    /// Seconds to run; 0 runs until Ctrl-C.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Price per second, in octas.
    #[arg(long, default_value_t = 1_000)]
    rate: u64,
}

/// One simulated job: its keys and the producer-side state of its stream.
struct Job {
    stream_id: u64,
    provider: SigningKey,
    buyer: SigningKey,
    prev_hash: RecordHash,
    second: u64,
}

/// What the verifier knows about a stream, from the log alone.
struct Verified {
    account: StreamAccount,
    chain: MeteringChain,
    book: VoucherBook,
}

type Ledger = Arc<Mutex<BTreeMap<u64, Verified>>>;

pub async fn run(cfg: &AppConfig, args: DemoArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.streams > 0, "--streams must be at least 1");
    anyhow::ensure!(args.rate > 0, "--rate must be at least 1 octa per second");
    let shutdown = Shutdown::new();
    shutdown.fire_on_signals();
    let health = Health::new();
    let prom = telemetry::prometheus()?;
    let (side_addr, side_task) =
        side_port::serve(cfg.side_port, health.clone(), prom, shutdown.clone()).await?;

    let pool = ops::connect(cfg).await?;
    computestream_projector::migrate(&pool).await?;
    health.ok("postgres");
    admin::ensure_topics(&cfg.kafka, &topics::ALL)
        .await
        .context("creating topics; is the stack up? scripts/stack.sh up")?;
    health.ok("kafka");

    let ctx = VoucherContext {
        chain_id: cfg.chain_id,
        package: cfg.package,
    };
    let escrow = Octas(args.rate.saturating_mul(args.seconds.max(3600)));
    let run_id = now_ms();
    let mut jobs: Vec<Job> = (0..args.streams)
        .map(|i| {
            let seed = |tag: u8| {
                let mut s = [tag; 32];
                s[..8].copy_from_slice(&i.to_le_bytes());
                s
            };
            Job {
                stream_id: run_id * 1000 + i,
                provider: SigningKey::from_seed(seed(0xa0)),
                buyer: SigningKey::from_seed(seed(0xb0)),
                prev_hash: METERING_GENESIS_HASH,
                second: 0,
            }
        })
        .collect();

    let topic = cfg.kafka.topic(topics::METERING.name);
    let marks = tails::watermarks(&cfg.kafka, &topic, topics::METERING.partitions).await?;
    let ledger: Ledger = Arc::new(Mutex::new(
        jobs.iter()
            .map(|j| {
                let v = Verified {
                    account: StreamAccount::open(j.stream_id, Octas(args.rate), escrow),
                    chain: MeteringChain::new(ctx, j.stream_id, j.provider.public_key()),
                    book: VoucherBook::new(ctx, j.stream_id, j.buyer.public_key(), escrow),
                };
                (j.stream_id, v)
            })
            .collect(),
    ));
    let consumer = LogConsumer::new(&cfg.kafka, "computestream-demo-verifier")?;
    let starts: Vec<(i32, i64)> = marks
        .iter()
        .enumerate()
        .map(|(p, &(_, high))| (p as i32, high))
        .collect();
    consumer.assign(&topic, &starts)?;
    let verifier = tokio::spawn(verify(consumer, ledger.clone(), shutdown.child()));

    println!(
        "ComputeStream demo — {} streams at {} octas/s, chain id {}",
        args.streams, args.rate, cfg.chain_id
    );
    println!("  metrics and health: http://{side_addr}/metrics  http://{side_addr}/healthz");
    println!("  metering topic:     {topic}");
    println!("  Ctrl-C stops cleanly.\n");

    let producer = EnvelopeProducer::new(&cfg.kafka, "computestream-demo")?;
    let provider_addr =
        |k: &SigningKey| computestream_domain::ed25519_authentication_key(&k.public_key());
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut elapsed = 0u64;
    loop {
        tokio::select! {
            _ = shutdown.wait() => break,
            _ = tick.tick() => {}
        }
        if args.seconds > 0 && elapsed >= args.seconds {
            break;
        }
        elapsed += 1;
        for job in &mut jobs {
            job.second += 1;
            let record = MeteringRecord {
                chain_id: ctx.chain_id,
                package: ctx.package,
                stream_id: job.stream_id,
                provider: provider_addr(&job.provider),
                second: job.second,
                prev_hash: job.prev_hash,
                observed_at_ms: now_ms(),
                cpu_usage_micros: 0,
                memory_bytes: 0,
                gpu: None,
            };
            job.prev_hash = record.hash();
            let tick_env = Envelope::metering_tick(MeteringTick {
                record: record.sign(&job.provider),
            });
            let voucher = Voucher {
                chain_id: ctx.chain_id,
                package: ctx.package,
                stream_id: job.stream_id,
                cumulative_amount: Octas(args.rate.saturating_mul(job.second)),
            }
            .sign(&job.buyer);
            let voucher_env = Envelope::voucher(
                provider_addr(&job.provider),
                now_ms(),
                VoucherReceived {
                    voucher,
                    second: job.second,
                    commitment_id: format!("{}:{}", job.stream_id, job.second),
                },
            );
            producer.send(&tick_env).await?;
            producer.send(&voucher_env).await?;
            metrics::counter!("computestream_demo_records_produced_total").increment(2);
        }
        print_summary(&ledger, elapsed, args.streams);
    }

    // Let the verifier read what was produced, then stop it.
    let produced: u64 = jobs.iter().map(|j| j.second).sum();
    for _ in 0..100 {
        if attested_total(&ledger) >= produced {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shutdown.trigger();
    let verify_result = verifier.await.context("verifier task")?;
    let _ = side_task.await;
    verify_result?;
    print_final(&ledger, elapsed, args.streams);
    Ok(())
}

async fn verify(consumer: LogConsumer, ledger: Ledger, shutdown: Shutdown) -> anyhow::Result<()> {
    loop {
        let record = tokio::select! {
            _ = shutdown.wait() => return Ok(()),
            r = consumer.next() => r?,
        };
        let env = match Envelope::from_json(&record.payload) {
            Ok(env) => env,
            Err(e) => {
                tracing::warn!(offset = record.offset, error = %e, "unreadable record skipped by the demo verifier");
                continue;
            }
        };
        let Ok(mut streams) = ledger.lock() else {
            anyhow::bail!("ledger lock poisoned");
        };
        match env.event {
            Event::MeteringTick(t) => {
                if let Some(v) = streams.get_mut(&t.record.record.stream_id) {
                    v.chain
                        .accept(&t.record)
                        .context("metering record rejected")?;
                    v.account.attest(v.chain.attested_seconds())?;
                    metrics::counter!("computestream_demo_metering_verified_total").increment(1);
                }
            }
            Event::VoucherReceived(r) => {
                if let Some(v) = streams.get_mut(&r.voucher.voucher.stream_id) {
                    v.book.offer(r.voucher).context("voucher rejected")?;
                    v.account
                        .observe_voucher(r.voucher.voucher.cumulative_amount);
                    metrics::counter!("computestream_demo_vouchers_verified_total").increment(1);
                }
            }
            _ => {}
        }
    }
}

fn attested_total(ledger: &Ledger) -> u64 {
    ledger
        .lock()
        .map(|m| m.values().map(|v| v.account.attested_seconds).sum())
        .unwrap_or(0)
}

fn print_summary(ledger: &Ledger, elapsed: u64, streams: u64) {
    let Ok(m) = ledger.lock() else { return };
    let seconds: u64 = m.values().map(|v| v.account.attested_seconds).sum();
    let owed: u64 = m.values().map(|v| v.account.owed().get()).sum();
    let vouchered: u64 = m.values().map(|v| v.account.vouchered.get()).sum();
    println!(
        "t={elapsed:>4}s  streams={streams}  seconds served={seconds:>6}  vouchered={vouchered:>12} octas  redeemable={owed:>12} octas"
    );
}

fn print_final(ledger: &Ledger, elapsed: u64, streams: u64) {
    let Ok(m) = ledger.lock() else { return };
    println!("\nFinal: what the settler will redeem in one settle_batch transaction");
    println!(
        "{:>22} {:>8} {:>14} {:>14}",
        "stream", "seconds", "voucher", "escrow left"
    );
    let mut total = 0u64;
    for (id, v) in m.iter() {
        let best = v
            .book
            .best_at_most(v.account.accrued())
            .map(|s| s.voucher.cumulative_amount)
            .unwrap_or(Octas::ZERO);
        total = total.saturating_add(best.get());
        println!(
            "{id:>22} {:>8} {:>14} {:>14}",
            v.account.attested_seconds,
            best,
            v.account.escrow.saturating_sub(best)
        );
    }
    let naive = naive_transactions(streams, elapsed);
    println!(
        "\n{streams} streams x {elapsed} s: naive design = {naive} on-chain payments; batched = 1 transaction for {total} octas (ratio {naive}:1)."
    );
    println!("Not yet on chain: the devnet and settler land with issues 3 and 7.");
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
