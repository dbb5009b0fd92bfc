//! `computestream-bench`: the benchmarks whose results go to docs/BENCHMARKS.md, each
//! measured against the raw limit in the same run.
//!
//! Its own binary (not a subcommand of `computestream`): the service image and the Helm chart
//! run `computestream` without benchmark code or its dependencies (WebSocket clients, load
//! generators), and a benchmark changes without relinking the services. Benchmarks that run
//! services as separate processes (`gateway`, `load`) start the `computestream` binary found
//! beside this one (`cargo build --release -p computestream -p computestream-bench`).

mod devnet;
mod executor;
mod fanout_floor;
mod fleet;
mod gateway;
mod indexer;
mod load;
mod projector;
mod settler;

use std::path::PathBuf;

use clap::Parser;

use std::time::Instant;

use computestream_domain::{
    AccountAddress, Octas, SignedVoucher, SigningKey, Voucher, VoucherBook, VoucherContext,
};

#[derive(Debug, Parser)]
#[command(
    name = "computestream-bench",
    version,
    about = "ComputeStream benchmarks, each against its raw limit (docs/BENCHMARKS.md)"
)]
struct Cli {
    /// Configuration file (TOML), as for `computestream`; `COMPUTESTREAM_*` variables override it.
    #[arg(long, short, global = true, env = "COMPUTESTREAM_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    which: BenchKind,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    computestream_runtime::telemetry::init_tracing();
    let cli = Cli::parse();
    let cfg: computestream::config::AppConfig =
        computestream_runtime::config::load(cli.config.as_deref())?;
    run(&cfg, cli.which).await
}

/// The `computestream` binary beside this one (the services the process benchmarks run).
pub fn services_binary() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let exe = me.with_file_name("computestream");
    anyhow::ensure!(
        exe.exists(),
        "{} not found: build it with `cargo build --release -p computestream -p computestream-bench`",
        exe.display()
    );
    Ok(exe)
}

#[derive(Debug, clap::Subcommand)]
enum BenchKind {
    /// Devnet throughput: committed transactions/s and events/s under a load of N providers
    /// and M jobs (escrow deposits and settlement batches), through the REST API with
    /// concurrent clients, against the raw limit: the same signed transactions pushed into the
    /// node in-process (no HTTP).
    Devnet(crate::devnet::DevnetBenchArgs),
    /// Indexer backfill of a pre-filled devnet into the broker (events/s), against fetching
    /// the identical pages alone and producing the identical messages alone.
    Indexer(crate::indexer::IndexerBenchArgs),
    /// Projector: events/s from the broker into the read models, against a raw COPY of the
    /// same rows into the same tables.
    Projector(crate::projector::ProjectorBenchArgs),
    /// Settler: N streams paying every second through the broker, redeemed on the devnet:
    /// intake vouchers/s against raw strict ed25519 on every core, then live settlement
    /// transactions per minute, streams per transaction, ratio to the naive design, lag.
    Settler(crate::settler::SettlerBenchArgs),
    /// Executor: sandboxed containers started per minute (against the engine's bare
    /// create+start) and the CPU spent per metered second.
    Executor(crate::executor::ExecutorBenchArgs),
    /// Gateway: concurrent subscribers and their update latency against the log's own; the
    /// providers query under load against its SQL alone. Raise the fd limit first.
    Gateway(crate::gateway::GatewayBenchArgs),
    /// The fan-out floor `gateway --floor` starts in place of the gateway (not run by hand).
    #[command(hide = true)]
    FanoutFloor(crate::fanout_floor::FanoutFloorArgs),
    /// The demo at scale: N providers, M streams paying every second for S seconds through
    /// the indexer, projector, settler and gateway as separate processes; their lags, memory
    /// and CPU.
    Load(crate::load::LoadBenchArgs),
    /// Voucher acceptance (full check: context, signer, strict ed25519, book insert) against
    /// the raw limit: strict ed25519 verification of the same bytes alone.
    Vouchers {
        /// Vouchers to verify.
        #[arg(long, default_value_t = 50_000)]
        count: u64,
        /// Streams they are spread over (one buyer key each).
        #[arg(long, default_value_t = 1_000)]
        streams: u64,
    },
}

