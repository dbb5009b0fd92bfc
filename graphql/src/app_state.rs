//! What every HTTP handler of the gateway shares (GraphQL, REST): the schema, the resolvers'
//! services, the rate limiter and the persisted-query allowlist; and how a request names its
//! session (`Authorization: Bearer`).

use std::collections::HashSet;
use std::sync::Arc;

use axum::http::HeaderMap;

use crate::limits::RateLimiter;
use crate::schema::GatewaySchema;
use crate::services::Services;

#[derive(Clone)]
pub struct AppState {
    pub schema: GatewaySchema,
    pub services: Services,
    pub(crate) limiter: Arc<RateLimiter>,
    pub(crate) allowlist: Arc<HashSet<String>>,
    pub(crate) production: bool,
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
