//! The x402 facilitator for Movement's `batch-settlement` binding: `POST /verify`,
//! `POST /settle`, `GET /supported` (x402 v2 field names).
//!
//! `verify` checks a voucher against what the chain recorded for its stream (buyer key,
//! provider, escrow) and what this settler already holds (a payment must advance the
//! cumulative amount). `settle` verifies, then stores the commitment durably (the voucher
//! goes to the metering topic, where the settler redeems it later) and answers with its
//! commitment id: for batch-settlement, value moves at redemption, not at `settle`.
//!
//! Requests are serialised per payment stream, and a repeated identical request (the same
//! JSON, whatever its whitespace or field order) gets the original successful answer back
//! ([`crate::answers`]): a client that lost the response to `/settle` learns its commitment
//! was stored (same commitment id) instead of being told its voucher no longer advances.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use computestream_domain::{DeskError, Octas, SignatureChecked, SignedVoucher, NATIVE_COIN};
use computestream_eventlog::EnvelopeProducer;
use computestream_runtime::http_listener::{self, HttpLimits};
use computestream_runtime::Shutdown;
use computestream_schemas::events::VoucherReceived;
use computestream_schemas::x402::{
    self, reason, FacilitatorRequest, SettleResponse, SupportedKind, SupportedResponse,
    VerifyResponse,
};
use computestream_schemas::Envelope;
use serde_json::json;

use crate::answers::{Answers, Endpoint, RequestDigest};
use crate::state::SettlerState;
use crate::SettlerError;
use computestream_runtime::now_ms;

#[derive(Debug)]
pub struct Facilitator {
    shared: Arc<SettlerState>,
    producer: EnvelopeProducer,
    answers: Mutex<Answers>,
    /// One lock per stream with a request in progress (dropped with its last user).
    streams: Mutex<HashMap<u64, Arc<tokio::sync::Mutex<()>>>>,
}

/// A verified payment: the voucher, who pays, and to whom.
struct Verified {
    voucher: SignedVoucher,
    payer: String,
    provider: computestream_domain::AccountAddress,
    rate: Octas,
}

/// Serves the facilitator on `listen` until `shutdown`, within `limits` (header, body and
/// request timeouts, connection cap, body size: [`HttpLimits`]).
pub async fn serve(
    listen: SocketAddr,
    facilitator: Arc<Facilitator>,
    limits: HttpLimits,
    shutdown: Shutdown,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), SettlerError> {
    let app = limits.apply(
        Router::new()
            .route("/supported", get(supported))
            .route("/verify", post(verify))
            .route("/settle", post(settle))
            .with_state(facilitator),
    );
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(SettlerError::Listen)?;
    let addr = listener.local_addr().map_err(SettlerError::Listen)?;
    let task = tokio::spawn(http_listener::serve(
        listener,
        app,
        limits.listener(),
        "facilitator",
        shutdown,
    ));
    Ok((addr, task))
}

async fn supported(State(f): State<Arc<Facilitator>>) -> Json<SupportedResponse> {
    Json(SupportedResponse {
        kinds: vec![SupportedKind {
            x402_version: x402::X402_VERSION,
            scheme: x402::SCHEME.into(),
            network: x402::network(f.shared.chain_id),
            extra: Some(json!({
                "package": f.shared.package.to_long_string(),
                "asset": NATIVE_COIN,
            })),
        }],
        extensions: Vec::new(),
        signers: Default::default(),
    })
}

fn invalid(status: StatusCode, why: &str, payer: Option<String>) -> Response {
    (
        status,
        Json(VerifyResponse {
            is_valid: false,
            invalid_reason: Some(why.into()),
            payer,
            extra: None,
        }),
    )
        .into_response()
}

/// A request parsed, with its identity for the answer cache.
struct Parsed {
    req: FacilitatorRequest,
    digest: RequestDigest,
    stream_id: Option<u64>,
}

fn parse(body: &[u8]) -> Result<Parsed, &'static str> {
    let req: FacilitatorRequest =
        serde_json::from_slice(body).map_err(|_| reason::INVALID_PAYLOAD)?;
    let canonical = serde_json::to_vec(&req).map_err(|_| reason::INVALID_PAYLOAD)?;
    let stream_id = req.payment_payload.payload.voucher.stream_id.parse().ok();
    Ok(Parsed {
        digest: RequestDigest::of(&canonical),
        stream_id,
        req,
    })
}