async fn run(cfg: &computestream::config::AppConfig, which: BenchKind) -> anyhow::Result<()> {
    match which {
        BenchKind::Vouchers { count, streams } => vouchers(count, streams),
        BenchKind::Devnet(a) => crate::devnet::run(a).await,
        BenchKind::Indexer(a) => crate::indexer::run(cfg, a).await,
        BenchKind::Projector(a) => crate::projector::run(cfg, a).await,
        BenchKind::Settler(a) => crate::settler::run(cfg, a).await,
        BenchKind::Executor(a) => crate::executor::run(cfg, a).await,
        BenchKind::Gateway(a) => crate::gateway::run(cfg, a).await,
        BenchKind::FanoutFloor(a) => crate::fanout_floor::run(cfg, a).await,
        BenchKind::Load(a) => crate::load::run(cfg, a).await,
    }
}

fn vouchers(count: u64, streams: u64) -> anyhow::Result<()> {
    anyhow::ensure!(
        count > 0 && streams > 0,
        "--count and --streams must be positive"
    );
    let ctx = VoucherContext {
        chain_id: 4,
        package: AccountAddress::new([0xc5; 32]),
    };
    let rate = 1_000u64;
    let buyers: Vec<SigningKey> = (0..streams)
        .map(|i| {
            let mut seed = [0xb0u8; 32];
            seed[..8].copy_from_slice(&i.to_le_bytes());
            SigningKey::from_seed(seed)
        })
        .collect();
    // Stream-major order as a settler sees them: second by second across all streams.
    let signed: Vec<SignedVoucher> = (0..count)
        .map(|n| {
            let stream = n % streams;
            let second = n / streams + 1;
            Voucher {
                chain_id: ctx.chain_id,
                package: ctx.package,
                stream_id: stream,
                cumulative_amount: Octas(second * rate),
            }
            .sign(&buyers[stream as usize])
        })
        .collect();
    let escrow = Octas(rate * (count / streams + 2));

    // Raw limit: strict ed25519 over precomputed bytes, nothing else.
    let bytes: Vec<Vec<u8>> = signed.iter().map(|s| s.voucher.signing_bytes()).collect();
    let t = Instant::now();
    let mut ok = 0u64;
    for (s, b) in signed.iter().zip(&bytes) {
        ok += u64::from(s.buyer_public_key.verify_strict(b, &s.signature));
    }
    let raw_secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(ok == count, "raw verification rejected valid vouchers");

    // Ours: what a settler or executor does per voucher.
    let mut books: Vec<VoucherBook> = buyers
        .iter()
        .enumerate()
        .map(|(i, k)| VoucherBook::new(ctx, i as u64, k.public_key(), escrow))
        .collect();
    let t = Instant::now();
    for s in &signed {
        let book = &mut books[s.voucher.stream_id as usize];
        book.offer(*s)?;
        book.mark_paid(s.voucher.cumulative_amount.saturating_sub(Octas(rate)));
    }
    let ours_secs = t.elapsed().as_secs_f64();

    let raw_rate = count as f64 / raw_secs;
    let ours_rate = count as f64 / ours_secs;
    println!("vouchers: {count} over {streams} streams");
    println!("  raw strict ed25519 verify: {raw_rate:>10.0} /s");
    println!(
        "  VoucherBook::offer:        {ours_rate:>10.0} /s  ({:.2} of raw)",
        ours_rate / raw_rate
    );
    println!(
        "  per voucher:               {:>10.1} µs",
        ours_secs * 1e6 / count as f64
    );
    Ok(())
}
