use computestream_chain::ChainError;
use computestream_eventlog::EventLogError;
use thiserror::Error;

use crate::container::ContainerError;

/// Errors of the executor, each retryable or not.
#[derive(Debug, Error)]
pub enum ExecutorError {
    #[error("configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Runtime(#[from] ContainerError),
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error(transparent)]
    Log(#[from] EventLogError),
    #[error("artifacts: {0}")]
    Artifacts(String),
    /// A job's outputs passed its quota (`executor.sandbox.output_max_mb` /
    /// `output_max_files`): they are not stored, and the job fails with this reason.
    #[error("{0}")]
    OutputsQuota(String),
    #[error("x402 endpoint: {0}")]
    Listen(std::io::Error),
    #[error("job directory: {0}")]
    Io(#[from] std::io::Error),
}

impl ExecutorError {
    pub fn is_retryable(&self) -> bool {
        match self {
            ExecutorError::Runtime(r) => r.is_retryable(),
            ExecutorError::Chain(c) => c.is_retryable(),
            ExecutorError::Log(l) => l.is_retryable(),
            ExecutorError::Artifacts(_) | ExecutorError::Listen(_) | ExecutorError::Io(_) => true,
            ExecutorError::Config(_) | ExecutorError::OutputsQuota(_) => false,
        }
    }
}
