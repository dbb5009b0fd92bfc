//! Reads of the read models (the projector's tables), checked at compile time against the
//! migrations (`sqlx::query_as!`, offline metadata in `.sqlx/`). Amounts leave Postgres as
//! decimal text, times as RFC 3339 UTC text: nothing is ever a float.

use sqlx::PgPool;

use crate::GatewayError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRow {
    pub address: String,
    pub gpu_type: String,
    pub vram_gb: i32,
    pub price_per_second: String,
    pub stake: String,
    pub is_active: bool,
    pub registered_at: String,
    pub last_heartbeat_at: Option<String>,
    pub endpoint: Option<String>,
    pub reputation_bps: i64,
    pub jobs_completed: i64,
    pub jobs_failed: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub job_id: i64,
    pub buyer: String,
    pub provider: String,
    pub docker_image: String,
    pub status: String,
    pub escrow_amount: String,
    pub max_duration_secs: String,
    pub price_per_second: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub exit_code: Option<String>,
    pub reason: String,
    pub output_url: Option<String>,
    pub output_cid: Option<String>,
    /// What the provider committed on chain when the job ended (migration 0006).
    pub metering_head: Option<String>,
    pub metered_seconds: Option<String>,
    pub evidence_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRow {
    pub stream_id: i64,
    pub buyer: String,
    pub provider: String,
    pub rate_per_second: String,
    pub escrow: String,
    pub attested_seconds: i64,
    pub vouchered: String,
    pub accrued: String,
    pub settled: String,
    pub refunded: String,
    pub remaining: String,
    pub status: String,
    pub opened_at: String,
    pub closed_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementRow {
    pub version: i64,
    pub stream_id: i64,
    pub cumulative_amount: String,
    pub paid_now: String,
    pub paid_total: String,
    pub settled_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointRow {
    pub at: String,
    pub seconds: i64,
    pub amount: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatsRow {
    pub providers: i64,
    pub active_providers: i64,
    pub jobs: i64,
    pub running_jobs: i64,
    pub completed_jobs: i64,
    pub open_streams: i64,
    pub total_escrow: String,
    pub total_settled: String,
    pub total_refunded: String,
}

/// Which providers, in which order.
#[derive(Debug, Clone, Default)]
pub struct ProviderQuery {
    pub gpu_type: Option<String>,
    pub min_vram_gb: Option<i32>,
    /// Decimal octas.
    pub max_price: Option<String>,
    pub available_only: bool,
    /// `price` (ascending), `reputation` (descending) or `vram` (descending).
    pub sort: ProviderSort,
    pub limit: i64,
    /// Rows to skip (the cursor is an offset into this order).
    pub offset: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProviderSort {
    #[default]
    Price,
    Reputation,
    Vram,
}

fn db(e: sqlx::Error) -> GatewayError {
    GatewayError::Database(e.to_string())
}

pub async fn providers(pool: &PgPool, q: &ProviderQuery) -> Result<Vec<ProviderRow>, GatewayError> {
    let sort = match q.sort {
        ProviderSort::Price => "price",
        ProviderSort::Reputation => "reputation",
        ProviderSort::Vram => "vram",
    };
    sqlx::query_as!(
        ProviderRow,
        r#"SELECT p.address AS "address!", p.gpu_type AS "gpu_type!", p.vram_gb AS "vram_gb!",
                  p.price_per_second::text AS "price_per_second!", p.stake::text AS "stake!",
                  p.is_active AS "is_active!",
                  to_char(p.registered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "registered_at!",
                  to_char(p.last_heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last_heartbeat_at,
                  e.endpoint AS "endpoint?",
                  COALESCE(r.reputation_bps, 0) AS "reputation_bps!",
                  COALESCE(r.jobs_completed, 0) AS "jobs_completed!",
                  COALESCE(r.jobs_failed, 0) AS "jobs_failed!"
           FROM providers p LEFT JOIN provider_reputation r ON r.address = p.address
                LEFT JOIN provider_endpoints e ON e.provider = p.address
           WHERE ($1::text IS NULL OR p.gpu_type = $1)
             AND ($2::int IS NULL OR p.vram_gb >= $2)
             AND ($3::numeric IS NULL OR p.price_per_second <= $3::numeric)
             AND (NOT $4 OR p.is_active)
           ORDER BY CASE WHEN $5 = 'price' THEN p.price_per_second END ASC,
                    CASE WHEN $5 = 'reputation' THEN r.reputation_bps END DESC,
                    CASE WHEN $5 = 'vram' THEN p.vram_gb END DESC,
                    p.address
           LIMIT $6 OFFSET $7"#,
        q.gpu_type,
        q.min_vram_gb,
        q.max_price.as_deref().map(|s| s.to_owned()) as Option<String>,
        q.available_only,
        sort,
        q.limit,
        q.offset,
    )
    .fetch_all(pool)
    .await
    .map_err(db)
}

pub async fn providers_by_address(
    pool: &PgPool,
    addresses: &[String],
) -> Result<Vec<ProviderRow>, GatewayError> {
    sqlx::query_as!(
        ProviderRow,
        r#"SELECT p.address AS "address!", p.gpu_type AS "gpu_type!", p.vram_gb AS "vram_gb!",
                  p.price_per_second::text AS "price_per_second!", p.stake::text AS "stake!",
                  p.is_active AS "is_active!",
                  to_char(p.registered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "registered_at!",
                  to_char(p.last_heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last_heartbeat_at,
                  e.endpoint AS "endpoint?",
                  COALESCE(r.reputation_bps, 0) AS "reputation_bps!",
                  COALESCE(r.jobs_completed, 0) AS "jobs_completed!",
                  COALESCE(r.jobs_failed, 0) AS "jobs_failed!"
           FROM providers p LEFT JOIN provider_reputation r ON r.address = p.address
                LEFT JOIN provider_endpoints e ON e.provider = p.address
           WHERE p.address = ANY($1)"#,
        addresses,
    )
    .fetch_all(pool)
    .await
    .map_err(db)
}

pub async fn jobs(
    pool: &PgPool,
    buyer: Option<&str>,
    provider: Option<&str>,
    status: Option<&str>,
    limit: i64,
    before_id: Option<i64>,
) -> Result<Vec<JobRow>, GatewayError> {
    sqlx::query_as!(
        JobRow,
        r#"SELECT job_id AS "job_id!", buyer AS "buyer!", provider AS "provider!",
                  docker_image AS "docker_image!", status AS "status!",
                  escrow_amount::text AS "escrow_amount!", max_duration_secs::text AS "max_duration_secs!",
                  price_per_second::text AS "price_per_second!",
                  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "created_at!",
                  to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS started_at,
                  to_char(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ended_at,
                  exit_code::text AS exit_code, reason AS "reason!", output_url, output_cid,
                  metering_head, metered_seconds::text AS metered_seconds,
                  evidence_version::text AS evidence_version
           FROM jobs
           WHERE ($1::text IS NULL OR buyer = $1)
             AND ($2::text IS NULL OR provider = $2)
             AND ($3::text IS NULL OR status = $3)
             AND ($4::bigint IS NULL OR job_id < $4)
           ORDER BY job_id DESC
           LIMIT $5"#,
        buyer,
        provider,
        status,
        before_id,
        limit,
    )
    .fetch_all(pool)
    .await
    .map_err(db)
}

pub async fn jobs_by_id(pool: &PgPool, ids: &[i64]) -> Result<Vec<JobRow>, GatewayError> {
    sqlx::query_as!(
        JobRow,
        r#"SELECT job_id AS "job_id!", buyer AS "buyer!", provider AS "provider!",
                  docker_image AS "docker_image!", status AS "status!",
                  escrow_amount::text AS "escrow_amount!", max_duration_secs::text AS "max_duration_secs!",
                  price_per_second::text AS "price_per_second!",
                  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "created_at!",
                  to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS started_at,
                  to_char(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ended_at,
                  exit_code::text AS exit_code, reason AS "reason!", output_url, output_cid,
                  metering_head, metered_seconds::text AS metered_seconds,
                  evidence_version::text AS evidence_version
           FROM jobs WHERE job_id = ANY($1)"#,
        ids,
    )
    .fetch_all(pool)
    .await
    .map_err(db)
}

pub async fn streams_by_id(pool: &PgPool, ids: &[i64]) -> Result<Vec<StreamRow>, GatewayError> {
    sqlx::query_as!(
        StreamRow,
        r#"SELECT stream_id AS "stream_id!", buyer AS "buyer!", provider AS "provider!",
                  rate_per_second::text AS "rate_per_second!", escrow::text AS "escrow!",
                  attested_seconds AS "attested_seconds!", vouchered::text AS "vouchered!",
                  accrued::text AS "accrued!", settled::text AS "settled!",
                  refunded::text AS "refunded!", remaining::text AS "remaining!",
                  status AS "status!",
                  to_char(opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "opened_at!",
                  to_char(closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS closed_at
           FROM payment_streams WHERE stream_id = ANY($1)"#,
        ids,
    )
    .fetch_all(pool)
    .await
    .map_err(db)
}

pub async fn settlements(
    pool: &PgPool,
    stream_id: i64,
) -> Result<Vec<SettlementRow>, GatewayError> {
    sqlx::query_as!(
        SettlementRow,
        r#"SELECT version AS "version!", stream_id AS "stream_id!",
                  cumulative_amount::text AS "cumulative_amount!", paid_now::text AS "paid_now!",
                  paid_total::text AS "paid_total!",
                  to_char(settled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "settled_at!"
           FROM stream_settlements WHERE stream_id = $1 ORDER BY version, event_index"#,
        stream_id,
    )
    .fetch_all(pool)
    .await
    .map_err(db)
}

/// Seconds served and their price, per `bucket_secs`, for one stream, between two unix
/// millisecond instants.
pub async fn stream_series(
    pool: &PgPool,
    stream_id: i64,
    from_ms: i64,
    to_ms: i64,
    bucket_secs: i64,
) -> Result<Vec<PointRow>, GatewayError> {
    sqlx::query_as!(
        PointRow,
        r#"SELECT to_char(to_timestamp(floor(extract(epoch FROM t.at) / $4::bigint) * $4::bigint) AT TIME ZONE 'UTC',
                          'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "at!",
                  count(*) AS "seconds!",
                  (count(*) * s.rate_per_second)::text AS "amount!"
           FROM payment_ticks t JOIN payment_streams s ON s.stream_id = t.stream_id
           WHERE t.stream_id = $1
             AND t.at >= to_timestamp($2::bigint / 1000.0) AND t.at < to_timestamp($3::bigint / 1000.0)
           GROUP BY 1, s.rate_per_second ORDER BY 1"#,
        stream_id,
        from_ms,
        to_ms,
        bucket_secs,
    )
    .fetch_all(pool)
    .await
    .map_err(db)
}

/// A provider's earnings per `bucket_secs` (from the per-minute rollup).
pub async fn provider_earnings(
    pool: &PgPool,
    provider: &str,
    from_ms: i64,
    to_ms: i64,
    bucket_secs: i64,
) -> Result<Vec<PointRow>, GatewayError> {
    sqlx::query_as!(
        PointRow,
        r#"SELECT to_char(to_timestamp(floor(extract(epoch FROM minute) / $4::bigint) * $4::bigint) AT TIME ZONE 'UTC',
                          'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "at!",
                  sum(seconds_served)::bigint AS "seconds!",
                  sum(earnings)::text AS "amount!"
           FROM provider_earnings_minute
           WHERE provider = $1
             AND minute >= to_timestamp($2::bigint / 1000.0) AND minute < to_timestamp($3::bigint / 1000.0)
           GROUP BY 1 ORDER BY 1"#,
        provider,
        from_ms,
        to_ms,
        bucket_secs,
    )
    .fetch_all(pool)
    .await
    .map_err(db)
}

pub async fn stats(pool: &PgPool) -> Result<StatsRow, GatewayError> {
    sqlx::query_as!(
        StatsRow,
        r#"SELECT (SELECT count(*) FROM providers) AS "providers!",
                  (SELECT count(*) FROM providers WHERE is_active) AS "active_providers!",
                  (SELECT count(*) FROM jobs) AS "jobs!",
                  (SELECT count(*) FROM jobs WHERE status = 'running') AS "running_jobs!",
                  (SELECT count(*) FROM jobs WHERE status = 'completed') AS "completed_jobs!",
                  (SELECT count(*) FROM payment_streams WHERE status = 'open') AS "open_streams!",
                  (SELECT COALESCE(sum(deposited), 0)::text FROM escrows) AS "total_escrow!",
                  (SELECT COALESCE(sum(settled), 0)::text FROM payment_streams) AS "total_settled!",
                  (SELECT COALESCE(sum(refunded), 0)::text FROM payment_streams) AS "total_refunded!""#,
    )
    .fetch_one(pool)
    .await
    .map_err(db)
}
