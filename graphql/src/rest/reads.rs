//! The reads of `/api/v1`: available providers, a job's status, job history, a payment
//! stream. Public but for a stream's off-chain fields (see `auth::party_of_job`).

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::errors::Refusals;
use super::inputs;
use crate::app_state::{bearer, AppState};
use crate::read_models::{self, JobRow, ProviderQuery, ProviderRow, StreamRow};
use crate::GatewayError;

/// A provider.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderOut {
    #[schema(pattern = "^(0x)?[0-9a-fA-F]{1,64}$")]
    pub address: String,
    pub gpu_type: String,
    pub vram_gb: i32,
    /// Octas per second.
    #[schema(pattern = "^(0|[1-9][0-9]{0,19})$")]
    pub price_per_second: String,
    /// Octas.
    #[schema(pattern = "^(0|[1-9][0-9]{0,19})$")]
    pub stake: String,
    pub is_active: bool,
    /// RFC 3339 UTC, milliseconds.
    #[schema(format = DateTime)]
    pub last_heartbeat_at: Option<String>,
    /// The provider's x402 endpoint (buyers pay `GET {endpoint}/jobs/{id}`), from its
    /// executor's newest heartbeat (an http or https URL); null before the first.
    pub endpoint: Option<String>,
    /// Basis points (0..=10000).
    pub reputation_bps: i64,
}

