//! The gateway's HTTP listener: HTTP/1.1 with a header-read timeout (slow or idle headers,
//! including an idle keep-alive connection, close the connection), a cap on connections
//! held at once (past it, new connections wait in the kernel's backlog), the client
//! address for the handlers (`ConnectInfo`), and a graceful stop. A WebSocket keeps its
//! connection's place until it closes. The request and body timeouts are layers of the
//! application (`service::app`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::{Extension, Router};
use computestream_runtime::Shutdown;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The listener's limits.
#[derive(Debug, Clone, Copy)]
pub struct ListenerLimits {
    pub header_read_timeout: Duration,
    pub max_connections: usize,
}

/// A connection's place under `max_connections`, in every request's extensions: the
/// WebSocket endpoint keeps it for the socket's life.
#[derive(Debug, Clone)]
pub struct ConnectionSlot(#[allow(dead_code)] pub Arc<OwnedSemaphorePermit>);

/// Serves `app` on `listener` until `shutdown`.
pub async fn serve(listener: TcpListener, app: Router, limits: ListenerLimits, shutdown: Shutdown) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        let permit = tokio::select! {
            _ = shutdown.wait() => return,
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
        };
        let (stream, peer) = tokio::select! {
            _ = shutdown.wait() => return,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: back off, do not spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        metrics::gauge!("computestream_gateway_connections").increment(1.0);
        let slot = ConnectionSlot(Arc::new(permit));
        let svc = TowerToHyperService::new(
            app.clone()
                .layer(Extension(ConnectInfo::<SocketAddr>(peer)))
                .layer(Extension(slot.clone())),
        );
        let stop = shutdown.clone();
        tokio::spawn(async move {
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
            metrics::gauge!("computestream_gateway_connections").decrement(1.0);
        });
    }
}
