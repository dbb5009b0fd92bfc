use thiserror::Error;

use crate::SourceError;

/// Why the indexer stopped.
#[derive(Debug, Error)]
pub enum IndexerError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("the log was built from chain {log_chain} / package {log_package}, this indexer is configured for chain {chain} / package {package}")]
    WrongLog {
        log_chain: u8,
        log_package: String,
        chain: u8,
        package: String,
    },
    #[error("refused: indexing from version {from} would skip versions {next}..{from} (the log ends before {next}); pass --accept-gap to proceed anyway")]
    Gap { from: u64, next: u64 },
    #[error("the node serves chain {node}, this indexer is configured for chain {configured}")]
    WrongChain { node: u8, configured: u8 },
    #[error("chain source: {0}")]
    Source(#[from] SourceError),
    #[error("event log: {0}")]
    Log(#[from] computestream_eventlog::EventLogError),
    #[error("checkpoint record is unreadable: {0}")]
    Checkpoint(String),
}

impl IndexerError {
    pub fn is_retryable(&self) -> bool {
        match self {
            IndexerError::Source(e) => e.is_retryable(),
            IndexerError::Log(e) => e.is_retryable(),
            _ => false,
        }
    }
}
