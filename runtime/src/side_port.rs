//! The side port every service exposes: `GET /healthz` and `GET /metrics` (Prometheus text).

use std::net::SocketAddr;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::http_listener::{self, HttpLimits};
use crate::{Health, RuntimeError, Shutdown};

#[derive(Clone)]
struct SideState {
    health: Health,
    metrics: PrometheusHandle,
}

/// Binds `addr` and serves `/healthz` and `/metrics` until `shutdown` fires.
/// Returns the bound address (useful with port 0) and the server task.
pub async fn serve(
    addr: SocketAddr,
    health: Health,
    metrics: PrometheusHandle,
    shutdown: Shutdown,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), RuntimeError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| RuntimeError::Bind {
            addr: addr.to_string(),
            source,
        })?;
    let bound = listener.local_addr().map_err(|source| RuntimeError::Bind {
        addr: addr.to_string(),
        source,
    })?;
    // The public ports' listener (header timeout, connection cap): a scraper that stalls
    // cannot hold it. Its answers stay plain text (probes and Prometheus read them).
    let limits = HttpLimits::default();
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(render_metrics))
        .with_state(SideState { health, metrics });
    let task = tokio::spawn(http_listener::serve(
        listener,
        app,
        limits.listener(),
        "side",
        shutdown,
    ));
    Ok((bound, task))
}

async fn healthz(State(s): State<SideState>) -> (StatusCode, String) {
    let (healthy, body) = s.health.report();
    let code = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, body)
}

async fn render_metrics(State(s): State<SideState>) -> String {
    s.metrics.render()
}
