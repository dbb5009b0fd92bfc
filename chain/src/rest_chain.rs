//! A Movement node over its REST API, through aptos-sdk's `FullnodeClient`.

use std::time::Duration;

use aptos_sdk::api::FullnodeClient;
use aptos_sdk::retry::RetryConfig;
use aptos_sdk::transaction::SignedTransaction;
use aptos_sdk::types::HashValue;
use aptos_sdk::{AptosConfig, AptosError};
use computestream_domain::{AccountAddress, Octas, StructTag};
use serde_json::Value;

use crate::{ChainError, Committed, Ledger};

/// The node REST API. Retries are the settler's (with backoff, metrics and the knowledge
/// that resubmitting is harmless), so the client's are off.
#[derive(Debug, Clone)]
pub struct RestChain {
    client: FullnodeClient,
    package: AccountAddress,
}

impl RestChain {
    pub fn new(
        node_url: &str,
        package: AccountAddress,
        timeout: Duration,
    ) -> Result<Self, ChainError> {
        let config = AptosConfig::custom(node_url)
            .map_err(|e| ChainError::Malformed(format!("node url {node_url}: {e}")))?
            .with_timeout(timeout)
            .with_retry(RetryConfig::no_retry());
        let client =
            FullnodeClient::new(config).map_err(|e| ChainError::Malformed(e.to_string()))?;
        Ok(RestChain { client, package })
    }
}

fn classify(e: AptosError) -> ChainError {
    match e {
        AptosError::Http(h) if h.is_timeout() => ChainError::Timeout(h.to_string()),
        AptosError::Http(h) => ChainError::Unavailable(h.to_string()),
        AptosError::RateLimited { .. } => ChainError::Unavailable("rate limited (429)".into()),
        AptosError::Api {
            status_code,
            message,
            ..
        } if status_code >= 500 || status_code == 429 => {
            ChainError::Unavailable(format!("HTTP {status_code}: {message}"))
        }
        AptosError::Api {
            message,
            vm_error_code,
            error_code,
            status_code,
        } => ChainError::Rejected {
            vm_error_code,
            message: format!(
                "HTTP {status_code} {}: {message}",
                error_code.unwrap_or_default()
            ),
        },
        AptosError::Json(j) => ChainError::Malformed(j.to_string()),
        other => ChainError::Unavailable(other.to_string()),
    }
}

fn num(v: &Value, field: &str) -> Result<u64, ChainError> {
    v.get(field)
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ChainError::Malformed(format!("transaction field {field}")))
}

impl RestChain {
    fn parse_committed(&self, t: &Value) -> Result<Committed, ChainError> {
        let mut settled = Vec::new();
        let mut closed = Vec::new();
        let mut jobs_created = Vec::new();
        for e in t
            .get("events")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let ty = e.get("type").and_then(Value::as_str).unwrap_or_default();
            let data = e.get("data").unwrap_or(&Value::Null);
            // Compared as an address: the node drops the address's leading zeros. A type that
            // does not parse is not one of these three (the indexer dead-letters it).
            let Ok(tag) = StructTag::parse(ty) else {
                continue;
            };
            let pkg = &self.package;
            if tag.is(pkg, "payment_stream", "StreamSettled") {
                settled.push((
                    num(data, "stream_id")?,
                    Octas(num(data, "paid_now")?),
                    Octas(num(data, "paid_total")?),
                ));
            } else if tag.is(pkg, "job_registry", "JobCreated") {
                jobs_created.push(num(data, "job_id")?);
            } else if tag.is(pkg, "payment_stream", "StreamClosed") {
                closed.push((
                    num(data, "stream_id")?,
                    Octas(num(data, "final_payment")?),
                    Octas(num(data, "paid_total")?),
                ));
            }
        }
        Ok(Committed {
            version: num(t, "version")?,
            success: t.get("success").and_then(Value::as_bool).unwrap_or(false),
            vm_status: t
                .get("vm_status")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            gas_used: num(t, "gas_used")?,
            settled,
            closed,
            jobs_created,
        })
    }
}

impl RestChain {
    pub async fn ledger(&self) -> Result<Ledger, ChainError> {
        let info = self.client.get_ledger_info().await.map_err(classify)?.data;
        let micros: u64 = info.ledger_timestamp.parse().map_err(|_| {
            ChainError::Malformed(format!("ledger_timestamp {:?}", info.ledger_timestamp))
        })?;
        let version: u64 = info.ledger_version.parse().map_err(|_| {
            ChainError::Malformed(format!("ledger_version {:?}", info.ledger_version))
        })?;
        Ok(Ledger {
            chain_id: info.chain_id,
            version,
            timestamp_secs: micros / 1_000_000,
        })
    }

    pub async fn sequence_number(&self, account: AccountAddress) -> Result<u64, ChainError> {
        let addr = aptos_sdk::types::AccountAddress::from_hex(account.to_long_string())
            .map_err(|e| ChainError::Malformed(e.to_string()))?;
        match self.client.get_sequence_number(addr).await {
            Ok(n) => Ok(n),
            // An account that never sent anything and holds nothing: sequence number 0.
            Err(AptosError::Api {
                status_code: 404, ..
            })
            | Err(AptosError::AccountNotFound(_)) => Ok(0),
            Err(e) => Err(classify(e)),
        }
    }

    pub async fn gas_unit_price(&self) -> Result<u64, ChainError> {
        Ok(self
            .client
            .estimate_gas_price()
            .await
            .map_err(classify)?
            .data
            .gas_estimate)
    }

    pub async fn submit(&self, txn: &SignedTransaction) -> Result<(), ChainError> {
        self.client
            .submit_transaction(txn)
            .await
            .map(|_| ())
            .map_err(classify)
    }

    /// Calls the package's view function `module::function` with JSON arguments.
    pub async fn view(
        &self,
        module: &str,
        function: &str,
        args: Vec<Value>,
    ) -> Result<Vec<Value>, ChainError> {
        let f = format!("{}::{module}::{function}", self.package.to_long_string());
        self.client
            .view(&f, Vec::new(), args)
            .await
            .map(|r| r.data)
            .map_err(classify)
    }

    pub async fn committed(&self, hash: &str) -> Result<Option<Committed>, ChainError> {
        let h = HashValue::from_hex(hash).map_err(|e| ChainError::Malformed(e.to_string()))?;
        match self.client.get_transaction_by_hash(&h).await {
            Ok(r) => {
                let t = r.data;
                if t.get("type").and_then(Value::as_str) == Some("pending_transaction")
                    || t.get("version").is_none()
                {
                    return Ok(None);
                }
                self.parse_committed(&t).map(Some)
            }
            Err(AptosError::Api {
                status_code: 404, ..
            })
            | Err(AptosError::NotFound(_)) => Ok(None),
            Err(e) => Err(classify(e)),
        }
    }
}
