//! The buyer's x402 endpoint (x402 v2 HTTP transport, batch-settlement scheme):
//! `GET /jobs/{id}` is the paid resource — one second of the job, answered with its progress
//! and its latest logs. Without `PAYMENT-SIGNATURE` it answers 402 with `PAYMENT-REQUIRED`;
//! with a valid cumulative voucher (checked locally, microseconds) it stores the commitment
//! in the metering topic and answers 200 with `PAYMENT-RESPONSE` (the commitment id; value
//! moves later, when the settler redeems). Every refusal stores nothing. An ended job's
//! final state is free to read; its logs only with its buyer's signed request.
//! `GET /jobs/{id}/outputs` serves a completed job's outputs to its buyer
//! ([`crate::outputs_http`]).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use computestream_domain::outputs_access::check_outputs_access;
use computestream_eventlog::EnvelopeProducer;
use computestream_runtime::http_listener::{self, HttpLimits};
use computestream_runtime::Shutdown;
use computestream_schemas::events::VoucherReceived;
use computestream_schemas::x402::{
    self, header, reason, PaymentPayload, PaymentRequired, PaymentRequirements, ResourceInfo,
    SettleResponse,
};
use computestream_schemas::Envelope;
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::container::ContainerRuntime;
use crate::state::ExecutorState;
use computestream_runtime::now_ms;

pub struct Endpoint<R: ContainerRuntime> {
    pub shared: Arc<ExecutorState>,
    pub producer: EnvelopeProducer,
    /// Where the jobs' outputs are stored (served to their buyers).
    pub artifacts: crate::ArtifactStore,
    pub runtime: Arc<R>,
    /// How buyers reach this endpoint (the `resource.url` prefix).
    pub public_url: String,
}

impl<R: ContainerRuntime> std::fmt::Debug for Endpoint<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

/// CORS for buyers paying from a browser (x402 v2 HTTP transport: the request header
/// `PAYMENT-SIGNATURE` is not CORS-safelisted, so the browser preflights; the answer's
/// `PAYMENT-REQUIRED` and `PAYMENT-RESPONSE` must be exposed to the page). `origins`: the
/// origins allowed, `"*"` among them for any, none for no cross-origin caller.
pub fn cors(origins: &[String]) -> CorsLayer {
    let allow = if origins.iter().any(|o| o.trim() == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET])
        .allow_headers([
            HeaderName::from_static("payment-signature"),
            HeaderName::from_static(crate::outputs_http::AUTHORIZATION),
        ])
        .expose_headers([
            HeaderName::from_static("payment-required"),
            HeaderName::from_static("payment-response"),
            HeaderName::from_static(crate::outputs_http::OUTPUT_CID),
        ])
        .max_age(std::time::Duration::from_secs(600))
}

/// Serves the endpoint on a bound listener until `shutdown`, within `limits` (header, body
/// and request timeouts, connection cap, body size: [`HttpLimits`]).
pub fn serve<R: ContainerRuntime>(
    listener: tokio::net::TcpListener,
    endpoint: Arc<Endpoint<R>>,
    cors: CorsLayer,
    limits: HttpLimits,
    shutdown: Shutdown,
) -> tokio::task::JoinHandle<()> {
    let app = limits.apply(
        Router::new()
            .route("/jobs/{id}", get(job::<R>))
            .route("/jobs/{id}/outputs", get(crate::outputs_http::outputs::<R>))
            .with_state(endpoint),
    );
    // CORS outermost: a preflight is answered before any limit applies.
    let app = app.layer(cors);
    tokio::spawn(http_listener::serve(
        listener,
        app,
        limits.listener(),
        "executor",
        shutdown,
    ))
}

fn with_header(mut resp: Response, name: &'static str, value: String) -> Response {
    if let Ok(v) = HeaderValue::from_str(&value) {
        resp.headers_mut().insert(name, v);
    }
    resp
}

fn payment_required(
    resource: ResourceInfo,
    reqs: PaymentRequirements,
    error: &str,
    payer: Option<String>,
    network: &str,
) -> Response {
    let body = PaymentRequired {
        x402_version: x402::X402_VERSION,
        error: Some(error.to_owned()),
        resource,
        accepts: vec![reqs],
    };
    let resp = (StatusCode::PAYMENT_REQUIRED, Json(&body)).into_response();
    let resp = with_header(resp, header::PAYMENT_REQUIRED, header::encode(&body));
    if error.starts_with("invalid") || error == reason::INSUFFICIENT_FUNDS {
        let failure = SettleResponse {
            success: false,
            error_reason: Some(error.to_owned()),
            payer,
            transaction: String::new(),
            network: network.to_owned(),
            amount: String::new(),
            extra: None,
        };
        with_header(resp, header::PAYMENT_RESPONSE, header::encode(&failure))
    } else {
        resp
    }
}

fn outcome(kind: &'static str) {
    metrics::counter!("computestream_executor_x402_requests_total", "outcome" => kind).increment(1);
}

