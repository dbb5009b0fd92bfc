//! The pure first step of applying a batch: the envelopes of one partition (in log order)
//! folded into what each aggregate's writer must do. Events of one kind for one row are
//! collapsed to the newest by chain position `(version, event index)` (an `ON CONFLICT`
//! statement may touch a row only once, and an older duplicate must never win); totals that
//! only grow keep their largest value; values are converted to their column types here, so
//! a value that does not fit is refused before anything is written. No I/O.

use std::collections::BTreeMap;

use computestream_domain::{JobStatus, MeteringRecord};
use computestream_schemas::events::*;
use computestream_schemas::{Envelope, Event};

use crate::StoreError;

/// A u64 from a record into a BIGINT column: a value past i64::MAX is refused (the record is
/// dead-lettered with the field's name), never clamped.
pub(crate) fn i64_of(v: u64, what: &'static str) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::OutOfRange(what))
}

/// A u32 into an INTEGER column, likewise.
pub(crate) fn i32_of(v: u32, what: &'static str) -> Result<i32, StoreError> {
    i32::try_from(v).map_err(|_| StoreError::OutOfRange(what))
}

/// Position of a chain event: (version, index).
pub(crate) type Position = (i64, i32);

/// A job's newest status change, its time, and when it started running (if it did in this
/// batch or earlier in it).
pub(crate) type StatusChange = (JobStatusChanged, i64, Option<i64>);

fn pos(e: &Envelope) -> Result<(i64, i32), StoreError> {
    let (v, i) = e.id.chain_position().unwrap_or((0, 0));
    Ok((i64_of(v, "chain version")?, i32_of(i, "event index")?))
}

/// Keeps, per key, the event with the highest position.
fn newest<K: Ord, T>(map: &mut BTreeMap<K, ((i64, i32), T)>, k: K, p: (i64, i32), v: T) {
    match map.get(&k) {
        Some((q, _)) if *q >= p => {}
        _ => {
            map.insert(k, (p, v));
        }
    }
}

/// `(chain version, event index)` of the newest fact kept, and the fact.
pub(crate) type Newest<T> = (Position, T);

/// Providers: registrations, stake, price, availability, unstaking (keyed by the long
/// address), heartbeats (keyed by provider and time).
#[derive(Debug, Default)]
pub struct ProvidersPlan {
    pub registered: BTreeMap<String, Newest<(ProviderRegistered, i64)>>,
    pub staked: BTreeMap<String, Newest<String>>,
    pub price: BTreeMap<String, Newest<String>>,
    pub avail: BTreeMap<String, Newest<bool>>,
    pub unstaked: BTreeMap<String, Newest<i64>>,
    pub heartbeats: BTreeMap<(String, i64), (bool, i32)>,
    /// The newest announced x402 endpoint per provider: (at ms, URL).
    pub endpoints: BTreeMap<String, (i64, String)>,
}

/// Jobs: creations and the newest status change (with the time it started running, if
/// that happened in this batch or earlier in it).
#[derive(Debug, Default)]
pub struct JobsPlan {
    pub created: BTreeMap<i64, Newest<(JobCreated, i64)>>,
    pub status: BTreeMap<i64, Newest<StatusChange>>,
    /// The evidence committed on chain: `(head as 0x-hex, metered seconds)`.
    pub evidence: BTreeMap<i64, Newest<(String, i64)>>,
}

/// Escrow totals (they only grow): `(buyer, total deposited)`, total released, and the
/// refund `(buyer, amount)`, per job.
#[derive(Debug, Default)]
pub struct EscrowsPlan {
    pub deposits: BTreeMap<i64, (String, u64)>,
    pub releases: BTreeMap<i64, u64>,
    pub refunds: BTreeMap<i64, (String, String)>,
}

/// Streams: opened and closed (newest per stream), settlements, rejections and the
/// escrow's coin movements (one row each, idempotent on their position).
#[derive(Debug, Default)]
pub struct StreamsPlan {
    pub opened: BTreeMap<i64, Newest<(StreamOpened, i64)>>,
    pub settled: Vec<(Position, StreamSettled, i64)>,
    pub closed: BTreeMap<i64, Newest<(StreamClosed, i64)>>,
    pub rejections: Vec<(Position, VoucherRejected, i64)>,
    pub coins: Vec<(Position, EscrowCoinMoved, i64)>,
}

/// Off-chain metering: the ticks' records and the vouchers with their arrival time.
#[derive(Debug, Default)]
pub struct MeteringPlan<'a> {
    pub ticks: Vec<MeteringRecord>,
    pub vouchers: Vec<(&'a VoucherReceived, i64)>,
}

/// The settler's batches: submitted, and how each finished (confirmed wins over failed).
#[derive(Debug, Default)]
pub struct SettlementsPlan {
    pub submitted: BTreeMap<String, (SettlementSubmitted, i64)>,
    pub finished: BTreeMap<String, (i64, Event)>,
}

