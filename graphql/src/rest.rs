//! The seed's REST API under `/api/v1`, backed by the same reads and payload builders as the
//! GraphQL schema. Writes return the unsigned transaction payload for the signed-in
//! account's wallet (the chain is the only place state changes); `POST /transactions`
//! submits what the wallet signed.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use computestream_domain::{AccountAddress, Octas, PublicKey};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app_state::{bearer, AppState};
use crate::payloads::{self, EntryPayload};
use crate::read_models::{self, JobRow, ProviderQuery, ProviderRow, StreamRow};
use crate::GatewayError;

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let status = match self.code() {
            "BAD_USER_INPUT" => StatusCode::BAD_REQUEST,
            "NOT_FOUND" => StatusCode::NOT_FOUND,
            "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
            "FORBIDDEN" => StatusCode::FORBIDDEN,
            "TRANSACTION_REJECTED" => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        };
        let message = match self.code() {
            "INTERNAL" => "internal error".to_owned(),
            _ => self.to_string(),
        };
        (
            status,
            Json(json!({"error": {"code": self.code(), "message": message}})),
        )
            .into_response()
    }
}

type ApiResult = Result<Json<Value>, GatewayError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/providers/register", post(register))
        .route("/api/v1/providers/available", get(available))
        .route("/api/v1/providers/{id}/availability", patch(availability))
        .route("/api/v1/jobs/create", post(create_job))
        .route("/api/v1/jobs/{id}/status", get(job_status))
        .route("/api/v1/jobs/history", get(history))
        .route("/api/v1/escrow/deposit", post(deposit))
        .route("/api/v1/payments/stream/{job_id}", get(stream))
        .route("/api/v1/transactions", post(submit))
}

fn who(state: &AppState, headers: &HeaderMap) -> Result<AccountAddress, GatewayError> {
    bearer(headers)
        .and_then(|t| state.services.sessions.who(&t))
        .ok_or(GatewayError::Unauthenticated)
}

fn octas(s: &str, what: &str) -> Result<Octas, GatewayError> {
    s.parse()
        .map_err(|_| GatewayError::BadInput(format!("{what} must be a decimal string of octas")))
}

fn address(s: &str) -> Result<AccountAddress, GatewayError> {
    s.parse()
        .map_err(|_| GatewayError::BadInput(format!("{s:?} is not an account address")))
}

fn payload(sender: AccountAddress, p: EntryPayload) -> Json<Value> {
    Json(json!({"sender": sender.to_long_string(), "payload": p}))
}

fn provider_json(p: &ProviderRow) -> Value {
    json!({
        "address": p.address, "gpuType": p.gpu_type, "vramGb": p.vram_gb,
        "pricePerSecond": p.price_per_second, "stake": p.stake, "isActive": p.is_active,
        "lastHeartbeatAt": p.last_heartbeat_at, "reputationBps": p.reputation_bps,
    })
}

fn job_json(j: &JobRow) -> Value {
    json!({
        "id": j.job_id.to_string(), "buyer": j.buyer, "provider": j.provider,
        "dockerImage": j.docker_image, "status": j.status, "escrowAmount": j.escrow_amount,
        "maxDurationSecs": j.max_duration_secs, "pricePerSecond": j.price_per_second,
        "createdAt": j.created_at, "startedAt": j.started_at, "endedAt": j.ended_at,
        "exitCode": j.exit_code, "reason": j.reason,
        "outputUrl": j.output_url, "outputCid": j.output_cid,
    })
}

