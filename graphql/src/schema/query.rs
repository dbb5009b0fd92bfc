//! `QueryRoot`: the read models, filtered and paginated.
//!
//! Cost (the engine's complexity, checked before anything runs against
//! `gateway.max_complexity`): a field that reads the database costs 10 plus what it
//! selects; a page costs 10 plus its size (`first`, at most 100) times what each item
//! selects; a plain field costs 1.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Object, ID};

use super::args::*;
use super::loaders::*;
use super::types::*;
use crate::error::Gql;
use crate::read_models::{self, ProviderQuery, ProviderSort};

#[derive(Debug)]
pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// Providers, filtered and sorted, `first` at a time after `after`.
    #[graphql(complexity = "10 + first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
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
        let mut rows = read_models::providers(&services(ctx).pool, &q)
            .await
            .gql()?;
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

    #[graphql(complexity = "10 + child_complexity")]
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
    #[graphql(complexity = "10 + first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
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
        let mut rows = read_models::jobs(
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

    #[graphql(complexity = "10 + child_complexity")]
    async fn job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Job>> {
        let id = parse_id(&id)?;
        Ok(read_models::jobs_by_id(&services(ctx).pool, &[id])
            .await
            .gql()?
            .into_iter()
            .next()
            .map(Job))
    }

    #[graphql(complexity = "10 + child_complexity")]
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

    #[graphql(complexity = "10 + child_complexity")]
    async fn marketplace_stats(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<MarketplaceStats> {
        let s = read_models::stats(&services(ctx).pool).await.gql()?;
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
