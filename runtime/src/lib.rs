//! Service plumbing every ComputeStream service shares, and nothing else:
//!
//! - [`config`]: one TOML file plus `COMPUTESTREAM_*` environment variables, validated at
//!   start; [`Secret`] values never reach a log;
//! - [`now_ms`]: the wall clock, read in one place;
//! - [`Shutdown`]: one cancellation token per process, fired by SIGINT/SIGTERM;
//! - [`telemetry`]: `tracing` subscriber and the Prometheus recorder;
//! - [`http_listener`]: the public HTTP listener with its timeouts and connection cap;
//! - [`dependency`]: probes of the broker, PostgreSQL and the node that set readiness and
//!   log one line per outage, and the [`dependency::Backoff`] retries use;
//! - [`ride_out`]: a service stopped by a retryable error starts again in-process after a
//!   backoff;
//! - [`side_port`]: the `/healthz` and `/metrics` HTTP server on a side port, with
//!   [`Health`] checks services register.

mod clock;
pub mod config;
pub mod dependency;
mod error;
mod health;
pub mod http_listener;
pub mod ride_out;
mod secret;
mod shutdown;
pub mod side_port;
mod task;
pub mod telemetry;

pub use clock::now_ms;
pub use error::RuntimeError;
pub use health::{Health, HealthCheck};
pub use secret::Secret;
pub use shutdown::Shutdown;
pub use task::spawn_with_server;
