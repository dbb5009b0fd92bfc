//! `computestream`: one binary, one subcommand per service or operator tool. Helm and the
//! demo run this same binary with different subcommands. It holds the command dispatch, each
//! service's wiring and the demo; the benchmarks are `computestream-bench` (`bench/`).

mod demo;
mod dependencies;
mod devnet;
mod execute;
mod index;
mod ops;
mod project;
mod serve;
mod settle;
mod side;
mod verify;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
pub(crate) use computestream::config;

#[derive(Debug, Parser)]
#[command(
    name = "computestream",
    version,
    about = "Event-sourced indexer and settlement engine for per-second GPU rental on Movement"
)]
struct Cli {
    /// Configuration file (TOML). `COMPUTESTREAM_*` environment variables override it.
    #[arg(long, short, global = true, env = "COMPUTESTREAM_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the local chain: the Aptos node REST API subset with the ComputeStream package.
    Devnet,
    /// Index the chain's ComputeStream events into the log (resumes from its checkpoint).
    Index {
        /// Re-index from this version instead of resuming (operators). Events already in
        /// the log are skipped by id; a version past the log's end is refused (a gap).
        #[arg(long)]
        from_version: Option<u64>,
        /// With --from-version past the log's end: index from there anyway, leaving the
        /// versions in between out of the log.
        #[arg(long, requires = "from_version")]
        accept_gap: bool,
    },
    /// Keep the read models from the log (chain, metering and settlement topics).
    Project,
    /// Rebuild every read model from offset 0 into a fresh schema, verify it, and swap it in;
    /// or, with --from-timestamp, re-apply every record since that time to the live schema.
    Replay {
        /// Unix milliseconds: rewind the live projector to the first records at or after it.
        #[arg(long)]
        from_timestamp: Option<i64>,
        /// Proceed although the log holds less than the live read models applied (a lost
        /// or cut log, another topic prefix); without it such a replay or rewind is refused.
        #[arg(long)]
        accept_loss: bool,
    },
    /// Redeem x402 vouchers on chain in batches and serve the x402 facilitator.
    Settle,
    /// The provider agent: run this provider's jobs in sandboxed containers, meter every
    /// second, take the buyers' x402 vouchers.
    Execute {
        /// How buyers reach the x402 endpoint (default: its bound address).
        #[arg(long)]
        public_url: Option<String>,
    },
    /// The GraphQL gateway (queries, subscriptions, writes), the REST API and the dashboard.
    Serve,
    /// Pay a job second by second over x402 (a buyer).
    Buy(execute::BuyArgs),
    /// Check the configuration (file and `COMPUTESTREAM_*` variables) and print it, secrets
    /// redacted; exits non-zero with the reason when it is invalid.
    Config,
    /// Apply the Postgres migrations of schemas/sql (forward only).
    Migrate,
    /// Create the topic registry (schemas::topics) on the broker.
    Topics,
    /// Run the end-to-end demo on the local stack with a live terminal summary.
    Demo(demo::DemoArgs),
    /// Check a job's evidence (metering chain, vouchers, the on-chain commitment and what
    /// was paid) from the log, or a bundle offline; exits 1 when it does not hold.
    Verify(verify::VerifyArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Every HTTPS client of every command (node, gateway, executor, facilitator) uses it.
    computestream_chain::install_tls_provider();
    match &cli.command {
        // The demo's terminal is its live summary: its services log to a file.
        Command::Demo(args) => {
            let path = args.log_file();
            computestream_runtime::telemetry::init_tracing_to_file(&path)
                .map_err(|e| anyhow::anyhow!("opening the demo's log {}: {e}", path.display()))?;
            println!("logs: {}", path.display());
        }
        _ => computestream_runtime::telemetry::init_tracing(),
    }
    let cfg: config::AppConfig = computestream_runtime::config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Devnet => devnet::run(&cfg).await,
        Command::Index {
            from_version,
            accept_gap,
        } => {
            index::run(
                &cfg,
                from_version.map(|version| computestream_indexer::FromVersion {
                    version,
                    accept_gap,
                }),
            )
            .await
        }
        Command::Project => project::run(&cfg).await,
        Command::Replay {
            from_timestamp,
            accept_loss,
        } => project::replay(&cfg, from_timestamp, accept_loss).await,
        Command::Settle => settle::run(&cfg).await,
        Command::Execute { public_url } => execute::run(&cfg, public_url).await,
        Command::Buy(args) => execute::buy(&cfg, args).await,
        Command::Serve => serve::run(&cfg).await,
        Command::Config => {
            println!("configuration valid:\n{cfg:#?}");
            Ok(())
        }
        Command::Migrate => ops::migrate(&cfg).await,
        Command::Topics => ops::create_topics(&cfg).await,
        Command::Demo(args) => demo::run(&cfg, args).await,
        Command::Verify(args) => {
            if !verify::run(&cfg, args).await? {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}