impl Facilitator {
    /// The facilitator of `shared`'s deployment, storing commitments with `producer`; it
    /// remembers up to `answers` successful answers for `answer_ttl`.
    pub fn new(
        shared: Arc<SettlerState>,
        producer: EnvelopeProducer,
        answers: usize,
        answer_ttl: Duration,
    ) -> Self {
        Facilitator {
            shared,
            producer,
            answers: Mutex::new(Answers::new(answers, answer_ttl)),
            streams: Mutex::new(HashMap::new()),
        }
    }

    fn answers(&self) -> std::sync::MutexGuard<'_, Answers> {
        self.answers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Serialises requests of one stream; requests naming no readable stream share one lock.
    async fn lock_stream(&self, stream_id: Option<u64>) -> StreamGuard<'_> {
        let id = stream_id.unwrap_or(u64::MAX);
        let lock = {
            let mut m = self.streams.lock().unwrap_or_else(|p| p.into_inner());
            m.entry(id).or_default().clone()
        };
        let guard = lock.clone().lock_owned().await;
        StreamGuard {
            facilitator: self,
            id,
            lock,
            _guard: guard,
        }
    }

    /// Every check of the binding, in the order the document lists them.
    fn check(&self, req: &FacilitatorRequest) -> Result<Verified, (&'static str, Option<String>)> {
        if req.x402_version != x402::X402_VERSION {
            return Err((reason::INVALID_X402_VERSION, None));
        }
        let form = x402::check_form(
            &req.payment_payload,
            &req.payment_requirements,
            self.shared.chain_id,
        )
        .map_err(|r| (r.reason, r.payer))?;
        let who = || Some(form.payer.clone());
        let voucher = *form.voucher.get();
        let desk = self.shared.desk();
        let stream_id = voucher.voucher.stream_id;
        let terms = match desk.terms(stream_id) {
            Some(t) => *t,
            None if desk.is_closed(stream_id) => return Err((reason::STREAM_CLOSED, who())),
            None => return Err((reason::STREAM_NOT_FOUND, who())),
        };
        if form.pay_to != terms.provider {
            return Err((reason::RECEIVER_MISMATCH, who()));
        }
        desk.check_new_voucher(&form.voucher).map_err(|e| {
            let why = match &e {
                DeskError::Voucher(v) => x402::voucher_reason(v),
                DeskError::Closed(_) => reason::STREAM_CLOSED,
                _ => reason::STREAM_NOT_FOUND,
            };
            (why, who())
        })?;
        // Each payment must advance the cumulative amount by at least the unit price over
        // what the chain has paid.
        let paid = desk.paid(stream_id).unwrap_or(Octas::ZERO);
        let floor = paid
            .checked_add(form.price)
            .map_err(|_| (reason::INVALID_PAYLOAD, who()))?;
        if voucher.voucher.cumulative_amount < floor {
            return Err((reason::CUMULATIVE_AMOUNT_MISMATCH, who()));
        }
        Ok(Verified {
            voucher,
            payer: form.payer,
            provider: terms.provider,
            rate: terms.rate_per_second,
        })
    }
}

/// The lock of one stream's requests; the map entry goes with its last user.
struct StreamGuard<'a> {
    facilitator: &'a Facilitator,
    id: u64,
    lock: Arc<tokio::sync::Mutex<()>>,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl Drop for StreamGuard<'_> {
    fn drop(&mut self) {
        let mut m = self
            .facilitator
            .streams
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        // Ours, the map's and the guard's: nobody else waits for this stream.
        if Arc::strong_count(&self.lock) <= 3 {
            m.remove(&self.id);
        }
    }
}

