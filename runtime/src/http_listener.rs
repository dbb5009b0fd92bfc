//! The HTTP listener every public port runs on (the gateway, the facilitator, the
//! executor's x402 endpoint, the devnet's node API), with the limits that keep one client
//! from holding a service:
//!
//! - a header-read timeout: slow or idle headers, an idle keep-alive connection included,
//!   close the connection (hyper's `header_read_timeout`);
//! - a cap on connections held at once: past it, new connections wait in the kernel's
//!   backlog instead of costing memory here; a WebSocket keeps its connection's place
//!   ([`ConnectionSlot`]) until it closes;
//! - a body timeout (longest wait for the next piece of a body), a body size limit and a
//!   request timeout (headers read to response headers sent), layered by [`HttpLimits::apply`];
//!   a refusal is `408`/`413` with a JSON body `{"error": "...", "message": "..."}`.
//!
//! The client's address reaches handlers as `ConnectInfo<SocketAddr>`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::Shutdown;

/// A listener's limits (`[<service>.http]` in the configuration; the gateway keeps its own
/// keys under `[gateway]`). Defaults suit an API answering in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpLimits {
    /// Time a client has to send a request's headers, and how long an idle keep-alive
    /// connection stays open, milliseconds.
    pub header_read_timeout_ms: u64,
    /// Longest wait for the next piece of a request body, milliseconds (then `408`).
    pub body_timeout_ms: u64,
    /// Longest time from a request's headers to its response's headers, milliseconds (then
    /// `408`). A response body (an outputs download) streams after it.
    pub request_timeout_ms: u64,
    /// Connections held at once.
    pub max_connections: usize,
    /// Largest request body, bytes (then `413`).
    pub max_body_bytes: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read_timeout_ms: 10_000,
            body_timeout_ms: 10_000,
            request_timeout_ms: 30_000,
            max_connections: 4_096,
            max_body_bytes: 64 * 1024,
        }
    }
}

impl HttpLimits {
    /// Every limit must be at least 1; `section` names the table in the error
    /// (`"settler.http"`).
    pub fn validate(&self, section: &str) -> Result<(), String> {
        let checks = [
            ("header_read_timeout_ms", self.header_read_timeout_ms),
            ("body_timeout_ms", self.body_timeout_ms),
            ("request_timeout_ms", self.request_timeout_ms),
            ("max_connections", self.max_connections as u64),
            ("max_body_bytes", self.max_body_bytes as u64),
        ];
        match checks.iter().find(|(_, v)| *v == 0) {
            Some((k, _)) => Err(format!("{section}.{k} must be at least 1")),
            None => Ok(()),
        }
    }

    /// The listener-level part: header timeout and connection cap.
    pub fn listener(&self) -> ListenerLimits {
        ListenerLimits {
            header_read_timeout: Duration::from_millis(self.header_read_timeout_ms),
            max_connections: self.max_connections,
        }
    }

    /// `router` with the body limit, the body timeout and the request timeout.
    pub fn apply(&self, router: Router) -> Router {
        let timeout = Duration::from_millis(self.request_timeout_ms);
        router
            .layer(DefaultBodyLimit::max(self.max_body_bytes))
            .layer(RequestBodyLimitLayer::new(self.max_body_bytes))
            .layer(RequestBodyTimeoutLayer::new(Duration::from_millis(
                self.body_timeout_ms,
            )))
            .layer(axum::middleware::from_fn(
                move |req: Request, next: Next| request_timeout(timeout, req, next),
            ))
            .layer(axum::middleware::from_fn(json_refusals))
    }
}

async fn request_timeout(limit: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            metrics::counter!("computestream_http_timeouts_total", "what" => "request")
                .increment(1);
            refusal(StatusCode::REQUEST_TIMEOUT, "the request took too long")
        }
    }
}

/// The framework and the layers below answer a refusal with an empty or plain-text body
/// (a body that stopped arriving is a `400` "data was not received within the designated
/// timeout"): give every such error the JSON shape `{"error", "message"}` the services'
/// own errors have, and a stalled body its `408`.
async fn json_refusals(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    let json = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if json || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let text = match axum::body::to_bytes(resp.into_body(), 4096).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => String::new(),
    };
    if text.contains("designated timeout") {
        metrics::counter!("computestream_http_timeouts_total", "what" => "body").increment(1);
        return refusal(
            StatusCode::REQUEST_TIMEOUT,
            "the request body arrived too slowly",
        );
    }
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("refused").to_owned()
    } else {
        text
    };
    refusal(status, &message)
}

fn refusal(status: StatusCode, message: &str) -> Response {
    let error = status
        .canonical_reason()
        .unwrap_or("error")
        .to_ascii_lowercase()
        .replace([' ', '-'], "_");
    (
        status,
        axum::Json(serde_json::json!({ "error": error, "message": message })),
    )
        .into_response()
}

/// The listener's own limits.
#[derive(Debug, Clone, Copy)]
pub struct ListenerLimits {
    pub header_read_timeout: Duration,
    pub max_connections: usize,
}

/// A connection's place under `max_connections`, in every request's extensions: a
/// WebSocket endpoint keeps it for the socket's life.
#[derive(Debug, Clone)]
pub struct ConnectionSlot(#[allow(dead_code)] pub Arc<OwnedSemaphorePermit>);

/// Serves `app` on `listener` until `shutdown`, then waits (at most 30 s) for its open
/// connections to finish the requests in flight; `name` labels the connection gauge
/// `computestream_http_connections{listener}`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ListenerLimits,
    name: &'static str,
    shutdown: Shutdown,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let connections = tokio_util::task::TaskTracker::new();
    loop {
        let permit = tokio::select! {
            _ = shutdown.wait() => break,
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            _ = shutdown.wait() => break,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: back off, do not spin.
                    tracing::warn!(listener = name, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let gauge = metrics::gauge!("computestream_http_connections", "listener" => name);
        gauge.increment(1.0);
        let slot = ConnectionSlot(Arc::new(permit));
        let svc = TowerToHyperService::new(
            app.clone()
                .layer(Extension(ConnectInfo::<SocketAddr>(peer)))
                .layer(Extension(slot.clone())),
        );
        let stop = shutdown.clone();
        connections.spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
            let conn = builder
                .serve_connection(TokioIo::new(stream), svc)
                .with_upgrades();
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.wait() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            drop(slot);
            gauge.decrement(1.0);
        });
    }
    // A graceful stop: the open connections finish their requests in flight and close
    // (idle keep-alive ones at once), so nothing is answered after `serve` returns.
    connections.close();
    if tokio::time::timeout(GRACE, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            listener = name,
            "connections still open after the grace period"
        );
    }
}

/// How long a stopping listener waits for its connections' requests in flight.
const GRACE: Duration = Duration::from_secs(30);
