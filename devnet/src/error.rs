use thiserror::Error;

/// Errors of the devnet service.
#[derive(Debug, Error)]
pub enum DevnetError {
    #[error("devnet configuration: {0}")]
    Config(String),
    #[error("devnet journal: {0}")]
    Journal(String),
    #[error("faucet: {0}")]
    Faucet(String),
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("devnet ledger: {0}")]
    Ledger(String),
    #[error("devnet state lock poisoned by an earlier panic")]
    Poisoned,
}

impl DevnetError {
    /// Nothing here heals by retrying: configuration, a corrupt journal and a poisoned lock
    /// need an operator.
    pub fn is_retryable(&self) -> bool {
        matches!(self, DevnetError::Bind { .. })
    }
}
