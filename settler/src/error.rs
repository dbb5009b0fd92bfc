pub use computestream_chain::{vm_status, ChainError};
use computestream_eventlog::EventLogError;
use thiserror::Error;

/// Errors of the settler. [`SettlerError::is_retryable`] tells the caller whether running
/// again can help.
#[derive(Debug, Error)]
pub enum SettlerError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("the node reports chain id {got}, the settler is configured for {expected}")]
    WrongChain { expected: u8, got: u8 },
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error(transparent)]
    Log(#[from] EventLogError),
    #[error("facilitator endpoint: {0}")]
    Listen(std::io::Error),
    #[error("building a transaction: {0}")]
    Build(String),
}

impl SettlerError {
    pub fn is_retryable(&self) -> bool {
        match self {
            SettlerError::Chain(c) => c.is_retryable(),
            SettlerError::Log(l) => l.is_retryable(),
            SettlerError::Listen(_) => true,
            SettlerError::Config(_) | SettlerError::WrongChain { .. } | SettlerError::Build(_) => {
                false
            }
        }
    }
}