/// What a batch writes, one part per aggregate writer (`crate::write`).
#[derive(Debug, Default)]
pub struct Plan<'a> {
    pub providers: ProvidersPlan,
    pub jobs: JobsPlan,
    pub escrows: EscrowsPlan,
    pub streams: StreamsPlan,
    pub metering: MeteringPlan<'a>,
    pub settlements: SettlementsPlan,
}

/// Folds a batch into its [`Plan`]. Fails (the record is dead-lettered by the caller) when
/// a value does not fit its read-model column.
pub fn plan<'a>(events: &[&'a Envelope]) -> Result<Plan<'a>, StoreError> {
    let mut p = Plan::default();
    for e in events {
        let at_pos = pos(e)?;
        let at = i64_of(e.occurred_at_ms, "occurred_at_ms")?;
        match &e.event {
            Event::ProviderRegistered(x) => newest(
                &mut p.providers.registered,
                x.provider.to_long_string(),
                at_pos,
                (x.clone(), at),
            ),
            Event::ProviderStaked(x) => newest(
                &mut p.providers.staked,
                x.provider.to_long_string(),
                at_pos,
                x.total_stake.to_string(),
            ),
            Event::ProviderPriceUpdated(x) => newest(
                &mut p.providers.price,
                x.provider.to_long_string(),
                at_pos,
                x.price_per_second.to_string(),
            ),
            Event::ProviderAvailabilityUpdated(x) => newest(
                &mut p.providers.avail,
                x.provider.to_long_string(),
                at_pos,
                x.is_active,
            ),
            Event::ProviderUnstaked(x) => newest(
                &mut p.providers.unstaked,
                x.provider.to_long_string(),
                at_pos,
                at,
            ),
            Event::ProviderHeartbeat(x) => {
                let at = i64_of(x.at_ms, "at_ms")?;
                p.providers.heartbeats.insert(
                    (x.provider.to_long_string(), at),
                    (x.available, i32_of(x.running_jobs, "running_jobs")?),
                );
                if let Some(url) = &x.endpoint {
                    let e = p
                        .providers
                        .endpoints
                        .entry(x.provider.to_long_string())
                        .or_insert((at, url.clone()));
                    if at >= e.0 {
                        *e = (at, url.clone());
                    }
                }
            }
            Event::JobEvidenceCommitted(x) => newest(
                &mut p.jobs.evidence,
                i64_of(x.job_id, "job_id")?,
                at_pos,
                (
                    x.metering_head.to_string(),
                    i64_of(x.metered_seconds, "metered_seconds")?,
                ),
            ),
            Event::JobCreated(x) => newest(
                &mut p.jobs.created,
                i64_of(x.job_id, "job_id")?,
                at_pos,
                (x.clone(), at),
            ),
            Event::JobStatusChanged(x) => {
                let job = i64_of(x.job_id, "job_id")?;
                let started = (x.to == JobStatus::Running).then_some(at);
                let earlier_start = p.jobs.status.get(&job).and_then(|(_, (_, _, s))| *s);
                newest(
                    &mut p.jobs.status,
                    job,
                    at_pos,
                    (x.clone(), at, started.or(earlier_start)),
                );
                if let Some((_, (_, _, s))) = p.jobs.status.get_mut(&job) {
                    *s = s.or(started).or(earlier_start);
                }
            }
            Event::EscrowDeposited(x) => {
                let job = i64_of(x.job_id, "job_id")?;
                let total = x.total_deposited.get();
                let keep = p.escrows.deposits.get(&job).is_none_or(|(_, t)| *t < total);
                if keep {
                    p.escrows
                        .deposits
                        .insert(job, (x.buyer.to_long_string(), total));
                }
            }
            Event::EscrowReleased(x) => {
                let job = i64_of(x.job_id, "job_id")?;
                let total = x.total_released.get();
                if p.escrows.releases.get(&job).is_none_or(|t| *t < total) {
                    p.escrows.releases.insert(job, total);
                }
            }
            Event::EscrowRefunded(x) => {
                p.escrows.refunds.insert(
                    i64_of(x.job_id, "job_id")?,
                    (x.buyer.to_long_string(), x.amount.to_string()),
                );
            }
            Event::StreamOpened(x) => newest(
                &mut p.streams.opened,
                i64_of(x.stream_id, "stream_id")?,
                at_pos,
                (x.clone(), at),
            ),
            Event::StreamSettled(x) => p.streams.settled.push((at_pos, x.clone(), at)),
            Event::StreamClosed(x) => newest(
                &mut p.streams.closed,
                i64_of(x.stream_id, "stream_id")?,
                at_pos,
                (x.clone(), at),
            ),
            Event::VoucherRejected(x) => p.streams.rejections.push((at_pos, x.clone(), at)),
            Event::EscrowCoinMoved(x) => p.streams.coins.push((at_pos, x.clone(), at)),
            Event::MeteringTick(x) => p.metering.ticks.push(x.record.record),
            Event::VoucherReceived(x) => p.metering.vouchers.push((x, at)),
            Event::SettlementSubmitted(x) => {
                p.settlements
                    .submitted
                    .insert(x.batch_id.clone(), (x.clone(), at));
            }
            Event::SettlementConfirmed(x) => {
                p.settlements
                    .finished
                    .insert(x.batch_id.clone(), (at, e.event.clone()));
            }
            Event::SettlementFailed(x) => {
                p.settlements
                    .finished
                    .entry(x.batch_id.clone())
                    .or_insert((at, e.event.clone()));
            }
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use computestream_domain::{AccountAddress, Octas};

    fn addr(b: u8) -> AccountAddress {
        AccountAddress::new([b; 32])
    }

    fn chain(version: u64, index: u32, event: impl Into<Event>) -> Envelope {
        Envelope::chain(4, version, index, 1_000 * version, event)
    }

    fn price(version: u64, p: u64) -> Envelope {
        chain(
            version,
            0,
            ProviderPriceUpdated {
                provider: addr(1),
                price_per_second: Octas(p),
            },
        )
    }

    fn plan_of(events: &[Envelope]) -> Plan<'_> {
        plan(&events.iter().collect::<Vec<_>>()).expect("plan")
    }

    #[test]
    fn the_newest_fact_by_chain_position_wins_whatever_the_log_order() {
        // A re-indexed old price after the new one (a redelivery) does not win.
        let events = [price(20, 2_000), price(10, 1_000), price(20, 2_000)];
        let p = plan_of(&events);
        let (pos, v) = &p.providers.price[&addr(1).to_long_string()];
        assert_eq!((*pos, v.as_str()), ((20, 0), "2000"));
    }

    #[test]
    fn escrow_totals_keep_their_largest_value() {
        let dep = |v: u64, total: u64| {
            chain(
                v,
                0,
                EscrowDeposited {
                    job_id: 7,
                    buyer: addr(2),
                    amount: Octas(1),
                    total_deposited: Octas(total),
                },
            )
        };
        let rel = |v: u64, total: u64| {
            chain(
                v,
                1,
                EscrowReleased {
                    job_id: 7,
                    provider: addr(1),
                    amount: Octas(1),
                    total_released: Octas(total),
                },
            )
        };
        let events = [dep(3, 500), dep(1, 100), rel(4, 90), rel(2, 30)];
        let p = plan_of(&events);
        assert_eq!(p.escrows.deposits[&7], (addr(2).to_long_string(), 500));
        assert_eq!(p.escrows.releases[&7], 90);
    }

    #[test]
    fn a_job_keeps_the_time_it_started_running_when_it_ends_in_the_same_batch() {
        let change = |v: u64, from, to| {
            chain(
                v,
                0,
                JobStatusChanged {
                    job_id: 3,
                    from,
                    to,
                    actor: addr(1),
                    exit_code: None,
                    reason: String::new(),
                    output_url: None,
                    output_cid: None,
                },
            )
        };
        let events = [
            change(5, JobStatus::Pending, JobStatus::Running),
            change(9, JobStatus::Running, JobStatus::Completed),
        ];
        let p = plan_of(&events);
        let (pos, (x, at, started)) = &p.jobs.status[&3];
        assert_eq!(*pos, (9, 0));
        assert_eq!(x.to, JobStatus::Completed);
        assert_eq!((*at, *started), (9_000, Some(5_000)));
    }

    #[test]
    fn a_confirmed_settlement_wins_over_a_failure_in_either_order() {
        let confirmed = Envelope::settlement_confirmed(
            addr(9),
            10,
            SettlementConfirmed {
                batch_id: "b".into(),
                transaction_hash: "0xaa".into(),
                version: 12,
                gas_used: 5,
                paid: vec![],
            },
        );
        let failed = Envelope::settlement_failed(
            addr(9),
            11,
            SettlementFailed {
                batch_id: "b".into(),
                transaction_hash: None,
                reason: "timeout".into(),
                retryable: true,
            },
        );
        for events in [
            [confirmed.clone(), failed.clone()],
            [failed.clone(), confirmed.clone()],
        ] {
            let p = plan_of(&events);
            let (_, e) = &p.settlements.finished["b"];
            assert!(matches!(e, Event::SettlementConfirmed(_)), "{e:?}");
        }
    }

    #[test]
    fn a_value_past_its_column_is_refused_with_its_name() {
        let events = [chain(
            1,
            0,
            JobCreated {
                job_id: u64::MAX,
                buyer: addr(2),
                provider: addr(1),
                docker_image: "img".into(),
                max_duration_secs: 60,
                escrow_amount: Octas(1),
                price_per_second: Octas(1),
            },
        )];
        let refs: Vec<&Envelope> = events.iter().collect();
        let err = plan(&refs).expect_err("job id past i64");
        assert!(err.to_string().contains("job_id"), "{err}");
        assert!(!err.is_retryable(), "dead-lettered, not retried");
    }
}
