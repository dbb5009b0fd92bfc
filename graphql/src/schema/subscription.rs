//! `SubscriptionRoot`: live streams over the live feed (a stream's payments, a job's status,
//! availability, the marketplace), each starting from the current read model.

use async_graphql::{Context, SimpleObject, Subscription, ID};
use futures::{Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

use super::args::*;
use crate::auth::{party_of_job, SignedIn};
use crate::error::Gql;
use crate::live::Live;
use crate::read_models::{self, JobRow, StreamRow};
use crate::GatewayError;
use async_graphql::ErrorExtensions;

/// One update of a payment stream: a metered second, a voucher, a settlement, the close.
/// The off-chain parts (ticks and vouchers, and the attested seconds, accrual and
/// vouchered amount) go to the job's buyer and provider only; anyone else gets the
/// settlements and the close with those fields null.
#[derive(SimpleObject, Debug, Clone)]
pub struct PaymentStreamUpdate {
    /// `tick`, `voucher`, `settled` or `closed`.
    pub kind: String,
    pub job_id: ID,
    pub attested_seconds: Option<String>,
    pub accrued: Option<String>,
    pub vouchered: Option<String>,
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

    fn update(&self, kind: &str, job: u64, at_ms: u64, party: bool) -> PaymentStreamUpdate {
        let private = |v: u64| party.then(|| v.to_string());
        PaymentStreamUpdate {
            kind: kind.to_owned(),
            job_id: ID(job.to_string()),
            attested_seconds: private(self.attested),
            accrued: private(self.rate.saturating_mul(self.attested).min(self.escrow)),
            vouchered: private(self.vouchered),
            settled: self.settled.to_string(),
            refunded: self.refunded.to_string(),
            at_ms: at_ms.to_string(),
        }
    }
}

fn lagged() {
    metrics::counter!("computestream_gateway_subscriber_lagged_total").increment(1);
}

/// Refuses a subscription to a job the read models do not hold (before anything is kept
/// for it: an unknown job id must not cost a live-feed channel).
async fn existing_job(ctx: &Context<'_>, job_id: &ID) -> async_graphql::Result<(u64, JobRow)> {
    let id = parse_id(job_id)?;
    let found = read_models::jobs_by_id(&services(ctx).pool, &[id])
        .await
        .gql()?
        .into_iter()
        .next();
    match found {
        Some(row) => Ok((id as u64, row)),
        None => {
            metrics::counter!("computestream_gateway_subscriptions_refused_total", "reason" => "unknown_job").increment(1);
            Err(GatewayError::NotFound(format!("job {id}")).extend())
        }
    }
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
        let (job, row) = existing_job(ctx, &job_id).await?;
        let caller = ctx.data_opt::<SignedIn>().and_then(|s| s.0);
        let party = party_of_job(caller, &row.buyer, &row.provider).is_ok();
        let s = services(ctx).clone();
        let rx = s.feed.job_feed(job);
        let initial = read_models::streams_by_id(&s.pool, &[job as i64])
            .await
            .gql()?
            .into_iter()
            .next();
        let state = initial.as_ref().map(StreamState::from_row);
        Ok(futures::stream::unfold(
            (rx, state, s.pool.clone()),
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
                    if stream != job || (!party && matches!(kind, "tick" | "voucher")) {
                        continue;
                    }
                    if state.is_none() {
                        // The stream's row was not projected yet when we subscribed.
                        state = read_models::streams_by_id(&pool, &[job as i64])
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
                    let out = st.update(kind, job, u.at_ms, party);
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
        let (job, _) = existing_job(ctx, &job_id).await?;
        let rx = services(ctx).feed.job_feed(job);
        Ok(rx.filter_map(move |u| async move {
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
