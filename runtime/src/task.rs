//! Running a service together with the HTTP server it owns.

use std::future::Future;

use tokio::task::JoinHandle;

/// Spawns `service` with the `server` it owns: when the service fails, the server is
/// aborted; when it ends cleanly (after the shutdown, which also stops the server), the
/// server is awaited.
pub fn spawn_with_server<E: Send + 'static>(
    service: impl Future<Output = Result<(), E>> + Send + 'static,
    server: JoinHandle<()>,
) -> JoinHandle<Result<(), E>> {
    tokio::spawn(async move {
        let r = service.await;
        if r.is_err() {
            server.abort();
        } else {
            let _ = server.await;
        }
        r
    })
}