/// A stream; its off-chain fields (attested seconds, vouchered, accrued) are null unless
/// `party` (the job's buyer or provider, see `auth::party_of_job`).
fn stream_json(s: &StreamRow, party: bool) -> Value {
    let private = |v: String| if party { Value::String(v) } else { Value::Null };
    json!({
        "jobId": s.stream_id.to_string(), "ratePerSecond": s.rate_per_second, "escrow": s.escrow,
        "attestedSeconds": private(s.attested_seconds.to_string()),
        "vouchered": private(s.vouchered.clone()), "accrued": private(s.accrued.clone()),
        "settled": s.settled, "refunded": s.refunded,
        "remaining": s.remaining, "status": s.status, "openedAt": s.opened_at, "closedAt": s.closed_at,
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterBody {
    gpu_type: String,
    vram_gb: u64,
    price_per_second: String,
    stake: String,
}

async fn register(
    State(st): State<AppState>,
    headers: HeaderMap,
    Json(b): Json<RegisterBody>,
) -> ApiResult {
    let sender = who(&st, &headers)?;
    Ok(payload(
        sender,
        payloads::register_provider(
            &st.services.package,
            &b.gpu_type,
            b.vram_gb,
            octas(&b.price_per_second, "pricePerSecond")?,
            octas(&b.stake, "stake")?,
        )?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AvailableQuery {
    gpu_type: Option<String>,
    min_vram_gb: Option<i32>,
    max_price: Option<String>,
    limit: Option<i64>,
}

async fn available(State(st): State<AppState>, Query(q): Query<AvailableQuery>) -> ApiResult {
    if let Some(p) = &q.max_price {
        octas(p, "maxPrice")?;
    }
    let rows = read_models::providers(
        &st.services.pool,
        &ProviderQuery {
            gpu_type: q.gpu_type,
            min_vram_gb: q.min_vram_gb,
            max_price: q.max_price,
            available_only: true,
            limit: q.limit.unwrap_or(50).clamp(1, 500),
            ..ProviderQuery::default()
        },
    )
    .await?;
    Ok(Json(
        json!({"providers": rows.iter().map(provider_json).collect::<Vec<_>>()}),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AvailabilityBody {
    is_active: bool,
}

async fn availability(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(b): Json<AvailabilityBody>,
) -> ApiResult {
    let sender = who(&st, &headers)?;
    if address(&id)? != sender {
        return Err(GatewayError::Forbidden(
            "a provider changes only its own availability".into(),
        ));
    }
    Ok(payload(
        sender,
        payloads::update_availability(&st.services.package, b.is_active),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateJobBody {
    provider: String,
    docker_image: String,
    max_duration_secs: u64,
    escrow_amount: String,
    buyer_public_key: String,
}

async fn create_job(
    State(st): State<AppState>,
    headers: HeaderMap,
    Json(b): Json<CreateJobBody>,
) -> ApiResult {
    let sender = who(&st, &headers)?;
    // The voucher key: the account's own key or a session key (see `payment_stream::open_stream`).
    let pk: PublicKey = b
        .buyer_public_key
        .parse()
        .map_err(|_| GatewayError::BadInput("buyerPublicKey must be 32 bytes of hex".into()))?;
    Ok(payload(
        sender,
        payloads::create_job(
            &st.services.package,
            &address(&b.provider)?,
            &b.docker_image,
            b.max_duration_secs,
            octas(&b.escrow_amount, "escrowAmount")?,
            &pk,
        )?,
    ))
}

fn job_id(s: &str) -> Result<i64, GatewayError> {
    s.parse::<u64>()
        .ok()
        .and_then(|v| i64::try_from(v).ok())
        .ok_or_else(|| GatewayError::BadInput(format!("{s:?} is not a job id")))
}

async fn job_status(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let id = job_id(&id)?;
    let job = read_models::jobs_by_id(&st.services.pool, &[id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| GatewayError::NotFound(format!("job {id}")))?;
    Ok(Json(
        json!({"id": id.to_string(), "status": job.status, "reason": job.reason,
        "exitCode": job.exit_code, "outputUrl": job.output_url, "outputCid": job.output_cid}),
    ))
}

#[derive(Debug, Deserialize)]
struct HistoryQuery {
    buyer: Option<String>,
    provider: Option<String>,
    status: Option<String>,
    limit: Option<i64>,
    before: Option<String>,
}

async fn history(State(st): State<AppState>, Query(q): Query<HistoryQuery>) -> ApiResult {
    let buyer = q
        .buyer
        .as_deref()
        .map(address)
        .transpose()?
        .map(|a| a.to_long_string());
    let provider = q
        .provider
        .as_deref()
        .map(address)
        .transpose()?
        .map(|a| a.to_long_string());
    if let Some(s) = &q.status {
        s.parse::<computestream_domain::JobStatus>()
            .map_err(|e| GatewayError::BadInput(e.to_string()))?;
    }
    let before = q.before.as_deref().map(job_id).transpose()?;
    let rows = read_models::jobs(
        &st.services.pool,
        buyer.as_deref(),
        provider.as_deref(),
        q.status.as_deref(),
        q.limit.unwrap_or(50).clamp(1, 500),
        before,
    )
    .await?;
    Ok(Json(
        json!({"jobs": rows.iter().map(job_json).collect::<Vec<_>>()}),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DepositBody {
    job_id: String,
    amount: String,
}

async fn deposit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Json(b): Json<DepositBody>,
) -> ApiResult {
    let sender = who(&st, &headers)?;
    let id = job_id(&b.job_id)? as u64;
    Ok(payload(
        sender,
        payloads::deposit(&st.services.package, id, octas(&b.amount, "amount")?)?,
    ))
}

async fn stream(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let id = job_id(&id)?;
    let s = read_models::streams_by_id(&st.services.pool, &[id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| GatewayError::NotFound(format!("payment stream of job {id}")))?;
    let caller = who(&st, &headers).ok();
    let party = crate::auth::party_of_job(caller, &s.buyer, &s.provider).is_ok();
    Ok(Json(stream_json(&s, party)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubmitBody {
    bcs_hex: String,
}

async fn submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Json(b): Json<SubmitBody>,
) -> ApiResult {
    let sender = who(&st, &headers)?;
    let done = crate::submit::submit(&st.services, sender, &b.bcs_hex).await?;
    Ok(Json(json!({"hash": done.hash, "sender": done.sender})))
}

async fn openapi() -> Json<Value> {
    Json(crate::openapi::document())
}

impl IntoResponse for crate::schema::TransactionPayload {
    fn into_response(self) -> Response {
        Json(serde_json::json!({"sender": self.sender, "json": self.json})).into_response()
    }
}
