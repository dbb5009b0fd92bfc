use std::time::Duration;

use aptos_sdk::api::FullnodeClient;
use aptos_sdk::retry::RetryConfig;
use aptos_sdk::{AptosConfig, AptosError};
use computestream_nodeapi::Transaction;

use crate::source::{check_contiguous, ChainSource, LedgerHead, SourceError};

/// The node REST API through aptos-sdk's client. Retries are the indexer's business (with
/// its own backoff and metrics), so the client's are off.
#[derive(Debug, Clone)]
pub struct RestSource {
    client: FullnodeClient,
}

impl RestSource {
    pub fn new(node_url: &str, timeout: Duration) -> Result<Self, SourceError> {
        let config = AptosConfig::custom(node_url)
            .map_err(|e| SourceError::Refused(format!("node url {node_url}: {e}")))?
            .with_timeout(timeout)
            .with_retry(RetryConfig::no_retry());
        let client =
            FullnodeClient::new(config).map_err(|e| SourceError::Refused(e.to_string()))?;
        Ok(RestSource { client })
    }
}

fn classify(e: AptosError) -> SourceError {
    match e {
        AptosError::RateLimited { retry_after_secs } => SourceError::RateLimited {
            retry_after: retry_after_secs.map(Duration::from_secs),
        },
        AptosError::Http(h) if h.is_timeout() => SourceError::Timeout,
        AptosError::Http(h) => SourceError::Unavailable(h.to_string()),
        AptosError::Json(j) => SourceError::Malformed(j.to_string()),
        AptosError::Api {
            status_code,
            message,
            ..
        } if status_code >= 500 => {
            SourceError::Unavailable(format!("HTTP {status_code}: {message}"))
        }
        AptosError::Api {
            status_code: 429, ..
        } => SourceError::RateLimited { retry_after: None },
        AptosError::Api {
            error_code: Some(code),
            ..
        } if code == "RESPONSE_TOO_LARGE" => SourceError::TooLarge,
        AptosError::Api {
            status_code: 413, ..
        } => SourceError::TooLarge,
        AptosError::Api {
            status_code,
            message,
            error_code,
            ..
        } => SourceError::Refused(format!(
            "HTTP {status_code} {}: {message}",
            error_code.unwrap_or_default()
        )),
        other => SourceError::Unavailable(other.to_string()),
    }
}

impl ChainSource for RestSource {
    async fn head(&self) -> Result<LedgerHead, SourceError> {
        let info = self.client.get_ledger_info().await.map_err(classify)?.data;
        let num = |field: &'static str, s: &str| {
            s.parse::<u64>()
                .map_err(|_| SourceError::Malformed(format!("ledger info {field} {s:?}")))
        };
        Ok(LedgerHead {
            chain_id: info.chain_id,
            ledger_version: num("ledger_version", &info.ledger_version)?,
            oldest_ledger_version: num("oldest_ledger_version", &info.oldest_ledger_version)?,
            ledger_timestamp_us: num("ledger_timestamp", &info.ledger_timestamp)?,
        })
    }

    /// One page; when the node (or the client's response limit) finds it too large, the
    /// range is fetched in smaller pieces and joined, so a run of large transactions never
    /// stalls the indexer.
    async fn page(&self, start: u64, limit: u16) -> Result<Vec<Transaction>, SourceError> {
        let mut out: Vec<Transaction> = Vec::new();
        let mut chunk = limit;
        while out.len() < usize::from(limit) {
            let at = start + out.len() as u64;
            let want = chunk.min(limit - out.len() as u16);
            match self.fetch(at, want).await {
                Ok(p) => {
                    let short = p.len() < usize::from(want);
                    out.extend(p);
                    if short {
                        break;
                    }
                }
                Err(SourceError::TooLarge) if want > 1 => chunk = want / 2,
                // What was read is good; the caller retries the rest.
                Err(e) if !out.is_empty() && e.is_retryable() => break,
                Err(e) => return Err(e),
            }
        }
        check_contiguous(start, &out)?;
        Ok(out)
    }
}

impl RestSource {
    async fn fetch(&self, start: u64, limit: u16) -> Result<Vec<Transaction>, SourceError> {
        let values = match self.client.get_transactions(Some(start), Some(limit)).await {
            Ok(r) => r.data,
            Err(AptosError::Api {
                status_code: 404, ..
            }) => return Err(SourceError::NotYet(start)),
            Err(AptosError::Api {
                status_code: 410,
                message,
                ..
            }) => return Err(SourceError::Refused(format!("pruned: {message}"))),
            Err(e) => return Err(classify(e)),
        };
        let page = values
            .into_iter()
            .map(Transaction::from_value)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SourceError::Malformed(e.to_string()))?;
        Ok(page)
    }
}
