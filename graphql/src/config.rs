//! `[gateway]` configuration.

use std::net::SocketAddr;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// GraphQL (`/graphql`, WebSocket `/graphql/ws`), REST (`/api/v1`), dashboard (`/`).
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Node REST base URL: where signed transactions are submitted.
    #[serde(default = "default_node_url")]
    pub node_url: String,
    /// Production mode: no introspection, no playground; with `allowlist`, only the
    /// listed documents run.
    #[serde(default)]
    pub production: bool,
    /// Persisted queries: SHA-256 (hex) of every document allowed in production.
    #[serde(default)]
    pub allowlist: Vec<String>,
    #[serde(default = "default_depth")]
    pub max_depth: usize,
    #[serde(default = "default_complexity")]
    pub max_complexity: usize,
    /// Largest request body, bytes.
    #[serde(default = "default_body")]
    pub max_body_bytes: usize,
    /// Requests per minute per client address (HTTP and new WebSocket connections).
    #[serde(default = "default_rate")]
    pub rate_limit_per_minute: u32,
    /// Origins allowed by CORS; empty: any origin (development).
    #[serde(default)]
    pub cors_origins: Vec<String>,
    /// Updates buffered per subscriber before it is skipped ahead (lagged).
    #[serde(default = "default_buffer")]
    pub subscriber_buffer: usize,
    /// Seconds a sign-in session lasts.
    #[serde(default = "default_session")]
    pub session_secs: u64,
    /// The live feed's `fetch.wait.max.ms`: how long its fetch may wait at the broker for
    /// new records. It bounds a caught-up subscriber's latency from below; lower than the
    /// services' `kafka.fetch_wait_max_ms`, at the price of more fetch requests while idle.
    #[serde(default = "default_feed_fetch_wait")]
    pub feed_fetch_wait_ms: u64,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
fn default_node_url() -> String {
    "http://127.0.0.1:8070/v1".into()
}
fn default_depth() -> usize {
    10
}
fn default_complexity() -> usize {
    1_000
}
fn default_body() -> usize {
    64 * 1024
}
fn default_rate() -> u32 {
    1_200
}
fn default_buffer() -> usize {
    1_024
}
fn default_session() -> u64 {
    3_600
}
fn default_feed_fetch_wait() -> u64 {
    5
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            listen: default_listen(),
            node_url: default_node_url(),
            production: false,
            allowlist: Vec::new(),
            max_depth: default_depth(),
            max_complexity: default_complexity(),
            max_body_bytes: default_body(),
            rate_limit_per_minute: default_rate(),
            cors_origins: Vec::new(),
            subscriber_buffer: default_buffer(),
            session_secs: default_session(),
            feed_fetch_wait_ms: default_feed_fetch_wait(),
        }
    }
}

impl GatewayConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.max_depth == 0 || self.max_complexity == 0 || self.max_body_bytes < 1024 {
            return Err("gateway limits must be positive (max_body_bytes >= 1024)".into());
        }
        if self.feed_fetch_wait_ms == 0 || self.feed_fetch_wait_ms > 60_000 {
            return Err("gateway.feed_fetch_wait_ms must be between 1 and 60000".into());
        }
        if self.rate_limit_per_minute == 0 || self.subscriber_buffer == 0 {
            return Err(
                "gateway.rate_limit_per_minute and subscriber_buffer must be positive".into(),
            );
        }
        for h in &self.allowlist {
            if h.len() != 64 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(format!(
                    "gateway.allowlist entry {h:?} is not a SHA-256 hex digest"
                ));
            }
        }
        Ok(())
    }
}
