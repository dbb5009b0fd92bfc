//! The object, enum and input types of the schema (read models as GraphQL).

use async_graphql::dataloader::DataLoader;
use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, SimpleObject, ID};

use super::args::*;
use super::evidence::JobEvidence;
use super::loaders::*;
use crate::auth::{party_of_job, SignedIn};
use crate::error::Gql;
use crate::read_models::{self, JobRow, ProviderRow, StreamRow};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum JobStatus {
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub(super) fn as_db(self) -> &'static str {
        computestream_domain::JobStatus::from(self).as_str()
    }

    pub(super) fn from_db(s: &str) -> JobStatus {
        s.parse::<computestream_domain::JobStatus>()
            .map(JobStatus::from)
            .unwrap_or(JobStatus::Pending)
    }
}

impl From<JobStatus> for computestream_domain::JobStatus {
    fn from(s: JobStatus) -> Self {
        use computestream_domain::JobStatus as D;
        match s {
            JobStatus::Pending => D::Pending,
            JobStatus::Running => D::Running,
            JobStatus::Completed => D::Completed,
            JobStatus::Failed => D::Failed,
            JobStatus::Cancelled => D::Cancelled,
        }
    }
}

impl From<computestream_domain::JobStatus> for JobStatus {
    fn from(s: computestream_domain::JobStatus) -> Self {
        use computestream_domain::JobStatus as D;
        match s {
            D::Pending => JobStatus::Pending,
            D::Running => JobStatus::Running,
            D::Completed => JobStatus::Completed,
            D::Failed => JobStatus::Failed,
            D::Cancelled => JobStatus::Cancelled,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum ProviderOrder {
    /// Cheapest first.
    #[default]
    PriceAsc,
    /// Best reputation first.
    ReputationDesc,
    /// Most GPU memory first.
    VramDesc,
}

#[derive(InputObject, Debug, Default)]
pub struct ProviderFilter {
    pub gpu_type: Option<String>,
    pub min_vram_gb: Option<i32>,
    /// Decimal octas per second.
    pub max_price_per_second: Option<String>,
    /// Only providers currently available (default true).
    pub available: Option<bool>,
}

/// A time range and bucket for series: unix milliseconds as decimal strings.
#[derive(InputObject, Debug, Default)]
pub struct SeriesRange {
    pub from_ms: Option<String>,
    pub to_ms: Option<String>,
    /// Bucket width in seconds (1..=86400, default 60).
    pub bucket_secs: Option<i32>,
}

/// The latest time a series may name: 9999-12-31T23:59:59.999Z, in unix milliseconds (what
/// every reader's date type holds).
pub const MAX_TIME_MS: i64 = 253_402_300_799_999;
impl SeriesRange {
    /// `(fromMs, toMs, bucketSecs)` checked: times within `0..=MAX_TIME_MS`, `fromMs <= toMs`,
    /// a bucket of `1..=86400` s. Every refusal names the argument; nothing overflows.
    pub(super) fn resolve(&self) -> async_graphql::Result<(i64, i64, i64)> {
        let num = |s: &Option<String>, dflt: i64, what: &str| -> async_graphql::Result<i64> {
            let v = match s {
                None => dflt,
                Some(v) => v
                    .parse::<i64>()
                    .map_err(|_| bad(format!("{what} must be unix milliseconds")))?,
            };
            if (0..=MAX_TIME_MS).contains(&v) {
                Ok(v)
            } else {
                Err(bad(format!("{what} must be within 0..={MAX_TIME_MS}")))
            }
        };
        let now = i64::try_from(computestream_runtime::now_ms()).unwrap_or(MAX_TIME_MS);
        let to = num(
            &self.to_ms,
            now.saturating_add(60_000).min(MAX_TIME_MS),
            "toMs",
        )?;
        let from = num(&self.from_ms, to.saturating_sub(3_600_000).max(0), "fromMs")?;
        let bucket = i64::from(self.bucket_secs.unwrap_or(60));
        if !(1..=86_400).contains(&bucket) {
            return Err(bad("bucketSecs must be within 1..=86400"));
        }
        if from > to {
            return Err(bad("fromMs must not be after toMs"));
        }
        Ok((from, to, bucket))
    }
}

#[derive(SimpleObject, Debug, Clone)]
pub struct SeriesPoint {
    /// Bucket start, RFC 3339 UTC.
    pub at: String,
    pub seconds: i32,
    /// Octas.
    pub amount: String,
}

impl From<read_models::PointRow> for SeriesPoint {
    fn from(p: read_models::PointRow) -> Self {
        SeriesPoint {
            at: p.at,
            seconds: i32::try_from(p.seconds).unwrap_or(i32::MAX),
            amount: p.amount,
        }
    }
}

#[derive(SimpleObject, Debug, Clone)]
#[graphql(complex)]
pub struct Provider {
    pub address: String,
    pub gpu_type: String,
    pub vram_gb: i32,
    pub price_per_second: String,
    pub stake: String,
    pub is_active: bool,
    pub registered_at: String,
    pub last_heartbeat_at: Option<String>,
    /// The provider's x402 endpoint (buyers pay `GET {endpoint}/jobs/{id}`), as its
    /// executor announced it in its newest heartbeat; null before the first one.
    pub endpoint: Option<String>,
    /// Reputation in basis points (10000 = perfect); see docs/ANALYTICS.md.
    pub reputation_bps: i32,
    pub jobs_completed: i32,
    pub jobs_failed: i32,
}

impl From<ProviderRow> for Provider {
    fn from(r: ProviderRow) -> Self {
        let small = |v: i64| i32::try_from(v).unwrap_or(i32::MAX);
        Provider {
            address: r.address,
            gpu_type: r.gpu_type,
            vram_gb: r.vram_gb,
            price_per_second: r.price_per_second,
            stake: r.stake,
            is_active: r.is_active,
            registered_at: r.registered_at,
            last_heartbeat_at: r.last_heartbeat_at,
            endpoint: r.endpoint,
            reputation_bps: small(r.reputation_bps),
            jobs_completed: small(r.jobs_completed),
            jobs_failed: small(r.jobs_failed),
        }
    }
}

#[ComplexObject]
impl Provider {
    /// Earnings per bucket, from the per-minute rollup (charged as 60 buckets).
    #[graphql(complexity = "10 + 60 * child_complexity")]
    async fn earnings(
        &self,
        ctx: &Context<'_>,
        range: Option<SeriesRange>,
    ) -> async_graphql::Result<Vec<SeriesPoint>> {
        let (from, to, bucket) = range.unwrap_or_default().resolve()?;
        let rows =
            read_models::provider_earnings(&services(ctx).pool, &self.address, from, to, bucket)
                .await
                .gql()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// This provider's most recent jobs.
    #[graphql(complexity = "10 + first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn jobs(&self, ctx: &Context<'_>, first: Option<i32>) -> async_graphql::Result<Vec<Job>> {
        let rows = read_models::jobs(
            &services(ctx).pool,
            None,
            Some(&self.address),
            None,
            clamp_first(first)?,
            None,
        )
        .await
        .gql()?;
        Ok(rows.into_iter().map(Job).collect())
    }
}

#[derive(SimpleObject, Debug)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

#[derive(SimpleObject, Debug)]
pub struct ProviderConnection {
    pub nodes: Vec<Provider>,
    pub page_info: PageInfo,
}

#[derive(SimpleObject, Debug)]
pub struct JobConnection {
    pub nodes: Vec<Job>,
    pub page_info: PageInfo,
}

#[derive(Debug, Clone)]
pub struct Job(pub JobRow);

#[Object]
impl Job {
    async fn id(&self) -> ID {
        ID(self.0.job_id.to_string())
    }
    async fn buyer(&self) -> &str {
        &self.0.buyer
    }
    async fn provider_address(&self) -> &str {
        &self.0.provider
    }
    /// The provider (batched across a query's jobs).
    #[graphql(complexity = "10 + child_complexity")]
    async fn provider(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Provider>> {
        let loader = ctx.data_unchecked::<DataLoader<ProviderLoader>>();
        Ok(loader
            .load_one(self.0.provider.clone())
            .await
            .map_err(loader_err)?
            .map(Into::into))
    }
    async fn docker_image(&self) -> &str {
        &self.0.docker_image
    }
    /// The metering evidence the provider committed on chain when the job ended, and its
    /// verification; null before.
    async fn evidence(&self) -> Option<JobEvidence> {
        let j = &self.0;
        match (&j.metering_head, &j.metered_seconds, &j.evidence_version) {
            (Some(h), Some(s), Some(v)) => Some(JobEvidence {
                job_id: j.job_id as u64,
                metering_head: h.clone(),
                metered_seconds: s.clone(),
                version: v.clone(),
            }),
            _ => None,
        }
    }
    async fn status(&self) -> JobStatus {
        JobStatus::from_db(&self.0.status)
    }
    async fn escrow_amount(&self) -> &str {
        &self.0.escrow_amount
    }
    async fn max_duration_secs(&self) -> String {
        self.0.max_duration_secs.clone()
    }
    async fn price_per_second(&self) -> &str {
        &self.0.price_per_second
    }
    async fn created_at(&self) -> &str {
        &self.0.created_at
    }
    async fn started_at(&self) -> Option<&str> {
        self.0.started_at.as_deref()
    }
    async fn ended_at(&self) -> Option<&str> {
        self.0.ended_at.as_deref()
    }
    async fn exit_code(&self) -> Option<String> {
        self.0.exit_code.clone()
    }
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    async fn output_url(&self) -> Option<&str> {
        self.0.output_url.as_deref()
    }
    /// IPFS CIDv1 (raw, sha2-256) of the outputs.
    async fn output_cid(&self) -> Option<&str> {
        self.0.output_cid.as_deref()
    }
    /// The job's payment stream (batched across a query's jobs).
    #[graphql(complexity = "10 + child_complexity")]
    async fn stream(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PaymentStream>> {
        let loader = ctx.data_unchecked::<DataLoader<StreamLoader>>();
        Ok(loader
            .load_one(self.0.job_id)
            .await
            .map_err(loader_err)?
            .map(PaymentStream))
    }
}

#[derive(SimpleObject, Debug, Clone)]
pub struct StreamSettlement {
    pub version: String,
    pub cumulative_amount: String,
    pub paid_now: String,
    pub paid_total: String,
    pub settled_at: String,
}

#[derive(Debug, Clone)]
pub struct PaymentStream(pub StreamRow);

impl PaymentStream {
    /// Refuses anyone but the job's buyer and provider (see [`crate::auth::party_of_job`]).
    fn party(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let caller = ctx.data_opt::<SignedIn>().and_then(|s| s.0);
        party_of_job(caller, &self.0.buyer, &self.0.provider)
            .map(|_| ())
            .gql()
    }
}

#[Object]
impl PaymentStream {
    async fn job_id(&self) -> ID {
        ID(self.0.stream_id.to_string())
    }
    async fn rate_per_second(&self) -> &str {
        &self.0.rate_per_second
    }
    async fn escrow(&self) -> &str {
        &self.0.escrow
    }
    /// Seconds the provider attested (off chain: the job's buyer and provider only).
    async fn attested_seconds(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        self.party(ctx)?;
        Ok(Some(self.0.attested_seconds.to_string()))
    }
    /// Newest buyer voucher (off chain: the job's buyer and provider only).
    async fn vouchered(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<&str>> {
        self.party(ctx)?;
        Ok(Some(&self.0.vouchered))
    }
    /// Attested seconds x rate, capped at the escrow (off chain: the job's buyer and
    /// provider only).
    async fn accrued(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<&str>> {
        self.party(ctx)?;
        Ok(Some(&self.0.accrued))
    }
    /// Paid to the provider on chain.
    async fn settled(&self) -> &str {
        &self.0.settled
    }
    async fn refunded(&self) -> &str {
        &self.0.refunded
    }
    async fn remaining(&self) -> &str {
        &self.0.remaining
    }
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn opened_at(&self) -> &str {
        &self.0.opened_at
    }
    async fn closed_at(&self) -> Option<&str> {
        self.0.closed_at.as_deref()
    }
    /// Seconds served and their price per bucket, from the metering records (off chain:
    /// the job's buyer and provider only; charged as 60 buckets).
    #[graphql(complexity = "10 + 60 * child_complexity")]
    async fn series(
        &self,
        ctx: &Context<'_>,
        range: Option<SeriesRange>,
    ) -> async_graphql::Result<Option<Vec<SeriesPoint>>> {
        self.party(ctx)?;
        let (from, to, bucket) = range.unwrap_or_default().resolve()?;
        let rows =
            read_models::stream_series(&services(ctx).pool, self.0.stream_id, from, to, bucket)
                .await
                .gql()?;
        Ok(Some(rows.into_iter().map(Into::into).collect()))
    }
    /// On-chain redemptions of this stream (charged as 20).
    #[graphql(complexity = "10 + 20 * child_complexity")]
    async fn settlements(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StreamSettlement>> {
        let rows = read_models::settlements(&services(ctx).pool, self.0.stream_id)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .map(|r| StreamSettlement {
                version: r.version.to_string(),
                cumulative_amount: r.cumulative_amount,
                paid_now: r.paid_now,
                paid_total: r.paid_total,
                settled_at: r.settled_at,
            })
            .collect())
    }
}

#[derive(SimpleObject, Debug, Clone)]
pub struct MarketplaceStats {
    pub providers: String,
    pub active_providers: String,
    pub jobs: String,
    pub running_jobs: String,
    pub completed_jobs: String,
    pub open_streams: String,
    pub total_escrow: String,
    pub total_settled: String,
    pub total_refunded: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(from: Option<&str>, to: Option<&str>, bucket: Option<i32>) -> SeriesRange {
        SeriesRange {
            from_ms: from.map(str::to_owned),
            to_ms: to.map(str::to_owned),
            bucket_secs: bucket,
        }
    }

    #[test]
    fn out_of_range_times_are_bad_input_naming_the_argument_never_a_panic() {
        for (r, what) in [
            (range(None, Some("-9223372036854775808"), None), "toMs"),
            (range(Some("0"), Some("9223372036854775807"), None), "toMs"),
            (range(Some("-1"), Some("0"), None), "fromMs"),
            (range(Some("x"), None, None), "fromMs"),
            (range(Some("10"), Some("5"), None), "fromMs"),
            (range(Some("0"), Some("0"), Some(0)), "bucketSecs"),
        ] {
            let e = r.resolve().expect_err(what);
            assert!(e.message.contains(what), "{what}: {}", e.message);
        }
        assert_eq!(
            range(Some("0"), Some("3600000"), Some(60))
                .resolve()
                .expect("an hour"),
            (0, 3_600_000, 60)
        );
    }
}
