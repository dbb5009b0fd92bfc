//! The simulated fleet the load benchmarks drive: a devnet with providers registered and one
//! open, funded stream per job, and every second of every stream as the executors would
//! write it (a provider-signed, hash-chained metering record and a buyer voucher).

use std::time::Instant;

use computestream_devnet::load::{self, LoadPlan};
use computestream_devnet::paying::PayingStream;
use computestream_devnet::{ChainIdentity, DevnetConfig, Running};
use computestream_domain::SigningKey;
use computestream_eventlog::EnvelopeProducer;
use computestream_runtime::{now_ms, Shutdown};
use computestream_schemas::events::{MeteringTick, VoucherReceived};
use computestream_schemas::Envelope;

/// A devnet on a free port with `providers` providers and `streams` jobs (streams open).
pub async fn chain_with_streams(
    id: ChainIdentity,
    providers: usize,
    streams: usize,
    stop: Shutdown,
) -> anyhow::Result<Running> {
    let devnet_cfg = DevnetConfig {
        listen: "127.0.0.1:0".parse()?,
        block_time_ms: 100,
        ..DevnetConfig::default()
    };
    let seed = SigningKey::from_hex(devnet_cfg.root_seed.expose())?.seed();
    let running = computestream_devnet::start(id, devnet_cfg, stop).await?;
    let t = Instant::now();
    let w = load::build(
        LoadPlan {
            providers,
            jobs: streams,
            deposits: 0,
            batch: 1,
            max_job_secs: load::MAX_JOB_SECS,
        },
        id,
        seed,
        now_ms() / 1000 + 7200,
    )
    .map_err(anyhow::Error::msg)?;
    for phase in &w.setup {
        running
            .submit_all(phase.iter().map(|t| t.to_bcs()).collect::<Result<_, _>>()?)
            .await
            .map_err(anyhow::Error::msg)?;
    }
    println!(
        "chain: {providers} providers, {streams} open streams in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    Ok(running)
}

/// One second of every stream, as envelopes stamped `at_ms`, built on all cores.
pub fn second_of(streams: &mut [PayingStream], at_ms: u64) -> Vec<Envelope> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let chunk = streams.len().div_ceil(threads).max(1);
    std::thread::scope(|sc| {
        let handles: Vec<_> = streams
            .chunks_mut(chunk)
            .map(|part| {
                sc.spawn(move || {
                    let mut out = Vec::with_capacity(part.len() * 2);
                    for s in part {
                        let (record, voucher) = s.tick(at_ms);
                        out.push(Envelope::metering_tick(MeteringTick { record }));
                        out.push(Envelope::voucher(
                            s.provider_address(),
                            at_ms,
                            VoucherReceived {
                                voucher,
                                second: s.second,
                                commitment_id: voucher.voucher.commitment_id(),
                            },
                        ));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

pub async fn send_all(producer: &EnvelopeProducer, envs: &[Envelope]) -> anyhow::Result<()> {
    for chunk in envs.chunks(20_000) {
        for r in futures::future::join_all(chunk.iter().map(|e| producer.send(e))).await {
            r?;
        }
    }
    Ok(())
}
