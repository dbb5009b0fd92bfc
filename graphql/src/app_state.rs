//! What every HTTP handler of the gateway shares (GraphQL, REST): the operations (schema and
//! limits), the resolvers' services, the rate limiter, the WebSocket context and caps; and how a request names its
//! session (`Authorization: Bearer`).

use std::sync::Arc;

use axum::http::HeaderMap;

use crate::connection_caps::ClientConnections;
use crate::limits::RateLimiter;
use crate::operations::Operations;
use crate::services::Services;
use crate::ws::WsContext;

#[derive(Debug, Clone)]
pub struct AppState {
    pub operations: Operations,
    pub services: Services,
    pub(crate) limiter: Arc<RateLimiter>,
    pub(crate) production: bool,
    pub(crate) ws: WsContext,
    pub(crate) ws_clients: ClientConnections,
    pub(crate) ws_max_message_bytes: usize,
    pub(crate) request_timeout: std::time::Duration,
    /// `gateway.trusted_proxies`, parsed ([`crate::client_addr`]).
    pub(crate) trusted_proxies: Arc<Vec<ipnet::IpNet>>,
}

/// The bearer token of a request, if any.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_owned())
}
