//! The buyer's side of the x402 flow: pays a job second by second with cumulative
//! vouchers. Used by `computestream buy`, the demo and the tests.
//!
//! The client keeps its own record of what it has committed per stream (the scheme's rule:
//! a server's claims are never copied into it); on its first request for a stream it adopts
//! the amount the 402 reports as charged, as a client with no local state does.

use std::collections::HashMap;
use std::sync::Mutex;

use computestream_domain::{AccountAddress, Octas, SigningKey, Voucher};
use computestream_schemas::x402::{
    self, header, BatchPayload, PaymentPayload, PaymentRequired, PaymentRequirements,
    SettleResponse, VoucherPayload,
};
use thiserror::Error;

use crate::headers;

#[derive(Debug, Error)]
pub enum BuyerError {
    #[error("executor unreachable: {0}")]
    Http(String),
    /// The executor refused the payment, with the x402 reason.
    #[error("payment refused: {0}")]
    Refused(String),
    #[error("unexpected answer: {0}")]
    Protocol(String),
}

impl BuyerError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, BuyerError::Http(_))
    }
}

/// One paid second: the executor's settlement response and the resource's body.
#[derive(Debug, Clone)]
pub struct Paid {
    pub response: SettleResponse,
    pub body: serde_json::Value,
    pub cumulative: Octas,
}

#[derive(Debug)]
pub struct Buyer {
    http: reqwest::Client,
    key: SigningKey,
    chain_id: u8,
    package: AccountAddress,
    /// Per job: the requirements and the cumulative amount committed so far.
    state: Mutex<HashMap<u64, (PaymentRequirements, Octas)>>,
}

impl Buyer {
    pub fn new(key: SigningKey, chain_id: u8, package: AccountAddress) -> Self {
        computestream_chain::install_tls_provider();
        Buyer {
            http: reqwest::Client::new(),
            key,
            chain_id,
            package,
            state: Mutex::new(HashMap::new()),
        }
    }

    fn known(&self, job_id: u64) -> Option<(PaymentRequirements, Octas)> {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&job_id)
            .cloned()
    }

    fn remember(&self, job_id: u64, reqs: PaymentRequirements, committed: Octas) {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(job_id, (reqs, committed));
    }

    /// The executor's 402 for the job: its requirements.
    async fn requirements(&self, url: &str) -> Result<PaymentRequirements, BuyerError> {
        let r = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| BuyerError::Http(e.to_string()))?;
        if r.status() != reqwest::StatusCode::PAYMENT_REQUIRED {
            return Err(BuyerError::Protocol(format!(
                "expected 402, got {}",
                r.status()
            )));
        }
        let h = r
            .headers()
            .get(header::PAYMENT_REQUIRED)
            .ok_or_else(|| BuyerError::Protocol("402 without PAYMENT-REQUIRED".into()))?;
        let required: PaymentRequired =
            headers::decode(h.as_bytes()).map_err(BuyerError::Protocol)?;
        let network = x402::network(self.chain_id);
        required
            .accepts
            .into_iter()
            .find(|a| a.scheme == x402::SCHEME && a.network == network)
            .ok_or_else(|| {
                BuyerError::Protocol("no batch-settlement offer for this network".into())
            })
    }

    /// Pays one more second of `job_id` at `executor_url` and returns what it bought.
    pub async fn pay_second(&self, executor_url: &str, job_id: u64) -> Result<Paid, BuyerError> {
        let url = format!("{}/jobs/{job_id}", executor_url.trim_end_matches('/'));
        let (reqs, committed) = match self.known(job_id) {
            Some(k) => k,
            None => {
                let reqs = self.requirements(&url).await?;
                let charged = reqs
                    .extra
                    .charged_cumulative_amount
                    .as_deref()
                    .unwrap_or("0")
                    .parse::<Octas>()
                    .map_err(|e| BuyerError::Protocol(e.to_string()))?;
                (reqs, charged)
            }
        };
        let price: Octas = reqs
            .amount
            .parse()
            .map_err(|e| BuyerError::Protocol(format!("amount: {e}")))?;
        let stream_id: u64 = reqs
            .extra
            .stream_id
            .parse()
            .map_err(|_| BuyerError::Protocol("extra.streamId".into()))?;
        let cumulative = committed
            .checked_add(price)
            .map_err(|e| BuyerError::Protocol(e.to_string()))?;
        let voucher = Voucher {
            chain_id: self.chain_id,
            package: self.package,
            stream_id,
            cumulative_amount: cumulative,
        }
        .sign(&self.key);
        let payload = PaymentPayload {
            x402_version: x402::X402_VERSION,
            resource: None,
            accepted: reqs.clone(),
            payload: BatchPayload {
                kind: "voucher".into(),
                voucher: VoucherPayload::from_signed(&voucher),
            },
        };
        let r = self
            .http
            .get(&url)
            .header(header::PAYMENT_SIGNATURE, headers::encode(&payload))
            .send()
            .await
            .map_err(|e| BuyerError::Http(e.to_string()))?;
        let status = r.status();
        let response: Option<SettleResponse> = r
            .headers()
            .get(header::PAYMENT_RESPONSE)
            .and_then(|h| headers::decode(h.as_bytes()).ok());
        let required: Option<PaymentRequired> = r
            .headers()
            .get(header::PAYMENT_REQUIRED)
            .and_then(|h| headers::decode(h.as_bytes()).ok());
        if status != reqwest::StatusCode::OK {
            // Forget the cached terms: the next attempt starts from a fresh 402.
            self.state
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&job_id);
            let why = response
                .and_then(|s| s.error_reason)
                .or_else(|| required.and_then(|p| p.error))
                .unwrap_or_else(|| status.to_string());
            return Err(BuyerError::Refused(why));
        }
        let response =
            response.ok_or_else(|| BuyerError::Protocol("200 without PAYMENT-RESPONSE".into()))?;
        let body = r
            .json()
            .await
            .map_err(|e| BuyerError::Protocol(e.to_string()))?;
        self.remember(job_id, reqs, cumulative);
        Ok(Paid {
            response,
            body,
            cumulative,
        })
    }
}
