//! Logging (`tracing`) and metrics (`metrics` with a Prometheus recorder).

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::RuntimeError;

/// Installs the `tracing` subscriber: `RUST_LOG` filters (default `info`), output to stderr.
/// Safe to call more than once (later calls do nothing).
pub fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Installs the `tracing` subscriber writing to `path` (appended, no colours) instead of
/// stderr: for commands whose terminal is a live display (the demo). Errors when the file
/// cannot be opened.
pub fn init_tracing_to_file(path: &std::path::Path) -> std::io::Result<()> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .with_target(false)
        .try_init();
    Ok(())
}

static PROMETHEUS: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide Prometheus recorder once and returns its handle.
pub fn prometheus() -> Result<PrometheusHandle, RuntimeError> {
    if let Some(h) = PROMETHEUS.get() {
        return Ok(h.clone());
    }
    let handle = PrometheusBuilder::new()
        .install_recorder()
        .map_err(|e| RuntimeError::Telemetry(e.to_string()))?;
    // `install_recorder` runs no upkeep: every histogram sample stays in memory until a
    // scrape drains it, so a process nobody scrapes grows without bound (the soak run found
    // the demo growing ~4 MiB a minute). Drain them on the builder's default schedule.
    let upkeep = handle.clone();
    std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || loop {
            std::thread::sleep(UPKEEP_EVERY);
            upkeep.run_upkeep();
        })
        .map_err(|e| RuntimeError::Telemetry(format!("metrics upkeep thread: {e}")))?;
    Ok(PROMETHEUS.get_or_init(|| handle).clone())
}

/// How often pending histogram samples are drained into their summaries
/// (`PrometheusBuilder::upkeep_timeout`'s default).
pub const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);
