//! The buyer's side of the x402 flow: pays a job with cumulative vouchers for the seconds
//! served plus a small lead, catching up in one voucher after a stall. Used by
//! `computestream buy`, the demo and the tests.

use std::collections::HashMap;
use std::sync::Mutex;

use computestream_domain::{AccountAddress, Octas, SigningKey, Voucher};
use computestream_schemas::x402::{
    self, header, BatchPayload, PaymentPayload, PaymentRequired, PaymentRequirements,
    SettleResponse, VoucherPayload,
};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum BuyerError {
    #[error("executor unreachable: {0}")]
    Http(String),
    /// The executor refused the payment, with the x402 reason.
    #[error("payment refused: {0}")]
    Refused(String),
    /// The executor does not know the job or its stream yet (404): the log has not told it
    /// yet; try again.
    #[error("not known to the executor yet: {0}")]
    NotYet(String),
    #[error("unexpected answer: {0}")]
    Protocol(String),
    /// The outputs received are not the ones the chain records (CIDv1 differs).
    #[error("the outputs received have CID {received}, the chain records {expected}")]
    OutputsMismatch { expected: String, received: String },
}

impl BuyerError {
    /// Worth another try next second: the executor was unreachable, busy with another payment
    /// of the stream, had not stored the commitment, or the amounts moved between the 402 and
    /// the payment (the next try starts from a fresh 402).
    pub fn is_retryable(&self) -> bool {
        match self {
            BuyerError::Http(_) | BuyerError::NotYet(_) => true,
            BuyerError::Refused(r) => matches!(
                r.as_str(),
                x402::reason::CHANNEL_BUSY
                    | x402::reason::COMMITMENT_NOT_STORED
                    | x402::reason::CUMULATIVE_AMOUNT_MISMATCH
            ),
            BuyerError::Protocol(_) | BuyerError::OutputsMismatch { .. } => false,
        }
    }
}

/// What one payment bought: the executor's settlement response, the resource's body (the
/// job's status, seconds served, logs), and the cumulative amount now committed.
#[derive(Debug, Clone)]
pub struct Paid {
    pub response: SettleResponse,
    pub body: serde_json::Value,
    pub cumulative: Octas,
}

/// What a call to [`Buyer::pay_due`] did.
#[derive(Debug, Clone)]
pub enum Payment {
    /// A voucher was accepted.
    Paid(Box<Paid>),
    /// Nothing is due yet (the buyer is as far ahead as it pays).
    NothingDue,
    /// The job has ended: nothing more will be due. Its final state (status, seconds served,
    /// outputs), as the executor answers for an ended job without payment.
    Ended(serde_json::Value),
}

/// How far ahead of the seconds served a buyer pays, unless told otherwise.
pub const DEFAULT_LEAD_SECS: u64 = 2;

/// The longest a payment's request may take: a request stuck on a busy or unreachable
/// executor fails, and the next turn pays everything served so far in one voucher.
pub const PAYMENT_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug)]
pub struct Buyer {
    http: reqwest::Client,
    key: SigningKey,
    chain_id: u8,
    package: AccountAddress,
    lead_secs: u64,
    /// Per job: the cumulative amount this buyer has committed so far.
    committed: Mutex<HashMap<u64, Octas>>,
    /// Per job: the largest cumulative amount this buyer signed and sent, answered or not.
    signed: Mutex<HashMap<u64, Octas>>,
}

/// The terms a 402 states for the next payment.
struct Due {
    reqs: PaymentRequirements,
    stream_id: u64,
    price: Octas,
    charged: Octas,
    served: Option<u64>,
    max: Option<Octas>,
}

fn parse<T: std::str::FromStr>(v: &str, what: &str) -> Result<T, BuyerError> {
    v.parse()
        .map_err(|_| BuyerError::Protocol(format!("{what} {v:?} is not a number")))
}

