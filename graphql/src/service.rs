//! `computestream serve`: the HTTP surface — GraphQL over HTTP (`/graphql`) and WebSocket
//! (`/graphql/ws`, `graphql-transport-ws`), the REST API (`/api/v1`), the dashboard (`/`) —
//! with CORS, a body size limit and a per-client rate limit; and the live feed behind the
//! subscriptions.

use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::http::GraphiQLSource;
use async_graphql::ServerError;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse, GraphQLSubscription};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use computestream_domain::AccountAddress;
use computestream_eventlog::KafkaSettings;
use computestream_runtime::{Health, Shutdown};
use sqlx::PgPool;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;

use crate::app_state::{bearer, AppState};
use crate::auth::{Sessions, SignedIn};
use crate::limits::{document_hash, RateLimiter};
use crate::live::LiveFeed;
use crate::schema::{self};
use crate::services::Services;
use crate::{GatewayConfig, GatewayError};

async fn graphql(
    State(st): State<AppState>,
    headers: HeaderMap,
    req: GraphQLRequest,
) -> GraphQLResponse {
    let req = req.into_inner();
    if st.production
        && !st.allowlist.is_empty()
        && !st.allowlist.contains(&document_hash(&req.query))
    {
        let mut e = ServerError::new(
            "this document is not in the persisted-query allowlist",
            None,
        );
        let mut ext = async_graphql::ErrorExtensionValues::default();
        ext.set("code", "PERSISTED_QUERY_NOT_ALLOWED");
        e.extensions = Some(ext);
        return async_graphql::Response::from_errors(vec![e]).into();
    }
    let caller = SignedIn(bearer(&headers).and_then(|t| st.services.sessions.who(&t)));
    metrics::counter!("computestream_gateway_requests_total", "api" => "graphql").increment(1);
    let mut resp = st.schema.execute(req.data(caller)).await;
    with_codes(&mut resp);
    resp.into()
}

/// Every error carries a `code`: the resolvers' own, or one for what the engine refused
/// before running anything (Apollo's names).
fn with_codes(resp: &mut async_graphql::Response) {
    let refused_before_running = resp.data == async_graphql::Value::Null;
    for e in &mut resp.errors {
        let has_code = e
            .extensions
            .as_ref()
            .is_some_and(|x| x.get("code").is_some());
        if has_code {
            continue;
        }
        let code = if e.message.trim_start().starts_with("-->") || e.message.contains("parse") {
            "GRAPHQL_PARSE_FAILED"
        } else if refused_before_running {
            "GRAPHQL_VALIDATION_FAILED"
        } else {
            "INTERNAL"
        };
        e.extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
    }
}

async fn graphiql(State(st): State<AppState>) -> Response {
    if st.production {
        return StatusCode::NOT_FOUND.into_response();
    }
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .finish(),
    )
    .into_response()
}

async fn dashboard() -> Html<&'static str> {
    Html(include_str!("dashboard.html"))
}

async fn rate_limit(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    if !st.limiter.allow(peer.ip()) {
        metrics::counter!("computestream_gateway_rate_limited_total").increment(1);
        let body = Json(
            serde_json::json!({"error": {"code": "RATE_LIMITED", "message": "too many requests"}}),
        );
        let mut r = (StatusCode::TOO_MANY_REQUESTS, body).into_response();
        r.headers_mut()
            .insert("retry-after", HeaderValue::from_static("1"));
        return r;
    }
    next.run(req).await
}

/// The whole HTTP application.
pub fn app(config: &GatewayConfig, services: Services) -> Router {
    let schema = schema::build(
        services.clone(),
        config.production,
        config.max_depth,
        config.max_complexity,
    );
    let state = AppState {
        schema: schema.clone(),
        services,
        limiter: Arc::new(RateLimiter::new(config.rate_limit_per_minute)),
        allowlist: Arc::new(config.allowlist.iter().map(|h| h.to_lowercase()).collect()),
        production: config.production,
    };
    let cors = if config.cors_origins.is_empty() {
        CorsLayer::new()
            .allow_origin(Any)
            .allow_methods(Any)
            .allow_headers(Any)
    } else {
        let origins: Vec<HeaderValue> = config
            .cors_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods(Any)
            .allow_headers(Any)
    };
    Router::new()
        .route("/", get(dashboard))
        .route("/graphql", get(graphiql).post(graphql))
        .route_service("/graphql/ws", GraphQLSubscription::new(schema))
        .merge(crate::rest::routes())
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .layer(cors)
        .with_state(state)
}

pub struct Gateway {
    pub config: GatewayConfig,
    pub pool: PgPool,
    pub kafka: KafkaSettings,
    pub chain_id: u8,
    pub package: AccountAddress,
    pub health: Health,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A started gateway: its address, the live feed (for tests and benchmarks) and its task.
#[derive(Debug)]
pub struct RunningGateway {
    pub addr: SocketAddr,
    pub feed: LiveFeed,
    pub task: tokio::task::JoinHandle<Result<(), GatewayError>>,
}

impl Gateway {
    /// The Kafka settings of the live feed's consumer (its own fetch wait).
    pub fn feed_kafka(&self) -> KafkaSettings {
        let mut k = self.kafka.clone();
        k.fetch_wait_max_ms = self.config.feed_fetch_wait_ms;
        k
    }

    pub async fn start(self, shutdown: Shutdown) -> Result<RunningGateway, GatewayError> {
        self.config.validate().map_err(GatewayError::Config)?;
        self.health.failing("live-feed", "starting");
        let feed = LiveFeed::new(self.config.subscriber_buffer);
        let chain = computestream_chain::RestChain::new(
            &self.config.node_url,
            self.package,
            std::time::Duration::from_secs(10),
        )
        .ok();
        let services = Services {
            pool: self.pool.clone(),
            feed: feed.clone(),
            sessions: Arc::new(Sessions::new(self.config.session_secs)),
            chain,
            package: self.package,
            chain_id: self.chain_id,
        };
        let app = app(&self.config, services);
        let listener = tokio::net::TcpListener::bind(self.config.listen)
            .await
            .map_err(GatewayError::Listen)?;
        let addr = listener.local_addr().map_err(GatewayError::Listen)?;
        let stop = shutdown.clone();
        let server = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move { stop.wait().await })
            .await;
        });
        let task = computestream_runtime::spawn_with_server(
            feed.clone()
                .run(self.feed_kafka(), self.health.clone(), shutdown),
            server,
        );
        tracing::info!(%addr, "gateway serving");
        Ok(RunningGateway { addr, feed, task })
    }
}