async fn verify(State(f): State<Arc<Facilitator>>, body: Bytes) -> Response {
    let parsed = match parse(&body) {
        Ok(p) => p,
        Err(why) => return invalid(StatusCode::OK, why, None),
    };
    let _stream = f.lock_stream(parsed.stream_id).await;
    let now = Instant::now();
    if let Some(answer) = f.answers().get(Endpoint::Verify, parsed.digest, now) {
        return Json(answer).into_response();
    }
    if let Some(settled) = f.answers().get(Endpoint::Settle, parsed.digest, now) {
        // The same payment was settled: it is valid, as it was then.
        let answer = json!({
            "isValid": true,
            "payer": settled.get("payer"),
            "extra": {
                "streamId": settled.pointer("/extra/streamId"),
                "cumulativeAmount": settled.pointer("/extra/cumulativeAmount"),
            },
        });
        return Json(answer).into_response();
    }
    match f.check(&parsed.req) {
        Ok(v) => {
            let answer = VerifyResponse {
                is_valid: true,
                invalid_reason: None,
                payer: Some(v.payer),
                extra: Some(json!({
                    "streamId": v.voucher.voucher.stream_id.to_string(),
                    "cumulativeAmount": v.voucher.voucher.cumulative_amount.to_string(),
                })),
            };
            if let Ok(value) = serde_json::to_value(&answer) {
                f.answers().put(Endpoint::Verify, parsed.digest, value, now);
            }
            Json(answer).into_response()
        }
        Err((why, payer)) => {
            metrics::counter!("computestream_settler_facilitator_requests_total", "endpoint" => "verify", "outcome" => why).increment(1);
            invalid(StatusCode::OK, why, payer)
        }
    }
}

async fn settle(State(f): State<Arc<Facilitator>>, body: Bytes) -> Response {
    let network = x402::network(f.shared.chain_id);
    let failed = |why: &str, payer: Option<String>| {
        metrics::counter!("computestream_settler_facilitator_requests_total", "endpoint" => "settle", "outcome" => why.to_owned()).increment(1);
        Json(SettleResponse {
            success: false,
            error_reason: Some(why.into()),
            payer,
            transaction: String::new(),
            network: network.clone(),
            amount: String::new(),
            extra: None,
        })
        .into_response()
    };
    let parsed = match parse(&body) {
        Ok(p) => p,
        Err(why) => return failed(why, None),
    };
    let _stream = f.lock_stream(parsed.stream_id).await;
    let now = Instant::now();
    if let Some(answer) = f.answers().get(Endpoint::Settle, parsed.digest, now) {
        metrics::counter!("computestream_settler_facilitator_requests_total", "endpoint" => "settle", "outcome" => "repeated").increment(1);
        return Json(answer).into_response();
    }
    let v = match f.check(&parsed.req) {
        Ok(v) => v,
        Err((why, payer)) => return failed(why, payer),
    };
    let commitment_id = v.voucher.voucher.commitment_id();
    let rate = v.rate.get().max(1);
    let env = Envelope::voucher(
        v.provider,
        now_ms(),
        VoucherReceived {
            voucher: v.voucher,
            second: v.voucher.voucher.cumulative_amount.get() / rate,
            commitment_id: commitment_id.clone(),
        },
    );
    // Stored means: in the log, acknowledged by every in-sync replica.
    if let Err(e) = f.producer.send(&env).await {
        tracing::warn!(error = %e, "could not store a commitment");
        return failed(reason::COMMITMENT_NOT_STORED, Some(v.payer));
    }
    if let Ok(checked) = SignatureChecked::voucher(v.voucher) {
        let _ = f.shared.desk().offer_voucher(checked, now_ms());
    }
    metrics::counter!("computestream_settler_facilitator_requests_total", "endpoint" => "settle", "outcome" => "stored").increment(1);
    let answer = SettleResponse {
        success: true,
        error_reason: None,
        payer: Some(v.payer),
        transaction: String::new(),
        network,
        amount: String::new(),
        extra: Some(json!({
            "commitmentId": commitment_id,
            "streamId": v.voucher.voucher.stream_id.to_string(),
            "cumulativeAmount": v.voucher.voucher.cumulative_amount.to_string(),
        })),
    };
    if let Ok(value) = serde_json::to_value(&answer) {
        f.answers().put(Endpoint::Settle, parsed.digest, value, now);
    }
    Json(answer).into_response()
}