impl From<ProviderRow> for ProviderOut {
    fn from(p: ProviderRow) -> Self {
        ProviderOut {
            address: p.address,
            gpu_type: p.gpu_type,
            vram_gb: p.vram_gb,
            price_per_second: p.price_per_second,
            stake: p.stake,
            is_active: p.is_active,
            last_heartbeat_at: p.last_heartbeat_at,
            endpoint: p.endpoint,
            reputation_bps: p.reputation_bps,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProvidersOut {
    pub providers: Vec<ProviderOut>,
}

/// A job: its on-chain terms and outcome.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobOut {
    #[schema(pattern = "^(0|[1-9][0-9]{0,19})$")]
    pub id: String,
    #[schema(pattern = "^(0x)?[0-9a-fA-F]{1,64}$")]
    pub buyer: String,
    #[schema(pattern = "^(0x)?[0-9a-fA-F]{1,64}$")]
    pub provider: String,
    pub docker_image: String,
    #[schema(value_type = JobStatusName)]
    pub status: String,
    /// Octas.
    #[schema(pattern = "^(0|[1-9][0-9]{0,19})$")]
    pub escrow_amount: String,
    /// Seconds.
    #[schema(pattern = "^(0|[1-9][0-9]{0,19})$")]
    pub max_duration_secs: String,
    /// Octas per second.
    #[schema(pattern = "^(0|[1-9][0-9]{0,19})$")]
    pub price_per_second: String,
    /// RFC 3339 UTC, milliseconds (as the other times).
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub started_at: Option<String>,
    #[schema(format = DateTime)]
    pub ended_at: Option<String>,
    /// The container's exit code, a decimal.
    pub exit_code: Option<String>,
    pub reason: String,
    pub output_url: Option<String>,
    pub output_cid: Option<String>,
}

impl From<JobRow> for JobOut {
    fn from(j: JobRow) -> Self {
        JobOut {
            id: j.job_id.to_string(),
            buyer: j.buyer,
            provider: j.provider,
            docker_image: j.docker_image,
            status: j.status,
            escrow_amount: j.escrow_amount,
            max_duration_secs: j.max_duration_secs,
            price_per_second: j.price_per_second,
            created_at: j.created_at,
            started_at: j.started_at,
            ended_at: j.ended_at,
            exit_code: j.exit_code,
            reason: j.reason,
            output_url: j.output_url,
            output_cid: j.output_cid,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobsOut {
    pub jobs: Vec<JobOut>,
}

/// A job's status and outcome.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobStatusOut {
    #[schema(pattern = "^(0|[1-9][0-9]{0,19})$")]
    pub id: String,
    #[schema(value_type = JobStatusName)]
    pub status: String,
    pub reason: String,
    pub exit_code: Option<String>,
    pub output_url: Option<String>,
    pub output_cid: Option<String>,
}

/// A payment stream. `attestedSeconds`, `vouchered` and `accrued` are off chain: null
/// unless the caller is signed in as the job's buyer or provider.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StreamOut {
    #[schema(pattern = "^(0|[1-9][0-9]{0,19})$")]
    pub job_id: String,
    /// Octas per second.
    #[schema(pattern = "^(0|[1-9][0-9]{0,19})$")]
    pub rate_per_second: String,
    /// Octas deposited.
    #[schema(pattern = "^(0|[1-9][0-9]{0,19})$")]
    pub escrow: String,
    /// Seconds the provider attested (off chain).
    #[schema(pattern = "^(0|[1-9][0-9]{0,19})$")]
    pub attested_seconds: Option<String>,
    /// Octas of the buyer's newest voucher (off chain).
    #[schema(pattern = "^(0|[1-9][0-9]{0,19})$")]
    pub vouchered: Option<String>,
    /// Octas earned so far: attested seconds x rate, at most the escrow (off chain).
    #[schema(pattern = "^(0|[1-9][0-9]{0,19})$")]
    pub accrued: Option<String>,
    /// Paid to the provider on chain, octas.
    #[schema(pattern = "^(0|[1-9][0-9]{0,19})$")]
    pub settled: String,
    /// Octas returned to the buyer on chain.
    #[schema(pattern = "^(0|[1-9][0-9]{0,19})$")]
    pub refunded: String,
    /// Octas still locked: escrow - settled - refunded.
    #[schema(pattern = "^(0|[1-9][0-9]{0,19})$")]
    pub remaining: String,
    #[schema(value_type = StreamStatusName)]
    pub status: String,
    #[schema(format = DateTime)]
    pub opened_at: String,
    #[schema(format = DateTime)]
    pub closed_at: Option<String>,
}

impl StreamOut {
    fn new(s: StreamRow, party: bool) -> Self {
        let private = |v: String| party.then_some(v);
        StreamOut {
            job_id: s.stream_id.to_string(),
            rate_per_second: s.rate_per_second,
            escrow: s.escrow,
            attested_seconds: private(s.attested_seconds.to_string()),
            vouchered: private(s.vouchered),
            accrued: private(s.accrued),
            settled: s.settled,
            refunded: s.refunded,
            remaining: s.remaining,
            status: s.status,
            opened_at: s.opened_at,
            closed_at: s.closed_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AvailableQuery {
    #[param(pattern = "^[A-Za-z0-9 ._-]{1,64}$")]
    gpu_type: Option<String>,
    #[param(minimum = 0, maximum = 2147483647)]
    min_vram_gb: Option<i32>,
    /// Octas per second at most.
    #[param(pattern = "^(0|[1-9][0-9]{0,18})$")]
    max_price: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// Available providers, cheapest first.
#[utoipa::path(get, path = "/providers/available", params(AvailableQuery),
    responses((status = 200, body = ProvidersOut), Refusals))]
pub async fn available(
    State(st): State<AppState>,
    Query(q): Query<AvailableQuery>,
) -> Result<Json<ProvidersOut>, GatewayError> {
    if let Some(g) = &q.gpu_type {
        inputs::gpu_type(g, "gpuType")?;
    }
    if let Some(p) = &q.max_price {
        inputs::octas(p, "maxPrice")?;
    }
    if q.min_vram_gb.is_some_and(|v| v < 0) {
        return Err(GatewayError::BadInput(
            "minVramGb must be at least 0".into(),
        ));
    }
    let rows = read_models::providers(
        &st.services.pool,
        &ProviderQuery {
            gpu_type: q.gpu_type,
            min_vram_gb: q.min_vram_gb,
            max_price: q.max_price,
            available_only: true,
            limit: inputs::limit(q.limit)?,
            ..ProviderQuery::default()
        },
    )
    .await?;
    Ok(Json(ProvidersOut {
        providers: rows.into_iter().map(Into::into).collect(),
    }))
}

/// A job's status and outcome.
#[utoipa::path(get, path = "/jobs/{id}/status",
    params(("id" = String, Path, pattern = "^(0|[1-9][0-9]{0,17})$", example = "1")),
    responses((status = 200, body = JobStatusOut), Refusals))]
pub async fn job_status(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobStatusOut>, GatewayError> {
    let id = inputs::job_id(&id, "id")?;
    let job = read_models::jobs_by_id(&st.services.pool, &[id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| GatewayError::NotFound(format!("job {id}")))?;
    Ok(Json(JobStatusOut {
        id: id.to_string(),
        status: job.status,
        reason: job.reason,
        exit_code: job.exit_code,
        output_url: job.output_url,
        output_cid: job.output_cid,
    }))
}

/// A payment stream's status (documentation only: the read model's `status` column).
#[allow(dead_code)]
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum StreamStatusName {
    Open,
    Closed,
}

/// A job's status (the read model's `status`), and what a history can filter by.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatusName {
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    #[param(pattern = "^(0x)?[0-9a-fA-F]{1,64}$")]
    buyer: Option<String>,
    #[param(pattern = "^(0x)?[0-9a-fA-F]{1,64}$")]
    provider: Option<String>,
    #[param(inline)]
    status: Option<JobStatusName>,
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// Only jobs with a smaller id (the previous page's last).
    #[param(pattern = "^(0|[1-9][0-9]{0,17})$")]
    before: Option<String>,
}

/// Jobs, newest first.
#[utoipa::path(get, path = "/jobs/history", params(HistoryQuery),
    responses((status = 200, body = JobsOut), Refusals))]
pub async fn history(
    State(st): State<AppState>,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<JobsOut>, GatewayError> {
    let long = |a: Option<&str>, what| {
        a.map(|s| inputs::address(s, what).map(|a| a.to_long_string()))
            .transpose()
    };
    let buyer = long(q.buyer.as_deref(), "buyer")?;
    let provider = long(q.provider.as_deref(), "provider")?;
    let status = q.status.map(|s| match s {
        JobStatusName::Pending => computestream_domain::JobStatus::Pending,
        JobStatusName::Running => computestream_domain::JobStatus::Running,
        JobStatusName::Completed => computestream_domain::JobStatus::Completed,
        JobStatusName::Failed => computestream_domain::JobStatus::Failed,
        JobStatusName::Cancelled => computestream_domain::JobStatus::Cancelled,
    });
    let before = q
        .before
        .as_deref()
        .map(|b| inputs::job_id(b, "before"))
        .transpose()?;
    let rows = read_models::jobs(
        &st.services.pool,
        buyer.as_deref(),
        provider.as_deref(),
        status.map(|s| s.as_str()),
        inputs::limit(q.limit)?,
        before,
    )
    .await?;
    Ok(Json(JobsOut {
        jobs: rows.into_iter().map(Into::into).collect(),
    }))
}

/// A job's payment stream: rate, escrow, settled, refunded, remaining; its off-chain
/// accrual for its buyer and provider only.
#[utoipa::path(get, path = "/payments/stream/{jobId}",
    params(("jobId" = String, Path, pattern = "^(0|[1-9][0-9]{0,17})$", example = "1")),
    responses((status = 200, body = StreamOut), Refusals),
    security((), ("session" = [])))]
pub async fn stream(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<StreamOut>, GatewayError> {
    let id = inputs::job_id(&id, "jobId")?;
    let s = read_models::streams_by_id(&st.services.pool, &[id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| GatewayError::NotFound(format!("payment stream of job {id}")))?;
    let caller = bearer(&headers).and_then(|t| st.services.sessions.who(&t));
    let party = crate::auth::party_of_job(caller, &s.buyer, &s.provider).is_ok();
    Ok(Json(StreamOut::new(s, party)))
}
