use tokio_util::sync::CancellationToken;

/// The process-wide stop signal. Services take a clone in `run(config, shutdown)`, stop
/// accepting work when it fires, drain what is in flight, and return.
#[derive(Debug, Clone, Default)]
pub struct Shutdown(CancellationToken);

impl Shutdown {
    pub fn new() -> Self {
        Self::default()
    }

    /// Fires this token on SIGINT (Ctrl-C) or SIGTERM. Spawns a task; call once per process.
    pub fn fire_on_signals(&self) {
        let token = self.0.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutdown signal received");
            token.cancel();
        });
    }

    pub fn trigger(&self) {
        self.0.cancel();
    }

    pub fn is_triggered(&self) -> bool {
        self.0.is_cancelled()
    }

    /// Completes when shutdown has been triggered.
    pub async fn wait(&self) {
        self.0.cancelled().await;
    }

    /// A child that fires with this one but can also be fired alone (one service of many).
    pub fn child(&self) -> Shutdown {
        Shutdown(self.0.child_token())
    }
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
