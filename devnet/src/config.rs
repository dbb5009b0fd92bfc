use std::net::SocketAddr;
use std::path::PathBuf;

use computestream_domain::AccountAddress;
use computestream_runtime::http_listener::HttpLimits;
use computestream_runtime::Secret;
use serde::Deserialize;

/// `[devnet]` configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevnetConfig {
    /// Where the node REST API (`/v1`) and the faucet (`/fund`, `/mint`) listen.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Block interval while transactions are pending, milliseconds.
    #[serde(default = "default_block_time_ms")]
    pub block_time_ms: u64,
    /// An empty block is produced at least this often, milliseconds (the clock moves on).
    #[serde(default = "default_idle_block_ms")]
    pub idle_block_ms: u64,
    /// Seed of the faucet's funding account (64 hex digits); deterministic by default. A
    /// secret: never printed or logged.
    #[serde(default = "default_root_seed")]
    pub root_seed: Secret<String>,
    /// Append-only journal of blocks; with it, a restart replays the ledger and keeps every
    /// version, hash and balance. Without it the ledger lives in memory.
    #[serde(default)]
    pub journal: Option<PathBuf>,
    /// `[devnet.http]`: the node API listener's timeouts, connection cap and body limit
    /// (2 MiB by default: a batch of signed transactions).
    #[serde(default = "default_http")]
    pub http: HttpLimits,
}

impl Default for DevnetConfig {
    fn default() -> Self {
        DevnetConfig {
            listen: default_listen(),
            block_time_ms: default_block_time_ms(),
            idle_block_ms: default_idle_block_ms(),
            root_seed: default_root_seed(),
            journal: None,
            http: default_http(),
        }
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8070))
}

fn default_http() -> HttpLimits {
    HttpLimits {
        max_body_bytes: 2 * 1024 * 1024,
        ..HttpLimits::default()
    }
}

fn default_block_time_ms() -> u64 {
    200
}

fn default_idle_block_ms() -> u64 {
    1_000
}

fn default_root_seed() -> Secret<String> {
    Secret::new(format!("0x{}", "0d".repeat(32)))
}

impl DevnetConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.block_time_ms == 0 || self.idle_block_ms < self.block_time_ms {
            return Err("devnet.block_time_ms must be > 0 and <= devnet.idle_block_ms".into());
        }
        self.http.validate("devnet.http")?;
        computestream_domain::SigningKey::from_hex(self.root_seed.expose())
            .map(|_| ())
            // The key's error never quotes the seed itself.
            .map_err(|e| format!("devnet.root_seed: {e}"))
    }
}

/// What the devnet serves for: chain id and package address come from the shared config.
#[derive(Debug, Clone, Copy)]
pub struct ChainIdentity {
    pub chain_id: u8,
    pub package: AccountAddress,
}

/// Where the local devnet (and every test of the pipeline) publishes the package:
/// `0x0c5c…5c`. Its first hex digit is 0 on purpose: the node prints it with that zero
/// dropped (`0xc5c…`, 63 digits) in every type tag, event field and abort, so everything that
/// reads the node is tested against the form that breaks string comparisons.
pub const LOCAL_PACKAGE: computestream_domain::AccountAddress = {
    let mut b = [0x5c; 32];
    b[0] = 0x0c;
    computestream_domain::AccountAddress::new(b)
};

impl ChainIdentity {
    /// The deployment vouchers on this chain are bound to.
    pub fn voucher_context(&self) -> computestream_domain::VoucherContext {
        computestream_domain::VoucherContext {
            chain_id: self.chain_id,
            package: self.package,
        }
    }
}
