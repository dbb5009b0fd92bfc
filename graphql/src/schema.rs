//! The GraphQL schema: queries over the read models, subscriptions over the live feed,
//! chain-bound writes behind a signed-in session. Amounts are decimal strings of octas;
//! there is no `Float` anywhere (inputs or outputs).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{
    ComplexObject, Context, Enum, InputObject, Object, Schema, SimpleObject, Subscription, ID,
};
use computestream_domain::{AccountAddress, Octas, PublicKey};
use futures::{Stream, StreamExt};
use sqlx::PgPool;
use tokio_stream::wrappers::BroadcastStream;

use crate::auth::{sign_in_message, Caller, Sessions};
use crate::error::Gql;
use crate::live::{Live, LiveFeed};
use crate::payloads::{self, EntryPayload};
use crate::store::{self, JobRow, ProviderQuery, ProviderRow, ProviderSort, StreamRow};
use crate::GatewayError;
use async_graphql::ErrorExtensions;

pub type GatewaySchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// What resolvers share.
#[derive(Debug, Clone)]
pub struct Services {
    pub pool: PgPool,
    pub feed: LiveFeed,
    pub sessions: Arc<Sessions>,
    pub chain: Option<computestream_chain::RestChain>,
    pub package: AccountAddress,
    pub chain_id: u8,
}

fn services<'a>(ctx: &Context<'a>) -> &'a Services {
    ctx.data_unchecked::<Services>()
}

fn bad(msg: impl Into<String>) -> async_graphql::Error {
    GatewayError::BadInput(msg.into()).extend()
}

fn parse_id(id: &ID) -> async_graphql::Result<i64> {
    id.parse::<u64>()
        .ok()
        .and_then(|v| i64::try_from(v).ok())
        .ok_or_else(|| bad(format!("{:?} is not a job id", id.as_str())))
}

fn parse_address(s: &str) -> async_graphql::Result<AccountAddress> {
    s.parse()
        .map_err(|_| bad(format!("{s:?} is not an account address")))
}

fn parse_octas(s: &str, what: &str) -> async_graphql::Result<Octas> {
    s.parse()
        .map_err(|_| bad(format!("{what} must be a decimal string of octas")))
}

fn clamp_first(first: Option<i32>) -> async_graphql::Result<i64> {
    match first.unwrap_or(20) {
        n @ 1..=100 => Ok(i64::from(n)),
        n => Err(bad(format!("first must be within 1..=100, got {n}"))),
    }
}

// ---- data loaders (N+1) ----

#[derive(Debug)]
pub struct ProviderLoader(pub PgPool);
#[derive(Debug)]
pub struct StreamLoader(pub PgPool);

impl Loader<String> for ProviderLoader {
    type Value = ProviderRow;
    type Error = Arc<GatewayError>;
    async fn load(&self, keys: &[String]) -> Result<HashMap<String, ProviderRow>, Self::Error> {
        let rows = store::providers_by_address(&self.0, keys)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|r| (r.address.clone(), r)).collect())
    }
}

impl Loader<i64> for StreamLoader {
    type Value = StreamRow;
    type Error = Arc<GatewayError>;
    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, StreamRow>, Self::Error> {
        let rows = store::streams_by_id(&self.0, keys)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|r| (r.stream_id, r)).collect())
    }
}

fn loader_err(e: Arc<GatewayError>) -> async_graphql::Error {
    e.extend()
}

