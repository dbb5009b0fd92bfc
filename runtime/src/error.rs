use thiserror::Error;

/// Errors of the service plumbing.
#[derive(Debug, Error)]
pub enum RuntimeError {
    #[error("config file {path}: {reason}")]
    ConfigFile { path: String, reason: String },
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("telemetry: {0}")]
    Telemetry(String),
}

impl RuntimeError {
    /// Configuration and bind errors need an operator; none is retryable.
    pub fn is_retryable(&self) -> bool {
        false
    }
}
