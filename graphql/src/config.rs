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
    /// The web app's files and what its `/config.json` says (`[gateway.web]`).
    #[serde(default)]
    pub web: crate::web_app::WebAppConfig,
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
    /// Origins allowed by CORS (the web app's); empty: any origin in development, none in
    /// production. `*` is refused in production.
    #[serde(default)]
    pub cors_origins: Vec<String>,
    /// Proxies in front of the gateway (an ingress, a load balancer): addresses or networks
    /// (`10.0.0.0/8`). A request from one of them counts against the address it forwarded
    /// (`X-Forwarded-For`) in the per-client limits; empty: every peer is a client.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// Evidence checks (`Job.evidence.verification` not cached) one client may start per
    /// minute; each reads the job's partitions of the log.
    #[serde(default = "default_evidence_checks")]
    pub evidence_checks_per_minute: u32,
    /// Results a subscriber may fall behind its shared execution (and updates a job's
    /// live-feed channel holds) before it is dropped with `SUBSCRIBER_LAGGED`; each shared
    /// execution holds a ring of this many slots.
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
    /// Fields of a document with every fragment spread expanded.
    #[serde(default = "default_max_fields")]
    pub max_fields: u64,
    /// Aliased fields of a document (expanded likewise).
    #[serde(default = "default_max_aliases")]
    pub max_aliases: u64,
    /// Root fields of an operation.
    #[serde(default = "default_max_root_fields")]
    pub max_root_fields: u64,
    /// Nesting allowed to introspection-only documents where introspection is enabled
    /// (graphql-js `getIntrospectionQuery()` nests 12 deep).
    #[serde(default = "default_max_introspection_depth")]
    pub max_introspection_depth: usize,
    /// Longest a query or mutation may run, milliseconds.
    #[serde(default = "default_execution_timeout")]
    pub execution_timeout_ms: u64,
    /// Milliseconds a WebSocket may wait before `connection_init` (then closed with 4408).
    #[serde(default = "default_ws_init_timeout")]
    pub ws_init_timeout_ms: u64,
    /// Seconds between the server's `ping` messages on a WebSocket; 0: none.
    #[serde(default = "default_ws_keepalive")]
    pub ws_keepalive_secs: u64,
    /// Largest WebSocket message (and frame), bytes (larger: closed with 1009).
    #[serde(default = "default_ws_message")]
    pub ws_max_message_bytes: usize,
    /// Operations one WebSocket may run at once.
    #[serde(default = "default_ws_subscriptions")]
    pub ws_max_subscriptions: usize,
    /// Sign-in sessions held at most (past it the oldest is signed out).
    #[serde(default = "default_max_sessions")]
    pub max_sessions: usize,
    /// Unused sign-in nonces held at most (past it the oldest is forgotten).
    #[serde(default = "default_max_nonces")]
    pub max_nonces: usize,
    /// Sign-in nonces one client address may ask for per minute (HTTP and WebSocket).
    #[serde(default = "default_nonce_rate")]
    pub nonces_per_minute_per_client: u32,
    /// Milliseconds a client may take to send a request's headers (also how long an idle
    /// keep-alive connection stays open).
    #[serde(default = "default_header_timeout")]
    pub header_read_timeout_ms: u64,
    /// Longest wait for the next piece of a request body, milliseconds.
    #[serde(default = "default_body_timeout")]
    pub body_timeout_ms: u64,
    /// Longest a request may take from its headers to its response, milliseconds.
    #[serde(default = "default_request_timeout")]
    pub request_timeout_ms: u64,
    /// Connections held at once, HTTP and WebSocket together (past it, new ones wait).
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// WebSocket connections one client address may hold.
    #[serde(default = "default_ws_per_client")]
    pub ws_max_connections_per_client: usize,
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
    2_000
}
fn default_body() -> usize {
    64 * 1024
}
fn default_rate() -> u32 {
    1_200
}
fn default_buffer() -> usize {
    64
}
fn default_session() -> u64 {
    3_600
}
fn default_feed_fetch_wait() -> u64 {
    5
}
fn default_max_fields() -> u64 {
    1_000
}
fn default_max_aliases() -> u64 {
    30
}
fn default_max_root_fields() -> u64 {
    10
}
fn default_max_introspection_depth() -> usize {
    15
}
fn default_evidence_checks() -> u32 {
    12
}

