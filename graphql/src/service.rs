//! `computestream serve`: the HTTP surface — GraphQL over HTTP (`/graphql`) and WebSocket
//! (`/graphql/ws`, `graphql-transport-ws`), the REST API (`/api/v1`), the dashboard (`/`) —
//! with CORS, a body size limit and a per-client rate limit; and the live feed behind the
//! subscriptions.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::client_addr::ClientAddr;
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use computestream_domain::AccountAddress;
use computestream_eventlog::KafkaSettings;
use computestream_runtime::{Health, Shutdown};
use sqlx::PgPool;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::app_state::{bearer, AppState};
use crate::auth::{SessionLimits, Sessions, SignedIn};
use crate::connection_caps::ClientConnections;
use crate::document_limits::DocumentLimits;
use crate::limits::{ClientIp, RateLimiter};
use crate::live::LiveFeed;
use crate::operations::Operations;
use crate::rest::errors::{error_response, ErrorCode};
use crate::schema::{self};
use crate::services::Services;
use crate::ws::fanout::Fanout;
use crate::ws::{WsContext, WsLimits};
use crate::{GatewayConfig, GatewayError};
use computestream_runtime::http_listener::ListenerLimits;

async fn graphql(
    State(st): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    req: GraphQLRequest,
) -> GraphQLResponse {
    let caller = SignedIn(bearer(&headers).and_then(|t| st.services.sessions.who(&t)));
    metrics::counter!("computestream_gateway_requests_total", "api" => "graphql").increment(1);
    let req = req.into_inner().data(caller).data(ClientIp(client));
    match st.operations.prepare(req) {
        Ok(p) => st.operations.execute(p).await.into(),
        Err(errors) => async_graphql::Response::from_errors(errors).into(),
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
    ClientAddr(client): ClientAddr,
    req: Request,
    next: Next,
) -> Response {
    if !st.limiter.allow(client) {
        metrics::counter!("computestream_gateway_rate_limited_total", "what" => "request")
            .increment(1);
        let mut r = error_response(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "too many requests".into(),
        );
        r.headers_mut()
            .insert("retry-after", HeaderValue::from_static("1"));
        return r;
    }
    next.run(req).await
}

/// Answers `408` with the JSON error body when a request (its body included) takes longer
/// than `gateway.request_timeout_ms`. A WebSocket is past this once upgraded.
async fn request_timeout(State(st): State<AppState>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(st.request_timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            metrics::counter!("computestream_gateway_timeouts_total", "what" => "request")
                .increment(1);
            error_response(
                StatusCode::REQUEST_TIMEOUT,
                ErrorCode::RequestTimeout,
                "the request took too long".into(),
            )
        }
    }
}

