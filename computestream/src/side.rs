//! What every service subcommand starts with: the process stop signal, the readiness
//! checks, and the `/healthz` + `/metrics` side port.

use std::net::SocketAddr;

use computestream_runtime::{side_port, telemetry, Health, Shutdown};

use crate::config::AppConfig;

/// A started side port.
pub struct Side {
    pub shutdown: Shutdown,
    pub health: Health,
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Side {
    /// Stops the process's services and waits for the side port to close.
    pub async fn stop(self) {
        self.shutdown.trigger();
        let _ = self.task.await;
    }
}

/// Fires the shutdown on SIGINT/SIGTERM and serves the side port on `cfg.side_port`.
pub async fn start(cfg: &AppConfig) -> anyhow::Result<Side> {
    start_with(cfg, true).await
}

/// [`start`]; with `on_signals` false the caller handles SIGINT itself (the demo winds
/// down its jobs before it stops the services).
pub async fn start_with(cfg: &AppConfig, on_signals: bool) -> anyhow::Result<Side> {
    let shutdown = Shutdown::new();
    if on_signals {
        shutdown.fire_on_signals();
    }
    let health = Health::new();
    let (addr, task) = side_port::serve(
        cfg.side_port,
        health.clone(),
        telemetry::prometheus()?,
        shutdown.clone(),
    )
    .await?;
    Ok(Side {
        shutdown,
        health,
        addr,
        task,
    })
}