fn default_execution_timeout() -> u64 {
    10_000
}
fn default_ws_init_timeout() -> u64 {
    3_000
}
fn default_ws_keepalive() -> u64 {
    12
}
fn default_ws_message() -> usize {
    64 * 1024
}
fn default_ws_subscriptions() -> usize {
    100
}
fn default_max_sessions() -> usize {
    100_000
}
fn default_max_nonces() -> usize {
    100_000
}
fn default_nonce_rate() -> u32 {
    30
}
fn default_header_timeout() -> u64 {
    10_000
}
fn default_body_timeout() -> u64 {
    10_000
}
fn default_request_timeout() -> u64 {
    30_000
}
fn default_max_connections() -> usize {
    25_000
}
fn default_ws_per_client() -> usize {
    256
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            listen: default_listen(),
            node_url: default_node_url(),
            web: Default::default(),
            production: false,
            allowlist: Vec::new(),
            max_depth: default_depth(),
            max_complexity: default_complexity(),
            max_body_bytes: default_body(),
            rate_limit_per_minute: default_rate(),
            cors_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            evidence_checks_per_minute: default_evidence_checks(),
            subscriber_buffer: default_buffer(),
            session_secs: default_session(),
            feed_fetch_wait_ms: default_feed_fetch_wait(),
            max_fields: default_max_fields(),
            max_aliases: default_max_aliases(),
            max_root_fields: default_max_root_fields(),
            max_introspection_depth: default_max_introspection_depth(),
            execution_timeout_ms: default_execution_timeout(),
            ws_init_timeout_ms: default_ws_init_timeout(),
            ws_keepalive_secs: default_ws_keepalive(),
            ws_max_message_bytes: default_ws_message(),
            ws_max_subscriptions: default_ws_subscriptions(),
            ws_max_connections_per_client: default_ws_per_client(),
            max_sessions: default_max_sessions(),
            max_nonces: default_max_nonces(),
            nonces_per_minute_per_client: default_nonce_rate(),
            header_read_timeout_ms: default_header_timeout(),
            body_timeout_ms: default_body_timeout(),
            request_timeout_ms: default_request_timeout(),
            max_connections: default_max_connections(),
        }
    }
}

impl GatewayConfig {
    pub fn validate(&self) -> Result<(), String> {
        self.web.validate()?;
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
        let positive = [
            ("max_fields", self.max_fields),
            ("max_aliases", self.max_aliases),
            ("max_root_fields", self.max_root_fields),
            ("execution_timeout_ms", self.execution_timeout_ms),
            ("ws_init_timeout_ms", self.ws_init_timeout_ms),
            ("ws_max_subscriptions", self.ws_max_subscriptions as u64),
            (
                "ws_max_connections_per_client",
                self.ws_max_connections_per_client as u64,
            ),
            (
                "evidence_checks_per_minute",
                u64::from(self.evidence_checks_per_minute),
            ),
        ];
        for (name, v) in positive {
            if v == 0 {
                return Err(format!("gateway.{name} must be positive"));
            }
        }
        if self.max_introspection_depth < self.max_depth {
            return Err("gateway.max_introspection_depth must be at least max_depth".into());
        }
        if self.production && self.cors_origins.iter().any(|o| o.trim() == "*") {
            return Err("gateway.cors_origins must name origins in production, not *".into());
        }
        crate::client_addr::parse_trusted(&self.trusted_proxies)?;
        if self.ws_max_message_bytes < 1024 {
            return Err("gateway.ws_max_message_bytes must be at least 1024".into());
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