/// The whole HTTP application.
pub fn app(config: &GatewayConfig, services: Services) -> Router {
    let build = |depth| {
        schema::build(
            services.clone(),
            config.production,
            depth,
            config.max_complexity,
        )
    };
    let introspection = (!config.production).then(|| build(config.max_introspection_depth));
    let allowlist = if config.production {
        config.allowlist.iter().map(|h| h.to_lowercase()).collect()
    } else {
        Default::default()
    };
    let operations = Operations::new(
        build(config.max_depth),
        introspection,
        DocumentLimits {
            max_fields: config.max_fields,
            max_aliases: config.max_aliases,
            max_root_fields: config.max_root_fields,
            max_depth: u32::try_from(config.max_depth).unwrap_or(u32::MAX),
            max_introspection_depth: u32::try_from(config.max_introspection_depth)
                .unwrap_or(u32::MAX),
        },
        std::time::Duration::from_millis(config.execution_timeout_ms),
        Arc::new(allowlist),
    );
    let ws = WsContext {
        operations: operations.clone(),
        fanout: Fanout::new(config.subscriber_buffer),
        sessions: services.sessions.clone(),
        limits: WsLimits {
            init_timeout: std::time::Duration::from_millis(config.ws_init_timeout_ms),
            keepalive: (config.ws_keepalive_secs > 0)
                .then(|| std::time::Duration::from_secs(config.ws_keepalive_secs)),
            max_subscriptions: config.ws_max_subscriptions,
        },
    };
    let state = AppState {
        operations,
        services,
        limiter: Arc::new(RateLimiter::new(config.rate_limit_per_minute)),
        production: config.production,
        ws,
        ws_clients: ClientConnections::new(config.ws_max_connections_per_client),
        ws_max_message_bytes: config.ws_max_message_bytes,
        request_timeout: std::time::Duration::from_millis(config.request_timeout_ms),
        // Validated at start (`GatewayConfig::validate`).
        trusted_proxies: Arc::new(
            crate::client_addr::parse_trusted(&config.trusted_proxies).unwrap_or_default(),
        ),
    };
    // CORS: the configured origins; with none, any origin in development and none in
    // production (browsers then reach the gateway only from its own origin).
    let origins: Vec<HeaderValue> = config
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    let cors = match (origins.is_empty(), config.production) {
        (true, false) => CorsLayer::new()
            .allow_origin(Any)
            .allow_methods(Any)
            .allow_headers(Any),
        (true, true) => CorsLayer::new(),
        (false, _) => CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods(Any)
            .allow_headers(Any),
    };
    let browser = crate::web_app::BrowserConfig::new(
        &config.web,
        &config.node_url,
        state.services.chain_id,
        &state.services.package,
    );
    let files = config.web.files();
    let root = match &files {
        Some(dir) => {
            tracing::info!(dir = %dir.display(), "serving the web app at /");
            Router::new().route("/dashboard", get(dashboard))
        }
        None => Router::new()
            .route("/", get(dashboard))
            .route("/dashboard", get(dashboard)),
    };
    root.merge(crate::web_app::routes(browser, files.as_deref()))
        .route("/graphql", get(graphiql).post(graphql))
        .route("/graphql/ws", get(crate::ws::endpoint))
        .merge(crate::rest::routes())
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .layer(RequestBodyTimeoutLayer::new(
            std::time::Duration::from_millis(config.body_timeout_ms),
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            request_timeout,
        ))
        .layer(middleware::from_fn(crate::rest::errors::json_errors))
        .layer(cors)
        .with_state(state)
}

pub struct Gateway {
    pub config: GatewayConfig,
    pub pool: PgPool,
    pub kafka: KafkaSettings,
    pub chain_id: u8,
    pub package: AccountAddress,
    /// The deployment's payment lead (`settler.payment_ahead_secs`), for evidence checks.
    pub payment_ahead_secs: u64,
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
            sessions: Arc::new(Sessions::new(SessionLimits {
                session_secs: self.config.session_secs,
                max_sessions: self.config.max_sessions,
                max_nonces: self.config.max_nonces,
                nonces_per_minute: self.config.nonces_per_minute_per_client,
            })),
            chain,
            package: self.package,
            chain_id: self.chain_id,
            evidence: crate::evidence_check::EvidenceChecker::new(
                self.kafka.clone(),
                self.chain_id,
                self.package,
                self.payment_ahead_secs,
                self.config.evidence_checks_per_minute,
            ),
        };
        let app = app(&self.config, services);
        let listener = tokio::net::TcpListener::bind(self.config.listen)
            .await
            .map_err(GatewayError::Listen)?;
        let addr = listener.local_addr().map_err(GatewayError::Listen)?;
        let limits = ListenerLimits {
            header_read_timeout: std::time::Duration::from_millis(
                self.config.header_read_timeout_ms,
            ),
            max_connections: self.config.max_connections,
        };
        let server = tokio::spawn(computestream_runtime::http_listener::serve(
            listener,
            app,
            limits,
            "gateway",
            shutdown.clone(),
        ));
        let task = computestream_runtime::spawn_with_server(
            feed.clone()
                .run(self.feed_kafka(), self.health.clone(), shutdown),
            server,
        );
        tracing::info!(%addr, "gateway serving");
        Ok(RunningGateway { addr, feed, task })
    }
}
