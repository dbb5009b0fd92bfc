//! Service plumbing every ComputeStream service shares, and nothing else:
//!
//! - [`config`]: one TOML file plus `COMPUTESTREAM_*` environment variables, validated at
//!   start; [`Secret`] values never reach a log;
//! - [`Shutdown`]: one cancellation token per process, fired by SIGINT/SIGTERM;
//! - [`telemetry`]: `tracing` subscriber and the Prometheus recorder;
//! - [`side_port`]: the `/healthz` and `/metrics` HTTP server on a side port, with
//!   [`Health`] checks services register.

pub mod config;
mod error;
mod health;
mod secret;
mod shutdown;
pub mod side_port;
pub mod telemetry;

pub use error::RuntimeError;
pub use health::{Health, HealthCheck};
pub use secret::Secret;
pub use shutdown::Shutdown;