// ---- types ----

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum JobStatus {
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

impl JobStatus {
    fn as_db(self) -> &'static str {
        computestream_domain::JobStatus::from(self).as_str()
    }

    fn from_db(s: &str) -> JobStatus {
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

impl SeriesRange {
    fn resolve(&self) -> async_graphql::Result<(i64, i64, i64)> {
        let num = |s: &Option<String>, dflt: i64, what: &str| -> async_graphql::Result<i64> {
            match s {
                None => Ok(dflt),
                Some(v) => v
                    .parse::<i64>()
                    .map_err(|_| bad(format!("{what} must be unix milliseconds"))),
            }
        };
        let now = computestream_runtime::now_ms() as i64;
        let to = num(&self.to_ms, now + 60_000, "toMs")?;
        let from = num(&self.from_ms, to - 3_600_000, "fromMs")?;
        let bucket = i64::from(self.bucket_secs.unwrap_or(60));
        if !(1..=86_400).contains(&bucket) || from > to {
            return Err(bad(
                "bucketSecs must be within 1..=86400 and fromMs <= toMs",
            ));
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

impl From<store::PointRow> for SeriesPoint {
    fn from(p: store::PointRow) -> Self {
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
            reputation_bps: small(r.reputation_bps),
            jobs_completed: small(r.jobs_completed),
            jobs_failed: small(r.jobs_failed),
        }
    }
}

#[ComplexObject]
impl Provider {
    /// Earnings per bucket, from the per-minute rollup.
    async fn earnings(
        &self,
        ctx: &Context<'_>,
        range: Option<SeriesRange>,
    ) -> async_graphql::Result<Vec<SeriesPoint>> {
        let (from, to, bucket) = range.unwrap_or_default().resolve()?;
        let rows = store::provider_earnings(&services(ctx).pool, &self.address, from, to, bucket)
            .await
            .gql()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// This provider's most recent jobs.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn jobs(&self, ctx: &Context<'_>, first: Option<i32>) -> async_graphql::Result<Vec<Job>> {
        let rows = store::jobs(
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
    async fn attested_seconds(&self) -> String {
        self.0.attested_seconds.to_string()
    }
    /// Newest buyer voucher (off chain).
    async fn vouchered(&self) -> &str {
        &self.0.vouchered
    }
    /// Attested seconds x rate, capped at the escrow (off chain).
    async fn accrued(&self) -> &str {
        &self.0.accrued
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
    /// Seconds served and their price per bucket.
    async fn series(
        &self,
        ctx: &Context<'_>,
        range: Option<SeriesRange>,
    ) -> async_graphql::Result<Vec<SeriesPoint>> {
        let (from, to, bucket) = range.unwrap_or_default().resolve()?;
        let rows = store::stream_series(&services(ctx).pool, self.0.stream_id, from, to, bucket)
            .await
            .gql()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
    /// On-chain redemptions of this stream.
    async fn settlements(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StreamSettlement>> {
        let rows = store::settlements(&services(ctx).pool, self.0.stream_id)
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

// ---- queries ----

#[derive(Debug)]
pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// Providers, filtered and sorted, `first` at a time after `after`.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn providers(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProviderFilter>,
        order: Option<ProviderOrder>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ProviderConnection> {
        let f = filter.unwrap_or_default();
        let limit = clamp_first(first)?;
        let offset = match after {
            None => 0,
            Some(c) => c
                .parse::<i64>()
                .ok()
                .filter(|o| *o >= 0)
                .ok_or_else(|| bad("after is not a cursor of this list"))?,
        };
        if let Some(p) = &f.max_price_per_second {
            parse_octas(p, "maxPricePerSecond")?;
        }
        let q = ProviderQuery {
            gpu_type: f.gpu_type,
            min_vram_gb: f.min_vram_gb,
            max_price: f.max_price_per_second,
            available_only: f.available.unwrap_or(true),
            sort: match order.unwrap_or_default() {
                ProviderOrder::PriceAsc => ProviderSort::Price,
                ProviderOrder::ReputationDesc => ProviderSort::Reputation,
                ProviderOrder::VramDesc => ProviderSort::Vram,
            },
            limit: limit + 1,
            offset,
        };
        let mut rows = store::providers(&services(ctx).pool, &q).await.gql()?;
        let has_next_page = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let end = offset + rows.len() as i64;
        Ok(ProviderConnection {
            page_info: PageInfo {
                has_next_page,
                end_cursor: (!rows.is_empty()).then(|| end.to_string()),
            },
            nodes: rows.into_iter().map(Into::into).collect(),
        })
    }

    async fn provider(
        &self,
        ctx: &Context<'_>,
        address: String,
    ) -> async_graphql::Result<Option<Provider>> {
        let a = parse_address(&address)?.to_long_string();
        let loader = ctx.data_unchecked::<DataLoader<ProviderLoader>>();
        Ok(loader
            .load_one(a)
            .await
            .map_err(loader_err)?
            .map(Into::into))
    }

    /// Jobs, newest first, by buyer, provider and status.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        buyer: Option<String>,
        provider: Option<String>,
        status: Option<JobStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<JobConnection> {
        let limit = clamp_first(first)?;
        let before = match after {
            None => None,
            Some(c) => Some(
                c.parse::<i64>()
                    .map_err(|_| bad("after is not a cursor of this list"))?,
            ),
        };
        let buyer = buyer
            .map(|b| parse_address(&b).map(|a| a.to_long_string()))
            .transpose()?;
        let provider = provider
            .map(|p| parse_address(&p).map(|a| a.to_long_string()))
            .transpose()?;
        let mut rows = store::jobs(
            &services(ctx).pool,
            buyer.as_deref(),
            provider.as_deref(),
            status.map(JobStatus::as_db),
            limit + 1,
            before,
        )
        .await
        .gql()?;
        let has_next_page = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        Ok(JobConnection {
            page_info: PageInfo {
                has_next_page,
                end_cursor: rows.last().map(|r| r.job_id.to_string()),
            },
            nodes: rows.into_iter().map(Job).collect(),
        })
    }

    async fn job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Job>> {
        let id = parse_id(&id)?;
        Ok(store::jobs_by_id(&services(ctx).pool, &[id])
            .await
            .gql()?
            .into_iter()
            .next()
            .map(Job))
    }

    async fn payment_stream(
        &self,
        ctx: &Context<'_>,
        job_id: ID,
    ) -> async_graphql::Result<Option<PaymentStream>> {
        let id = parse_id(&job_id)?;
        let loader = ctx.data_unchecked::<DataLoader<StreamLoader>>();
        Ok(loader
            .load_one(id)
            .await
            .map_err(loader_err)?
            .map(PaymentStream))
    }

    async fn marketplace_stats(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<MarketplaceStats> {
        let s = store::stats(&services(ctx).pool).await.gql()?;
        Ok(MarketplaceStats {
            providers: s.providers.to_string(),
            active_providers: s.active_providers.to_string(),
            jobs: s.jobs.to_string(),
            running_jobs: s.running_jobs.to_string(),
            completed_jobs: s.completed_jobs.to_string(),
            open_streams: s.open_streams.to_string(),
            total_escrow: s.total_escrow,
            total_settled: s.total_settled,
            total_refunded: s.total_refunded,
        })
    }
}

// ---- writes ----

#[derive(SimpleObject, Debug, Clone)]
pub struct Session {
    pub token: String,
    pub address: String,
    /// Unix milliseconds.
    pub expires_at_ms: String,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct SignInChallenge {
    pub nonce: String,
    /// The exact text to sign (UTF-8 bytes, ed25519) with the account's key.
    pub message: String,
}

/// An unsigned entry-function payload for a wallet to sign and submit.
#[derive(SimpleObject, Debug, Clone)]
pub struct TransactionPayload {
    pub sender: String,
    pub function: String,
    pub type_arguments: Vec<String>,
    /// The arguments in the node API's JSON encoding, one JSON value each.
    pub arguments: Vec<String>,
    /// The whole payload as the node API's JSON (what wallets take).
    pub json: String,
}

fn to_payload(sender: AccountAddress, p: EntryPayload) -> TransactionPayload {
    TransactionPayload {
        sender: sender.to_long_string(),
        json: serde_json::to_string(&p).unwrap_or_default(),
        function: p.function,
        type_arguments: p.type_arguments,
        arguments: p.arguments.iter().map(|a| a.to_string()).collect(),
    }
}

#[derive(SimpleObject, Debug, Clone)]
pub struct SubmittedTransaction {
    pub hash: String,
    pub sender: String,
}

fn caller(ctx: &Context<'_>) -> async_graphql::Result<AccountAddress> {
    ctx.data_opt::<Caller>()
        .copied()
        .unwrap_or(Caller(None))
        .require()
        .gql()
}

#[derive(Debug)]
pub struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Step 1 of signing in: a one-time nonce and the message to sign.
    async fn sign_in_challenge(
        &self,
        ctx: &Context<'_>,
        address: String,
    ) -> async_graphql::Result<SignInChallenge> {
        let a = parse_address(&address)?;
        let nonce = services(ctx).sessions.nonce(a);
        Ok(SignInChallenge {
            message: sign_in_message(&a, &nonce),
            nonce,
        })
    }

    /// Step 2: the signed message opens a session bound to the address.
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        address: String,
        public_key: String,
        nonce: String,
        signature: String,
    ) -> async_graphql::Result<Session> {
        let a = parse_address(&address)?;
        let (token, exp) = services(ctx)
            .sessions
            .sign_in(a, &public_key, &nonce, &signature)
            .gql()?;
        Ok(Session {
            token,
            address: a.to_long_string(),
            expires_at_ms: exp.to_string(),
        })
    }

    async fn build_register_provider(
        &self,
        ctx: &Context<'_>,
        gpu_type: String,
        vram_gb: i32,
        price_per_second: String,
        stake: String,
    ) -> async_graphql::Result<TransactionPayload> {
        let who = caller(ctx)?;
        let vram = u64::try_from(vram_gb).map_err(|_| bad("vramGb must be positive"))?;
        let p = payloads::register_provider(
            &services(ctx).package,
            &gpu_type,
            vram,
            parse_octas(&price_per_second, "pricePerSecond")?,
            parse_octas(&stake, "stake")?,
        )
        .map_err(|r| GatewayError::from(r).extend())?;
        Ok(to_payload(who, p))
    }

    async fn build_update_availability(
        &self,
        ctx: &Context<'_>,
        is_active: bool,
    ) -> async_graphql::Result<TransactionPayload> {
        let who = caller(ctx)?;
        Ok(to_payload(
            who,
            payloads::update_availability(&services(ctx).package, is_active),
        ))
    }

    async fn build_create_job(
        &self,
        ctx: &Context<'_>,
        provider: String,
        docker_image: String,
        max_duration_secs: String,
        escrow_amount: String,
        buyer_public_key: String,
    ) -> async_graphql::Result<TransactionPayload> {
        let who = caller(ctx)?;
        // The voucher key: the account's own key or a session key
        // (see `payment_stream::open_stream`).
        let pk: PublicKey = buyer_public_key
            .parse()
            .map_err(|_| bad("buyerPublicKey must be 32 bytes of hex"))?;
        let max = max_duration_secs
            .parse::<u64>()
            .map_err(|_| bad("maxDurationSecs must be a u64 (decimal digits)"))?;
        let p = payloads::create_job(
            &services(ctx).package,
            &parse_address(&provider)?,
            &docker_image,
            max,
            parse_octas(&escrow_amount, "escrowAmount")?,
            &pk,
        )
        .map_err(|r| GatewayError::from(r).extend())?;
        Ok(to_payload(who, p))
    }

    async fn build_deposit_escrow(
        &self,
        ctx: &Context<'_>,
        job_id: ID,
        amount: String,
    ) -> async_graphql::Result<TransactionPayload> {
        let who = caller(ctx)?;
        let id = parse_id(&job_id)? as u64;
        Ok(to_payload(
            who,
            payloads::deposit(&services(ctx).package, id, parse_octas(&amount, "amount")?)
                .map_err(|r| GatewayError::from(r).extend())?,
        ))
    }

    /// Submits a transaction the signed-in account signed (BCS, hex).
    async fn submit_signed_transaction(
        &self,
        ctx: &Context<'_>,
        bcs_hex: String,
    ) -> async_graphql::Result<SubmittedTransaction> {
        let who = caller(ctx)?;
        let s = services(ctx);
        crate::submit::submit(s, who, &bcs_hex).await.gql()
    }
}

// ---- subscriptions ----

/// One update of a payment stream: a metered second, a voucher, a settlement, the close.
#[derive(SimpleObject, Debug, Clone)]
pub struct PaymentStreamUpdate {
    /// `tick`, `voucher`, `settled` or `closed`.
    pub kind: String,
    pub job_id: ID,
    pub attested_seconds: String,
    pub accrued: String,
    pub vouchered: String,
    pub settled: String,
    pub refunded: String,
    /// When the event happened (unix ms).
    pub at_ms: String,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct JobStatusUpdate {
    pub job_id: ID,
    pub from: String,
    pub to: String,
    pub reason: String,
    pub at_ms: String,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct AvailabilityUpdate {
    pub provider: String,
    pub available: bool,
    /// `availability` (on chain) or `heartbeat`.
    pub source: String,
    pub at_ms: String,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct MarketplaceEvent {
    pub kind: String,
    pub key: String,
    pub at_ms: String,
}

/// The running totals a `paymentStream` subscription keeps.
#[derive(Debug, Clone)]
struct StreamState {
    rate: u64,
    escrow: u64,
    attested: u64,
    vouchered: u64,
    settled: u64,
    refunded: u64,
}

impl StreamState {
    fn from_row(r: &StreamRow) -> Self {
        let n = |s: &str| s.parse::<u64>().unwrap_or(0);
        StreamState {
            rate: n(&r.rate_per_second),
            escrow: n(&r.escrow),
            attested: u64::try_from(r.attested_seconds).unwrap_or(0),
            vouchered: n(&r.vouchered),
            settled: n(&r.settled),
            refunded: n(&r.refunded),
        }
    }

    fn update(&self, kind: &str, job: u64, at_ms: u64) -> PaymentStreamUpdate {
        PaymentStreamUpdate {
            kind: kind.to_owned(),
            job_id: ID(job.to_string()),
            attested_seconds: self.attested.to_string(),
            accrued: self
                .rate
                .saturating_mul(self.attested)
                .min(self.escrow)
                .to_string(),
            vouchered: self.vouchered.to_string(),
            settled: self.settled.to_string(),
            refunded: self.refunded.to_string(),
            at_ms: at_ms.to_string(),
        }
    }
}

fn lagged() {
    metrics::counter!("computestream_gateway_subscriber_lagged_total").increment(1);
}

#[derive(Debug)]
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Every metered second's accrual, every voucher, every on-chain settlement and the
    /// close of a job's payment stream.
    async fn payment_stream(
        &self,
        ctx: &Context<'_>,
        job_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = PaymentStreamUpdate>> {
        let job = parse_id(&job_id)? as u64;
        let s = services(ctx).clone();
        let rx = s.feed.subscribe_job(job);
        let initial = store::streams_by_id(&s.pool, &[job as i64])
            .await
            .gql()?
            .into_iter()
            .next();
        let state = initial.as_ref().map(StreamState::from_row);
        Ok(futures::stream::unfold(
            (BroadcastStream::new(rx), state, s.pool.clone()),
            move |(mut rx, mut state, pool)| async move {
                loop {
                    let u = match rx.next().await? {
                        Ok(u) => u,
                        Err(_) => {
                            lagged();
                            continue;
                        }
                    };
                    let (kind, stream) = match &u.live {
                        Live::Tick { stream, .. } => ("tick", *stream),
                        Live::Voucher { stream, .. } => ("voucher", *stream),
                        Live::Settled { stream, .. } => ("settled", *stream),
                        Live::Closed { stream, .. } => ("closed", *stream),
                        _ => continue,
                    };
                    if stream != job {
                        continue;
                    }
                    if state.is_none() {
                        // The stream's row was not projected yet when we subscribed.
                        state = store::streams_by_id(&pool, &[job as i64])
                            .await
                            .ok()
                            .and_then(|v| v.into_iter().next())
                            .map(|r| StreamState::from_row(&r));
                    }
                    let Some(st) = state.as_mut() else { continue };
                    match &u.live {
                        Live::Tick { second, .. } => st.attested = st.attested.max(*second),
                        Live::Voucher { cumulative, .. } => {
                            st.vouchered = st.vouchered.max(cumulative.get())
                        }
                        Live::Settled { paid_total, .. } => {
                            st.settled = st.settled.max(paid_total.get())
                        }
                        Live::Closed {
                            paid_total,
                            refunded,
                            ..
                        } => {
                            st.settled = st.settled.max(paid_total.get());
                            st.refunded = refunded.get();
                        }
                        _ => {}
                    }
                    let out = st.update(kind, job, u.at_ms);
                    return Some((out, (rx, state, pool)));
                }
            },
        ))
    }

    /// Status changes of one job.
    async fn job_status(
        &self,
        ctx: &Context<'_>,
        job_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = JobStatusUpdate>> {
        let job = parse_id(&job_id)? as u64;
        let rx = services(ctx).feed.subscribe_job(job);
        Ok(BroadcastStream::new(rx).filter_map(move |u| async move {
            let u = u.map_err(|_| lagged()).ok()?;
            match &u.live {
                Live::JobStatus {
                    job: j,
                    from,
                    to,
                    reason,
                } if *j == job => Some(JobStatusUpdate {
                    job_id: ID(j.to_string()),
                    from: from.clone(),
                    to: to.clone(),
                    reason: reason.clone(),
                    at_ms: u.at_ms.to_string(),
                }),
                _ => None,
            }
        }))
    }

    /// Providers going available or not (on chain), and their heartbeats.
    async fn provider_availability(
        &self,
        ctx: &Context<'_>,
    ) -> impl Stream<Item = AvailabilityUpdate> {
        let rx = services(ctx).feed.subscribe_market();
        BroadcastStream::new(rx).filter_map(|u| async move {
            let u = u.map_err(|_| lagged()).ok()?;
            match &u.live {
                Live::Availability {
                    provider,
                    is_active,
                } => Some(AvailabilityUpdate {
                    provider: provider.clone(),
                    available: *is_active,
                    source: "availability".into(),
                    at_ms: u.at_ms.to_string(),
                }),
                Live::Heartbeat {
                    provider,
                    available,
                    ..
                } => Some(AvailabilityUpdate {
                    provider: provider.clone(),
                    available: *available,
                    source: "heartbeat".into(),
                    at_ms: u.at_ms.to_string(),
                }),
                _ => None,
            }
        })
    }

    /// Every chain event of the marketplace, as kind and aggregate.
    async fn marketplace_events(&self, ctx: &Context<'_>) -> impl Stream<Item = MarketplaceEvent> {
        let rx = services(ctx).feed.subscribe_market();
        BroadcastStream::new(rx).filter_map(|u| async move {
            let u = u.map_err(|_| lagged()).ok()?;
            let (kind, key) = match &u.live {
                Live::Tick { .. } | Live::Voucher { .. } | Live::Heartbeat { .. } => return None,
                Live::Settled { stream, .. } => {
                    ("stream_settled".to_owned(), format!("job:{stream}"))
                }
                Live::Closed { stream, .. } => {
                    ("stream_closed".to_owned(), format!("job:{stream}"))
                }
                Live::JobStatus { job, .. } => {
                    ("job_status_changed".to_owned(), format!("job:{job}"))
                }
                Live::Availability { provider, .. } => (
                    "provider_availability_updated".to_owned(),
                    format!("provider:{provider}"),
                ),
                Live::Other { kind, key } => (kind.clone(), key.clone()),
            };
            Some(MarketplaceEvent {
                kind,
                key,
                at_ms: u.at_ms.to_string(),
            })
        })
    }
}

/// Builds the schema with the configured limits.
pub fn build(
    services: Services,
    production: bool,
    max_depth: usize,
    max_complexity: usize,
) -> GatewaySchema {
    let pool = services.pool.clone();
    let mut b = Schema::build(QueryRoot, MutationRoot, SubscriptionRoot)
        .data(DataLoader::new(ProviderLoader(pool.clone()), tokio::spawn))
        .data(DataLoader::new(StreamLoader(pool), tokio::spawn))
        .data(services)
        .limit_depth(max_depth)
        .limit_complexity(max_complexity);
    if production {
        b = b.disable_introspection();
    }
    b.finish()
}

/// The SDL of the schema (exported to `schemas/graphql/schema.graphql`).
pub fn sdl() -> String {
    Schema::build(QueryRoot, MutationRoot, SubscriptionRoot)
        .finish()
        .sdl()
}
