use std::time::Duration;

use computestream_nodeapi::Transaction;
use thiserror::Error;

/// Where the node's ledger stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerHead {
    pub chain_id: u8,
    pub ledger_version: u64,
    pub oldest_ledger_version: u64,
    /// Microseconds since the Unix epoch.
    pub ledger_timestamp_us: u64,
}

/// Why a read from the node failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SourceError {
    #[error("rate limited by the node (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    #[error("the node did not answer in time")]
    Timeout,
    #[error("the node is unavailable: {0}")]
    Unavailable(String),
    #[error("version {version} is pruned: the node's oldest version is {oldest}; start from a snapshot or another node")]
    Pruned { version: u64, oldest: u64 },
    #[error("version {0} is not committed yet")]
    NotYet(u64),
    #[error("malformed node response: {0}")]
    Malformed(String),
    #[error("the node refused the request: {0}")]
    Refused(String),
    #[error("the page is larger than the response limit")]
    TooLarge,
}

impl SourceError {
    /// Transient faults are retried with backoff; pruning, refusals and malformed answers
    /// stop the indexer with this message (a bad page is never skipped: that would lose
    /// versions).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            SourceError::RateLimited { .. }
                | SourceError::Timeout
                | SourceError::Unavailable(_)
                | SourceError::NotYet(_)
        )
    }

    /// Metric label.
    pub fn kind(&self) -> &'static str {
        match self {
            SourceError::RateLimited { .. } => "rate_limited",
            SourceError::Timeout => "timeout",
            SourceError::Unavailable(_) => "unavailable",
            SourceError::Pruned { .. } => "pruned",
            SourceError::NotYet(_) => "not_yet",
            SourceError::Malformed(_) => "malformed",
            SourceError::Refused(_) => "refused",
            SourceError::TooLarge => "too_large",
        }
    }
}

/// The chain, as the indexer needs it: the head, and committed transactions by version.
/// Owned by the indexer; [`crate::RestSource`] is the real adapter.
pub trait ChainSource: Send + Sync {
    fn head(&self) -> impl std::future::Future<Output = Result<LedgerHead, SourceError>> + Send;

    /// Committed transactions `start..start+limit` (fewer at the head). Implementations
    /// check that the page starts at `start` and has no gaps.
    fn page(
        &self,
        start: u64,
        limit: u16,
    ) -> impl std::future::Future<Output = Result<Vec<Transaction>, SourceError>> + Send;
}

/// Checks that `page` is `start, start+1, ...` without gaps; returns the versions.
pub fn check_contiguous(start: u64, page: &[Transaction]) -> Result<(), SourceError> {
    for (i, t) in page.iter().enumerate() {
        let v = t.version().ok_or_else(|| {
            SourceError::Malformed(format!("transaction {i} of the page has no version"))
        })?;
        let v: u64 = v
            .parse()
            .map_err(|_| SourceError::Malformed(format!("version {v:?} is not a u64")))?;
        let expected = start + i as u64;
        if v != expected {
            return Err(SourceError::Malformed(format!(
                "page from {start} has version {v} where {expected} was expected (a gap)"
            )));
        }
    }
    Ok(())
}