impl Due {
    fn of(reqs: PaymentRequirements) -> Result<Due, BuyerError> {
        let x = &reqs.extra;
        fn opt<T: std::str::FromStr>(
            v: &Option<String>,
            what: &str,
        ) -> Result<Option<T>, BuyerError> {
            v.as_deref().map(|v| parse(v, what)).transpose()
        }
        Ok(Due {
            stream_id: parse(&x.stream_id, "extra.streamId")?,
            price: parse(&reqs.amount, "amount")?,
            charged: opt(
                &x.charged_cumulative_amount,
                "extra.chargedCumulativeAmount",
            )?
            .unwrap_or(Octas::ZERO),
            served: opt(&x.served_seconds, "extra.servedSeconds")?,
            max: opt(&x.max_cumulative_amount, "extra.maxCumulativeAmount")?,
            reqs,
        })
    }

    /// The cumulative amount to pay now: the seconds served plus `lead`, at the rate, within
    /// the server's maximum; just the next second when the server does not say what it
    /// served. `None` when nothing is due above `committed`.
    fn target(&self, committed: Octas, lead: u64) -> Option<Octas> {
        let next = committed.checked_add(self.price).ok()?;
        let want = match (self.served, self.max) {
            (Some(served), Some(max)) => self
                .price
                .checked_mul(served.saturating_add(lead))
                .map_or(max, |v| v.min(max)),
            _ => next,
        };
        (want > committed).then_some(want)
    }
}

impl Buyer {
    pub fn new(key: SigningKey, chain_id: u8, package: AccountAddress) -> Self {
        computestream_chain::install_tls_provider();
        Buyer {
            http: reqwest::Client::new(),
            key,
            chain_id,
            package,
            lead_secs: DEFAULT_LEAD_SECS,
            committed: Mutex::new(HashMap::new()),
            signed: Mutex::new(HashMap::new()),
        }
    }

    /// Pays up to `secs` seconds ahead of what was served (the executor caps it with its own
    /// `payment_ahead_secs`).
    pub fn with_lead(mut self, secs: u64) -> Self {
        self.lead_secs = secs;
        self
    }