async fn job<R: ContainerRuntime>(
    State(e): State<Arc<Endpoint<R>>>,
    Path(id): Path<u64>,
    req_headers: HeaderMap,
) -> Response {
    let network = x402::network(e.shared.ctx.chain_id);
    let Some(view) = e.shared.job(id) else {
        outcome("unknown_job");
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("no job {id} on this provider")})),
        )
            .into_response();
    };
    let Some(reqs) = e.shared.book().requirements(id) else {
        outcome("stream_not_open");
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("the payment stream of job {id} is not open yet")})),
        )
            .into_response();
    };
    let resource = ResourceInfo {
        url: format!("{}/jobs/{id}", e.public_url.trim_end_matches('/')),
        description: format!("one second of job {id}: its progress and latest logs"),
        mime_type: "application/json".into(),
    };
    let Some(sig) = req_headers.get(header::PAYMENT_SIGNATURE) else {
        if view.status.is_terminal() {
            // Nothing more will be due: the ended job's final state, free. Its logs are the
            // job's output, its buyer's only: they come with the buyer's signed request
            // (`OUTPUTS-AUTHORIZATION`, as for the outputs).
            outcome("ended");
            let buyer = e.shared.book().terms(id).is_some_and(|t| {
                req_headers
                    .get(crate::outputs_http::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|auth| {
                        check_outputs_access(e.shared.ctx, id, &t.buyer_public_key, auth, now_ms())
                            .is_ok()
                    })
            });
            let body = job_body(&e, id, &view, buyer).await;
            return (StatusCode::OK, Json(body)).into_response();
        }
        outcome("payment_required");
        return payment_required(
            resource,
            reqs,
            "PAYMENT-SIGNATURE header is required",
            None,
            &network,
        );
    };
    let payload: PaymentPayload = match header::decode(sig.as_bytes()) {
        Ok(p) => p,
        Err(why) => {
            outcome(reason::INVALID_PAYLOAD);
            let failure = SettleResponse {
                success: false,
                error_reason: Some(reason::INVALID_PAYLOAD.into()),
                payer: None,
                transaction: String::new(),
                network,
                amount: String::new(),
                extra: Some(json!({"detail": why})),
            };
            let resp = (StatusCode::BAD_REQUEST, Json(&failure)).into_response();
            return with_header(resp, header::PAYMENT_RESPONSE, header::encode(&failure));
        }
    };
    let checked = {
        let mut book = e.shared.book();
        let checked = book.check(id, &payload);
        if checked.is_ok() {
            book.reserve(id);
        }
        checked
    };
    let accepted = match checked {
        Ok(a) => a,
        Err(rej) => {
            outcome(rej.reason);
            return payment_required(resource, reqs, rej.reason, rej.payer, &network);
        }
    };
    // Released once the store below is done, whatever happens to this request.
    let in_flight = InFlight {
        shared: e.shared.clone(),
        stream_id: id,
    };
    let v = accepted.voucher;
    let rate = accepted.price.get().max(1);
    let commitment_id = v.voucher.commitment_id();
    let env = Envelope::voucher(
        e.shared.provider,
        now_ms(),
        VoucherReceived {
            voucher: v,
            second: v.voucher.cumulative_amount.get() / rate,
            commitment_id: commitment_id.clone(),
        },
    );
    // Stored, then counted as paid, in a task of its own: a buyer that hangs up mid-store
    // (its request timeout, on a loaded host or with a slow broker) does not cancel it, so a
    // voucher in the log is always counted. The soak found executors stopping jobs for
    // vouchers that were in the log: the store outlived the buyers' 5 s timeout, and the
    // dropped request never counted them.
    let store = {
        let e = e.clone();
        tokio::spawn(async move {
            let _in_flight = in_flight;
            let stored = e.producer.send(&env).await.map_err(|err| err.to_string());
            if stored.is_ok() {
                e.shared.book().commit(&v, now_ms());
            }
            stored
        })
    };
    let stored = store
        .await
        .unwrap_or_else(|join| Err(format!("the store task ended: {join}")));
    if let Err(err) = stored {
        tracing::warn!(job_id = id, error = %err, "could not store a voucher");
        outcome("not_stored");
        let failure = SettleResponse {
            success: false,
            error_reason: Some(reason::COMMITMENT_NOT_STORED.into()),
            payer: Some(accepted.payer),
            transaction: String::new(),
            network,
            amount: String::new(),
            extra: None,
        };
        let resp = (StatusCode::INTERNAL_SERVER_ERROR, Json(&failure)).into_response();
        return with_header(resp, header::PAYMENT_RESPONSE, header::encode(&failure));
    }
    outcome("paid");
    let settled = SettleResponse {
        success: true,
        error_reason: None,
        payer: Some(accepted.payer),
        transaction: String::new(),
        network,
        amount: String::new(),
        extra: Some(json!({
            "commitmentId": commitment_id,
            "chargedAmount": accepted.price.to_string(),
            "chargedCumulativeAmount": v.voucher.cumulative_amount.to_string(),
        })),
    };
    let body = job_body(&e, id, &view, true).await;
    let resp = (StatusCode::OK, Json(body)).into_response();
    with_header(resp, header::PAYMENT_RESPONSE, header::encode(&settled))
}

/// The resource: the job's status, seconds served and paid, outcome and, for its buyer
/// (`buyer`: a paid request or a signed one), its latest logs (`null` for anyone else).
async fn job_body<R: ContainerRuntime>(
    e: &Endpoint<R>,
    id: u64,
    view: &crate::state::JobView,
    buyer: bool,
) -> serde_json::Value {
    let logs = match (&view.container, buyer) {
        (Some(c), true) => Some(e.runtime.logs(c, 50).await.unwrap_or_default()),
        (None, true) => Some(String::new()),
        (_, false) => None,
    };
    json!({
        "jobId": id.to_string(),
        "status": view.status.as_str(),
        "secondsServed": view.seconds,
        "paidSeconds": e.shared.paid_seconds(id),
        "reason": view.reason,
        "outputUrl": view.output_url,
        "outputCid": view.output_cid,
        "logs": logs,
    })
}

/// A payment being stored: the job's outcome waits for it (see `ExecutorState::end_payments`).
struct InFlight {
    shared: Arc<ExecutorState>,
    stream_id: u64,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.shared.book().release(self.stream_id);
    }
}
