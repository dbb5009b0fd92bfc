//! `[settler]` configuration.

use std::net::SocketAddr;

use computestream_domain::Octas;
use computestream_runtime::Secret;
use serde::Deserialize;

/// `[settler]`: where the chain is, how often to redeem, which shard this replica is.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettlerConfig {
    /// Node REST base URL (the devnet's, Bardock's or mainnet's `/v1`).
    #[serde(default = "default_node_url")]
    pub node_url: String,
    /// The settler account's ed25519 private key (64 hex digits). It pays the gas of
    /// `settle_batch` and `close_stream`; it never holds buyers' money.
    #[serde(default)]
    pub private_key: Option<Secret<String>>,
    /// Where the x402 facilitator (`/verify`, `/settle`, `/supported`) listens.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// A redeemable amount waits at most this long before it is put in a batch.
    #[serde(default = "default_interval")]
    pub interval_secs: u64,
    /// A stream whose redeemable, unpaid amount reaches this (octas) is redeemed at once.
    #[serde(default = "default_threshold")]
    pub threshold_octas: Octas,
    /// This replica's shard, `0..shard_count`: it owns the streams whose partition `p`
    /// (in the chain-events and metering topics alike) has `p % shard_count == shard_index`.
    #[serde(default)]
    pub shard_index: u32,
    #[serde(default = "default_shards")]
    pub shard_count: u32,
    /// Largest signed transaction sent, bytes (the chain's limit is 64 KiB).
    #[serde(default = "default_max_txn_bytes")]
    pub max_transaction_bytes: usize,
    /// `max_gas_amount` of every transaction (gas units; the fee charged is what is used).
    #[serde(default = "default_max_gas")]
    pub max_gas_amount: u64,
    /// How long a submitted transaction may take to commit before the settler gives it up
    /// (and re-plans its streams; redeeming twice pays nothing the second time).
    #[serde(default = "default_confirm_timeout")]
    pub confirm_timeout_secs: u64,
    /// Messages kept for streams whose `StreamOpened` has not been read yet.
    #[serde(default = "default_held_limit")]
    pub held_limit: usize,
    /// Most log records decoded and verified per step.
    #[serde(default = "default_batch")]
    pub batch_max: usize,
    /// Seconds past those attested a redeemed voucher may pay: buyers pay a little ahead of
    /// what was served (the executors' `payment_ahead_secs`; keep the two equal), and their
    /// newest voucher is redeemed when it is within (attested + this) seconds × rate.
    #[serde(default = "default_payment_ahead")]
    pub payment_ahead_secs: u64,
    /// Successful facilitator answers remembered, so a repeated identical `/verify` or
    /// `/settle` gets the original answer back (least recently used go first).
    #[serde(default = "default_answers")]
    pub facilitator_answers: usize,
    /// How long a facilitator answer is remembered, seconds.
    #[serde(default = "default_answer_ttl")]
    pub facilitator_answer_ttl_secs: u64,
    /// `[settler.http]`: the facilitator listener's timeouts, connection cap and body limit.
    #[serde(default)]
    pub http: computestream_runtime::http_listener::HttpLimits,
}

fn default_payment_ahead() -> u64 {
    5
}

fn default_answers() -> usize {
    100_000
}

fn default_answer_ttl() -> u64 {
    600
}

fn default_node_url() -> String {
    "http://127.0.0.1:8070/v1".into()
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8402))
}

fn default_interval() -> u64 {
    30
}

fn default_threshold() -> Octas {
    Octas(100_000_000)
}

fn default_shards() -> u32 {
    1
}

fn default_max_txn_bytes() -> usize {
    60 * 1024
}

fn default_max_gas() -> u64 {
    1_000_000
}

fn default_confirm_timeout() -> u64 {
    30
}

fn default_held_limit() -> usize {
    1_000_000
}

fn default_batch() -> usize {
    8_192
}

impl Default for SettlerConfig {
    fn default() -> Self {
        SettlerConfig {
            node_url: default_node_url(),
            private_key: None,
            listen: default_listen(),
            interval_secs: default_interval(),
            threshold_octas: default_threshold(),
            shard_index: 0,
            shard_count: default_shards(),
            max_transaction_bytes: default_max_txn_bytes(),
            max_gas_amount: default_max_gas(),
            confirm_timeout_secs: default_confirm_timeout(),
            held_limit: default_held_limit(),
            batch_max: default_batch(),
            payment_ahead_secs: default_payment_ahead(),
            facilitator_answers: default_answers(),
            facilitator_answer_ttl_secs: default_answer_ttl(),
            http: Default::default(),
        }
    }
}

impl SettlerConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.shard_count == 0 || self.shard_index >= self.shard_count {
            return Err(format!(
                "settler.shard_index {} must be below settler.shard_count {}",
                self.shard_index, self.shard_count
            ));
        }
        if self.interval_secs == 0 {
            return Err("settler.interval_secs must be at least 1".into());
        }
        if !(1024..=64 * 1024).contains(&self.max_transaction_bytes) {
            return Err("settler.max_transaction_bytes must be within 1 KiB..=64 KiB".into());
        }
        if self.batch_max == 0 || self.held_limit == 0 || self.confirm_timeout_secs == 0 {
            return Err(
                "settler.batch_max, held_limit and confirm_timeout_secs must be positive".into(),
            );
        }
        self.http.validate("settler.http")?;
        if let Some(k) = &self.private_key {
            crate::transactions::parse_seed(k.expose()).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}