    fn committed(&self, job_id: u64) -> Option<Octas> {
        self.committed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&job_id)
            .copied()
    }

    /// The largest cumulative amount this buyer signed and sent for `job_id`, whether or not
    /// the executor's answer arrived: the most the stream can be charged. A request that timed
    /// out may still have been stored (the executor stores in a task a hang-up does not
    /// cancel), so the settler may redeem more than the newest voucher confirmed, never more
    /// than this.
    pub fn signed(&self, job_id: u64) -> Option<Octas> {
        self.signed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&job_id)
            .copied()
    }

    fn remember(&self, job_id: u64, committed: Octas) {
        self.committed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(job_id, committed);
    }

    /// The executor's 402 for the job (what it charged, served, and accepts now), or the
    /// job's final state when it has ended.
    async fn due(&self, url: &str) -> Result<Result<Due, serde_json::Value>, BuyerError> {
        let r = self
            .http
            .get(url)
            .timeout(PAYMENT_REQUEST_TIMEOUT)
            .send()
            .await
            .map_err(|e| BuyerError::Http(e.to_string()))?;
        if r.status() == reqwest::StatusCode::OK {
            let body = r
                .json()
                .await
                .map_err(|e| BuyerError::Protocol(e.to_string()))?;
            return Ok(Err(body));
        }
        if r.status() == reqwest::StatusCode::NOT_FOUND {
            let body = r.text().await.unwrap_or_default();
            return Err(BuyerError::NotYet(body));
        }
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
            header::decode(h.as_bytes()).map_err(BuyerError::Protocol)?;
        let network = x402::network(self.chain_id);
        let reqs = required
            .accepts
            .into_iter()
            .find(|a| a.scheme == x402::SCHEME && a.network == network)
            .ok_or_else(|| {
                BuyerError::Protocol("no batch-settlement offer for this network".into())
            })?;
        Due::of(reqs).map(Ok)
    }

    /// Pays what is due on `job_id` at `executor_url`: the seconds served so far plus the
    /// lead, in one cumulative voucher (so a buyer that stalled catches up at once).
    ///
    /// The buyer keeps its own record of what it committed (the scheme's rule: a server's
    /// claims are never copied into it); with no record it adopts what the server reports
    /// as charged, as a client that lost its state does.
    /// Downloads job `job_id`'s outputs from its provider's endpoint (`GET
    /// /jobs/{id}/outputs`, signed with this buyer's voucher key for one minute) and checks
    /// them against `expected_cid`, the CIDv1 the provider reported on chain.
    ///
    /// Errors: [`BuyerError::Http`] when the endpoint is unreachable; [`BuyerError::Refused`]
    /// with the endpoint's reason (401, 404, 502); [`BuyerError::OutputsMismatch`] when the
    /// bytes are not the ones on chain.
    pub async fn download_outputs(
        &self,
        executor_url: &str,
        job_id: u64,
        expected_cid: &str,
    ) -> Result<Vec<u8>, BuyerError> {
        let ctx = computestream_domain::VoucherContext {
            chain_id: self.chain_id,
            package: self.package,
        };
        let auth = computestream_domain::outputs_access::sign_outputs_access(
            ctx,
            job_id,
            &self.key,
            computestream_runtime::now_ms().saturating_add(60_000),
        );
        let resp = self
            .http
            .get(format!(
                "{}/jobs/{job_id}/outputs",
                executor_url.trim_end_matches('/')
            ))
            .header(crate::outputs_http::AUTHORIZATION, auth)
            .send()
            .await
            .map_err(|e| BuyerError::Http(e.to_string()))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| BuyerError::Http(e.to_string()))?;
        if !status.is_success() {
            let reason = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_owned))
                .unwrap_or_else(|| status.to_string());
            return Err(BuyerError::Refused(format!("{status}: {reason}")));
        }
        let received = crate::cid::cid_v1_raw(&body);
        if received != expected_cid {
            return Err(BuyerError::OutputsMismatch {
                expected: expected_cid.to_owned(),
                received,
            });
        }
        Ok(body.to_vec())
    }

    pub async fn pay_due(&self, executor_url: &str, job_id: u64) -> Result<Payment, BuyerError> {
        let url = format!("{}/jobs/{job_id}", executor_url.trim_end_matches('/'));
        let due = match self.due(&url).await? {
            Ok(due) => due,
            Err(body) => return Ok(Payment::Ended(body)),
        };
        let committed = self
            .committed(job_id)
            .unwrap_or(due.charged)
            .max(due.charged);
        let Some(cumulative) = due.target(committed, self.lead_secs) else {
            return Ok(Payment::NothingDue);
        };
        let voucher = Voucher {
            chain_id: self.chain_id,
            package: self.package,
            stream_id: due.stream_id,
            cumulative_amount: cumulative,
        }
        .sign(&self.key);
        let payload = PaymentPayload {
            x402_version: x402::X402_VERSION,
            resource: None,
            accepted: due.reqs,
            payload: BatchPayload {
                kind: "voucher".into(),
                voucher: VoucherPayload::from_signed(&voucher),
            },
        };
        {
            let mut signed = self.signed.lock().unwrap_or_else(|p| p.into_inner());
            let most = signed.entry(job_id).or_insert(cumulative);
            *most = (*most).max(cumulative);
        }
        let r = self
            .http
            .get(&url)
            .header(header::PAYMENT_SIGNATURE, header::encode(&payload))
            .timeout(PAYMENT_REQUEST_TIMEOUT)
            .send()
            .await
            .map_err(|e| BuyerError::Http(e.to_string()))?;
        let status = r.status();
        let response: Option<SettleResponse> = r
            .headers()
            .get(header::PAYMENT_RESPONSE)
            .and_then(|h| header::decode(h.as_bytes()).ok());
        let required: Option<PaymentRequired> = r
            .headers()
            .get(header::PAYMENT_REQUIRED)
            .and_then(|h| header::decode(h.as_bytes()).ok());
        if status != reqwest::StatusCode::OK {
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
        self.remember(job_id, cumulative);
        Ok(Payment::Paid(Box::new(Paid {
            response,
            body,
            cumulative,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use computestream_schemas::x402::RequirementsExtra;

    fn due(charged: u64, served: Option<u64>, max: Option<u64>) -> Due {
        Due {
            reqs: PaymentRequirements {
                scheme: x402::SCHEME.into(),
                network: x402::network(4),
                amount: "10".into(),
                asset: computestream_domain::NATIVE_COIN.into(),
                pay_to: "0x1".into(),
                max_timeout_seconds: 60,
                extra: RequirementsExtra::default(),
            },
            stream_id: 1,
            price: Octas(10),
            charged: Octas(charged),
            served,
            max: max.map(Octas),
        }
    }

    #[test]
    fn a_buyer_pays_what_was_served_plus_its_lead_within_the_maximum() {
        // Served 30 s, paid for 20 s (a stall): one voucher for 32 s.
        assert_eq!(
            due(200, Some(30), Some(350)).target(Octas(200), 2),
            Some(Octas(320))
        );
        // The server's maximum wins over the lead.
        assert_eq!(
            due(200, Some(30), Some(305)).target(Octas(200), 5),
            Some(Octas(305))
        );
        // Already ahead: nothing due.
        assert_eq!(due(320, Some(30), Some(350)).target(Octas(320), 2), None);
        // An old server (no served seconds): the next second.
        assert_eq!(due(200, None, None).target(Octas(200), 2), Some(Octas(210)));
    }

    /// A voucher sent whose answer was a failure (or never came) may still be in the log:
    /// the buyer does not count it as committed, but knows it may be charged up to it.
    #[tokio::test]
    async fn a_voucher_sent_without_a_good_answer_is_signed_not_committed() {
        use axum::http::{HeaderMap, StatusCode};
        use axum::response::IntoResponse;
        use computestream_schemas::x402::ResourceInfo;

        let mut reqs = due(100, Some(30), Some(1_000)).reqs;
        reqs.extra = RequirementsExtra {
            stream_id: "7".into(),
            charged_cumulative_amount: Some("100".into()),
            served_seconds: Some("30".into()),
            max_cumulative_amount: Some("1000".into()),
            ..RequirementsExtra::default()
        };
        let required = PaymentRequired {
            x402_version: x402::X402_VERSION,
            error: None,
            resource: ResourceInfo {
                url: "/jobs/7".into(),
                description: "job 7".into(),
                mime_type: "application/json".into(),
            },
            accepts: vec![reqs],
        };
        // The executor: a 402 for the due amount; a paid request fails as a store that the
        // broker refused does (500).
        let app = axum::Router::new().route(
            "/jobs/7",
            axum::routing::get(move |h: HeaderMap| {
                let required = header::encode(&required);
                async move {
                    if h.contains_key(header::PAYMENT_SIGNATURE) {
                        StatusCode::INTERNAL_SERVER_ERROR.into_response()
                    } else {
                        (
                            StatusCode::PAYMENT_REQUIRED,
                            [(header::PAYMENT_REQUIRED, required)],
                        )
                            .into_response()
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });

        let buyer = Buyer::new(SigningKey::from_seed([3; 32]), 4, AccountAddress::ONE);
        assert!(buyer.pay_due(&format!("http://{addr}"), 7).await.is_err());
        // 30 s served plus the 2 s lead at 10 octas a second.
        assert_eq!(buyer.signed(7), Some(Octas(320)));
        assert_eq!(buyer.committed(7), None, "no answer confirmed it");
    }

    #[test]
    fn refusals_that_clear_by_themselves_are_retryable() {
        assert!(BuyerError::Refused(x402::reason::CHANNEL_BUSY.into()).is_retryable());
        assert!(
            BuyerError::Refused(x402::reason::CUMULATIVE_AMOUNT_MISMATCH.into()).is_retryable()
        );
        assert!(!BuyerError::Refused(x402::reason::STREAM_CLOSED.into()).is_retryable());
    }
}
