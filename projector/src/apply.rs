//! Applying a batch of envelopes (one topic partition, in log order) to the read models:
//! one set-based statement per event kind (`UNNEST` arrays, not row by row), in an order
//! that respects causality (creations before updates), every chain-side update guarded by
//! the event's `(version, index)` so an older duplicate never overwrites a newer fact.
//! Events of one kind for one row within a batch are collapsed to the newest first (an
//! `ON CONFLICT` statement may touch a row only once).

use std::collections::{BTreeMap, BTreeSet};

use computestream_domain::{JobStatus, MeteringRecord};
use computestream_schemas::events::*;
use computestream_schemas::{Envelope, Event};
use sqlx::{Postgres, Transaction};

use crate::copy_binary::BinaryCopy;
use crate::StoreError;

/// A u64 from a record into a BIGINT column: a value past i64::MAX is refused (the record is
/// dead-lettered with the field's name), never clamped.
fn i64_of(v: u64, what: &'static str) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::OutOfRange(what))
}

/// A u32 into an INTEGER column, likewise.
fn i32_of(v: u32, what: &'static str) -> Result<i32, StoreError> {
    i32::try_from(v).map_err(|_| StoreError::OutOfRange(what))
}

fn status_name(s: JobStatus) -> String {
    match s {
        JobStatus::Pending => "pending",
        JobStatus::Running => "running",
        JobStatus::Completed => "completed",
        JobStatus::Failed => "failed",
        JobStatus::Cancelled => "cancelled",
    }
    .to_owned()
}

/// Position of a chain event: (version, index).
type Position = (i64, i32);

/// A job's newest status change, its time, and when it started running (if it did in this
/// batch or earlier in it).
type StatusChange = (JobStatusChanged, i64, Option<i64>);

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

/// What a batch changed that the rollups depend on.
#[derive(Debug, Default)]
pub struct Touched {
    /// Ticks this batch inserted (not those already present), per (stream, minute as unix
    /// ms): how many, and their CPU time. The rollups add exactly these.
    pub minutes: BTreeMap<(i64, i64), NewTicks>,
    /// Streams whose rate or provider became known (all their minutes are recomputed).
    pub streams: BTreeSet<i64>,
    /// (stream, minute) pairs recomputed from the base tables: those of a batch that held
    /// ticks already present (a redelivery, a re-index, a replay from a timestamp), so the
    /// rollups heal to what the base tables say whatever happened to them.
    pub recompute: BTreeSet<(i64, i64)>,
}

/// New ticks of one stream in one minute.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct NewTicks {
    pub seconds: i64,
    pub cpu_usage_micros: i64,
}

impl Touched {
    /// Counts one inserted tick.
    fn tick(&mut self, stream: i64, at_ms: i64, cpu_usage_micros: i64) {
        let n = self
            .minutes
            .entry((stream, at_ms.div_euclid(60_000) * 60_000))
            .or_default();
        n.seconds += 1;
        n.cpu_usage_micros = n.cpu_usage_micros.saturating_add(cpu_usage_micros);
    }

    /// Adds what another (disjoint) part of the same transaction touched.
    pub fn merge(&mut self, other: Touched) {
        for (k, v) in other.minutes {
            let n = self.minutes.entry(k).or_default();
            n.seconds += v.seconds;
            n.cpu_usage_micros = n.cpu_usage_micros.saturating_add(v.cpu_usage_micros);
        }
        self.streams.extend(other.streams);
        self.recompute.extend(other.recompute);
    }
}

/// Applies `events` inside `tx`.
pub async fn apply(
    tx: &mut Transaction<'_, Postgres>,
    events: &[&Envelope],
) -> Result<Touched, StoreError> {
    let t_start = std::time::Instant::now();
    let mut touched = Touched::default();
    let mut registered = BTreeMap::new();
    let mut staked = BTreeMap::new();
    let mut price = BTreeMap::new();
    let mut avail = BTreeMap::new();
    let mut unstaked = BTreeMap::new();
    let mut heartbeats: BTreeMap<(String, i64), (bool, i32)> = BTreeMap::new();
    let mut created = BTreeMap::new();
    let mut status: BTreeMap<i64, (Position, StatusChange)> = BTreeMap::new();
    let mut deposits: BTreeMap<i64, (String, String)> = BTreeMap::new();
    let mut releases: BTreeMap<i64, String> = BTreeMap::new();
    let mut refunds: BTreeMap<i64, (String, String)> = BTreeMap::new();
    let mut opened = BTreeMap::new();
    let mut settled_rows = Vec::new();
    let mut closed = BTreeMap::new();
    let mut rejections = Vec::new();
    let mut coins = Vec::new();
    let mut ticks = Vec::new();
    let mut vouchers = Vec::new();
    let mut submitted = BTreeMap::new();
    let mut finished: BTreeMap<String, (i64, Event)> = BTreeMap::new();

    for e in events {
        let p = pos(e)?;
        let at = i64_of(e.occurred_at_ms, "occurred_at_ms")?;
        match &e.event {
            Event::ProviderRegistered(x) => newest(
                &mut registered,
                x.provider.to_long_string(),
                p,
                (x.clone(), at),
            ),
            Event::ProviderStaked(x) => newest(
                &mut staked,
                x.provider.to_long_string(),
                p,
                x.total_stake.to_string(),
            ),
            Event::ProviderPriceUpdated(x) => newest(
                &mut price,
                x.provider.to_long_string(),
                p,
                x.price_per_second.to_string(),
            ),
            Event::ProviderAvailabilityUpdated(x) => {
                newest(&mut avail, x.provider.to_long_string(), p, x.is_active)
            }
            Event::ProviderUnstaked(x) => newest(&mut unstaked, x.provider.to_long_string(), p, at),
            Event::ProviderHeartbeat(x) => {
                heartbeats.insert(
                    (x.provider.to_long_string(), i64_of(x.at_ms, "at_ms")?),
                    (x.available, i32_of(x.running_jobs, "running_jobs")?),
                );
            }
            Event::JobCreated(x) => newest(
                &mut created,
                i64_of(x.job_id, "job_id")?,
                p,
                (x.clone(), at),
            ),
            Event::JobStatusChanged(x) => {
                let job = i64_of(x.job_id, "job_id")?;
                let started = (x.to == JobStatus::Running).then_some(at);
                let earlier_start = status.get(&job).and_then(|(_, (_, _, s))| *s);
                newest(
                    &mut status,
                    job,
                    p,
                    (x.clone(), at, started.or(earlier_start)),
                );
                if let Some((_, (_, _, s))) = status.get_mut(&job) {
                    *s = s.or(started).or(earlier_start);
                }
            }
            Event::EscrowDeposited(x) => {
                let job = i64_of(x.job_id, "job_id")?;
                let total = x.total_deposited;
                let keep = deposits
                    .get(&job)
                    .map(|(_, t)| t.parse::<u64>().unwrap_or(0) < total.get())
                    .unwrap_or(true);
                if keep {
                    deposits.insert(job, (x.buyer.to_long_string(), total.to_string()));
                }
            }
            Event::EscrowReleased(x) => {
                let job = i64_of(x.job_id, "job_id")?;
                let keep = releases
                    .get(&job)
                    .map(|t| t.parse::<u64>().unwrap_or(0) < x.total_released.get())
                    .unwrap_or(true);
                if keep {
                    releases.insert(job, x.total_released.to_string());
                }
            }
            Event::EscrowRefunded(x) => {
                refunds.insert(
                    i64_of(x.job_id, "job_id")?,
                    (x.buyer.to_long_string(), x.amount.to_string()),
                );
            }
            Event::StreamOpened(x) => newest(
                &mut opened,
                i64_of(x.stream_id, "stream_id")?,
                p,
                (x.clone(), at),
            ),
            Event::StreamSettled(x) => settled_rows.push((p, x.clone(), at)),
            Event::StreamClosed(x) => newest(
                &mut closed,
                i64_of(x.stream_id, "stream_id")?,
                p,
                (x.clone(), at),
            ),
            Event::VoucherRejected(x) => rejections.push((p, x.clone(), at)),
            Event::EscrowCoinMoved(x) => coins.push((p, x.clone(), at)),
            Event::MeteringTick(x) => ticks.push(x.record.record),
            Event::VoucherReceived(x) => vouchers.push((x, at)),
            Event::SettlementSubmitted(x) => {
                submitted.insert(x.batch_id.clone(), (x.clone(), at));
            }
            Event::SettlementConfirmed(x) => {
                finished.insert(x.batch_id.clone(), (at, e.event.clone()));
            }
            Event::SettlementFailed(x) => {
                finished
                    .entry(x.batch_id.clone())
                    .or_insert((at, e.event.clone()));
            }
        }
    }

    // Providers: creation first, then updates, each guarded by position.
    if !registered.is_empty() {
        let (mut a, mut g, mut v, mut pr, mut st, mut t, mut pv, mut pi) = (
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
        );
        for (addr, ((ver, idx), (x, at))) in &registered {
            a.push(addr.clone());
            g.push(x.gpu_type.clone());
            v.push(i32_of(x.vram_gb, "vram_gb")?);
            pr.push(x.price_per_second.to_string());
            st.push(x.stake.to_string());
            t.push(*at);
            pv.push(*ver);
            pi.push(*idx);
        }
        sqlx::query!(
            r#"INSERT INTO providers (address, gpu_type, vram_gb, price_per_second, stake, is_active, registered_at, last_version, last_index)
               SELECT a, g, v, pr::numeric, st::numeric, TRUE, TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond', pv, pi
               FROM UNNEST($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::int[]) AS u(a, g, v, pr, st, t, pv, pi)
               ON CONFLICT (address) DO UPDATE SET
                 gpu_type = EXCLUDED.gpu_type, vram_gb = EXCLUDED.vram_gb, price_per_second = EXCLUDED.price_per_second,
                 stake = EXCLUDED.stake, is_active = TRUE, registered_at = EXCLUDED.registered_at, unstaked_at = NULL,
                 last_version = EXCLUDED.last_version, last_index = EXCLUDED.last_index
               WHERE (providers.last_version, providers.last_index) < (EXCLUDED.last_version, EXCLUDED.last_index)"#,
            &a, &g, &v, &pr, &st, &t, &pv, &pi
        )
        .execute(&mut **tx)
        .await?;
    }
    for (column, map) in [("stake", &staked), ("price_per_second", &price)] {
        if map.is_empty() {
            continue;
        }
        let (mut a, mut val, mut pv, mut pi) = (vec![], vec![], vec![], vec![]);
        for (addr, ((ver, idx), x)) in map {
            a.push(addr.clone());
            val.push(x.clone());
            pv.push(*ver);
            pi.push(*idx);
        }
        if column == "stake" {
            sqlx::query!(
                r#"UPDATE providers p SET stake = u.val::numeric, last_version = u.pv, last_index = u.pi
                   FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::int[]) AS u(a, val, pv, pi)
                   WHERE p.address = u.a AND (p.last_version, p.last_index) < (u.pv, u.pi)"#,
                &a, &val, &pv, &pi
            )
            .execute(&mut **tx)
            .await?;
        } else {
            sqlx::query!(
                r#"UPDATE providers p SET price_per_second = u.val::numeric, last_version = u.pv, last_index = u.pi
                   FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::int[]) AS u(a, val, pv, pi)
                   WHERE p.address = u.a AND (p.last_version, p.last_index) < (u.pv, u.pi)"#,
                &a, &val, &pv, &pi
            )
            .execute(&mut **tx)
            .await?;
        }
    }
    if !avail.is_empty() {
        let (mut a, mut val, mut pv, mut pi) = (vec![], vec![], vec![], vec![]);
        for (addr, ((ver, idx), x)) in &avail {
            a.push(addr.clone());
            val.push(*x);
            pv.push(*ver);
            pi.push(*idx);
        }
        sqlx::query!(
            r#"UPDATE providers p SET is_active = u.val, last_version = u.pv, last_index = u.pi
               FROM UNNEST($1::text[], $2::bool[], $3::bigint[], $4::int[]) AS u(a, val, pv, pi)
               WHERE p.address = u.a AND (p.last_version, p.last_index) < (u.pv, u.pi)"#,
            &a,
            &val,
            &pv,
            &pi
        )
        .execute(&mut **tx)
        .await?;
    }
    if !unstaked.is_empty() {
        let (mut a, mut t, mut pv, mut pi) = (vec![], vec![], vec![], vec![]);
        for (addr, ((ver, idx), at)) in &unstaked {
            a.push(addr.clone());
            t.push(*at);
            pv.push(*ver);
            pi.push(*idx);
        }
        sqlx::query!(
            r#"UPDATE providers p SET is_active = FALSE, stake = 0, unstaked_at = TIMESTAMPTZ 'epoch' + u.t * INTERVAL '1 millisecond',
                 last_version = u.pv, last_index = u.pi
               FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::int[]) AS u(a, t, pv, pi)
               WHERE p.address = u.a AND (p.last_version, p.last_index) < (u.pv, u.pi)"#,
            &a, &t, &pv, &pi
        )
        .execute(&mut **tx)
        .await?;
    }
    if !heartbeats.is_empty() {
        let (mut a, mut t, mut av, mut rj) = (vec![], vec![], vec![], vec![]);
        for ((addr, at), (available, running)) in &heartbeats {
            a.push(addr.clone());
            t.push(*at);
            av.push(*available);
            rj.push(*running);
        }
        sqlx::query!(
            r#"INSERT INTO provider_heartbeats (provider, at, available, running_jobs)
               SELECT a, TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond', av, rj
               FROM UNNEST($1::text[], $2::bigint[], $3::bool[], $4::int[]) AS u(a, t, av, rj)
               ON CONFLICT DO NOTHING"#,
            &a,
            &t,
            &av,
            &rj
        )
        .execute(&mut **tx)
        .await?;
        sqlx::query!(
            r#"UPDATE providers p SET last_heartbeat_at = GREATEST(p.last_heartbeat_at, h.at)
               FROM (SELECT a, max(TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond') AS at
                     FROM UNNEST($1::text[], $2::bigint[]) AS u(a, t) GROUP BY a) h
               WHERE p.address = h.a"#,
            &a,
            &t
        )
        .execute(&mut **tx)
        .await?;
    }

    // Jobs.
    if !created.is_empty() {
        let mut c = JobCols::default();
        for (job, ((ver, idx), (x, at))) in &created {
            c.push(*job, x, *at, *ver, *idx);
        }
        sqlx::query!(
            r#"INSERT INTO jobs (job_id, buyer, provider, docker_image, status, escrow_amount, max_duration_secs, price_per_second, created_at, last_version, last_index)
               SELECT j, b, p, img, 'pending', esc::numeric, dur::numeric, pr::numeric, TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond', pv, pi
               FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::int[])
                 AS u(j, b, p, img, esc, dur, pr, t, pv, pi)
               ON CONFLICT (job_id) DO NOTHING"#,
            &c.job, &c.buyer, &c.provider, &c.image, &c.escrow, &c.duration, &c.price, &c.at, &c.ver, &c.idx
        )
        .execute(&mut **tx)
        .await?;
    }
    if !status.is_empty() {
        let (
            mut j,
            mut st,
            mut t,
            mut started,
            mut ended,
            mut code,
            mut reason,
            mut url,
            mut cid,
            mut pv,
            mut pi,
        ) = (
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
        );
        for (job, ((ver, idx), (x, at, start))) in &status {
            j.push(*job);
            st.push(status_name(x.to));
            t.push(*at);
            started.push(*start);
            ended.push(x.to.is_terminal().then_some(*at));
            code.push(x.exit_code.map(|c| c.to_string()));
            reason.push(x.reason.clone());
            url.push(x.output_url.clone());
            cid.push(x.output_cid.clone());
            pv.push(*ver);
            pi.push(*idx);
        }
        sqlx::query!(
            r#"UPDATE jobs SET status = u.st,
                 started_at = COALESCE(TIMESTAMPTZ 'epoch' + u.started * INTERVAL '1 millisecond', jobs.started_at),
                 ended_at = COALESCE(TIMESTAMPTZ 'epoch' + u.ended * INTERVAL '1 millisecond', jobs.ended_at),
                 exit_code = COALESCE(u.code::numeric, jobs.exit_code), reason = u.reason,
                 output_url = COALESCE(u.url, jobs.output_url), output_cid = COALESCE(u.cid, jobs.output_cid),
                 last_version = u.pv, last_index = u.pi
               FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::int[])
                 AS u(j, st, t, started, ended, code, reason, url, cid, pv, pi)
               WHERE jobs.job_id = u.j AND (jobs.last_version, jobs.last_index) < (u.pv, u.pi)"#,
            &j, &st, &t, &started as &[Option<i64>], &ended as &[Option<i64>], &code as &[Option<String>], &reason,
            &url as &[Option<String>], &cid as &[Option<String>], &pv, &pi
        )
        .execute(&mut **tx)
        .await?;
    }

    // Escrows: totals only grow, so GREATEST makes every write idempotent and order-free.
    if !deposits.is_empty() {
        let (j, b, d): (Vec<i64>, Vec<String>, Vec<String>) = deposits
            .iter()
            .map(|(j, (b, d))| (*j, b.clone(), d.clone()))
            .fold(
                (vec![], vec![], vec![]),
                |(mut j, mut b, mut d), (x, y, z)| {
                    j.push(x);
                    b.push(y);
                    d.push(z);
                    (j, b, d)
                },
            );
        sqlx::query!(
            r#"INSERT INTO escrows (job_id, buyer, deposited)
               SELECT j, b, d::numeric FROM UNNEST($1::bigint[], $2::text[], $3::text[]) AS u(j, b, d)
               ON CONFLICT (job_id) DO UPDATE SET deposited = GREATEST(escrows.deposited, EXCLUDED.deposited)"#,
            &j, &b, &d
        )
        .execute(&mut **tx)
        .await?;
        sqlx::query!(
            r#"UPDATE payment_streams s SET escrow = GREATEST(s.escrow, u.d::numeric)
               FROM UNNEST($1::bigint[], $2::text[]) AS u(j, d) WHERE s.stream_id = u.j"#,
            &j,
            &d
        )
        .execute(&mut **tx)
        .await?;
    }
    if !releases.is_empty() {
        let j: Vec<i64> = releases.keys().copied().collect();
        let r: Vec<String> = releases.values().cloned().collect();
        sqlx::query!(
            r#"UPDATE escrows e SET released = GREATEST(e.released, u.r::numeric)
               FROM UNNEST($1::bigint[], $2::text[]) AS u(j, r) WHERE e.job_id = u.j"#,
            &j,
            &r
        )
        .execute(&mut **tx)
        .await?;
    }
    if !refunds.is_empty() {
        let j: Vec<i64> = refunds.keys().copied().collect();
        let r: Vec<String> = refunds.values().map(|(_, a)| a.clone()).collect();
        sqlx::query!(
            r#"UPDATE escrows e SET refunded = u.r::numeric
               FROM UNNEST($1::bigint[], $2::text[]) AS u(j, r) WHERE e.job_id = u.j"#,
            &j,
            &r
        )
        .execute(&mut **tx)
        .await?;
    }

    // Streams.
    if !opened.is_empty() {
        let (mut s, mut b, mut p, mut k, mut r, mut esc, mut t) =
            (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for (id, (_, (x, at))) in &opened {
            s.push(*id);
            b.push(x.buyer.to_long_string());
            p.push(x.provider.to_long_string());
            k.push(x.buyer_public_key.to_string());
            r.push(x.rate_per_second.to_string());
            esc.push(x.escrow.to_string());
            t.push(*at);
            touched.streams.insert(*id);
        }
        // Ticks and vouchers may have arrived first (another topic): fold them in.
        sqlx::query!(
            r#"INSERT INTO payment_streams (stream_id, buyer, provider, buyer_public_key, rate_per_second, escrow, opened_at, attested_seconds, vouchered)
               SELECT s, b, p, k, r::numeric, esc::numeric, TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond',
                      COALESCE((SELECT max(second) FROM payment_ticks WHERE stream_id = u.s), 0),
                      COALESCE((SELECT max(cumulative_amount) FROM vouchers WHERE stream_id = u.s), 0)
               FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[]) AS u(s, b, p, k, r, esc, t)
               ON CONFLICT (stream_id) DO NOTHING"#,
            &s, &b, &p, &k, &r, &esc, &t
        )
        .execute(&mut **tx)
        .await?;
    }
    if !settled_rows.is_empty() {
        let (mut v, mut i, mut s, mut c, mut now, mut tot, mut t) =
            (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for ((ver, idx), x, at) in &settled_rows {
            v.push(*ver);
            i.push(*idx);
            s.push(i64_of(x.stream_id, "stream_id")?);
            c.push(x.cumulative_amount.to_string());
            now.push(x.paid_now.to_string());
            tot.push(x.paid_total.to_string());
            t.push(*at);
        }
        sqlx::query!(
            r#"INSERT INTO stream_settlements (version, event_index, stream_id, cumulative_amount, paid_now, paid_total, settled_at)
               SELECT v, i, s, c::numeric, n::numeric, tot::numeric, TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond'
               FROM UNNEST($1::bigint[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[]) AS u(v, i, s, c, n, tot, t)
               ON CONFLICT DO NOTHING"#,
            &v, &i, &s, &c, &now, &tot, &t
        )
        .execute(&mut **tx)
        .await?;
        sqlx::query!(
            r#"UPDATE payment_streams p SET settled = GREATEST(p.settled, m.paid)
               FROM (SELECT s, max(tot::numeric) AS paid FROM UNNEST($1::bigint[], $2::text[]) AS u(s, tot) GROUP BY s) m
               WHERE p.stream_id = m.s"#,
            &s, &tot
        )
        .execute(&mut **tx)
        .await?;
    }
    if !closed.is_empty() {
        let (mut s, mut paid, mut refunded, mut t) = (vec![], vec![], vec![], vec![]);
        for (id, (_, (x, at))) in &closed {
            s.push(*id);
            paid.push(x.paid_total.to_string());
            refunded.push(x.refunded.to_string());
            t.push(*at);
        }
        sqlx::query!(
            r#"UPDATE payment_streams p SET status = 'closed', settled = GREATEST(p.settled, u.paid::numeric), refunded = u.refunded::numeric,
                 closed_at = TIMESTAMPTZ 'epoch' + u.t * INTERVAL '1 millisecond'
               FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[]) AS u(s, paid, refunded, t) WHERE p.stream_id = u.s"#,
            &s, &paid, &refunded, &t
        )
        .execute(&mut **tx)
        .await?;
    }
    if !rejections.is_empty() {
        let (mut v, mut i, mut s, mut c, mut r, mut t) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for ((ver, idx), x, at) in &rejections {
            v.push(*ver);
            i.push(*idx);
            s.push(i64_of(x.stream_id, "stream_id")?);
            c.push(x.cumulative_amount.to_string());
            r.push(i16::from(x.reason));
            t.push(*at);
        }
        sqlx::query!(
            r#"INSERT INTO voucher_rejections (version, event_index, stream_id, cumulative_amount, reason, rejected_at)
               SELECT v, i, s, c::numeric, r, TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond'
               FROM UNNEST($1::bigint[], $2::int[], $3::bigint[], $4::text[], $5::smallint[], $6::bigint[]) AS u(v, i, s, c, r, t)
               ON CONFLICT DO NOTHING"#,
            &v, &i, &s, &c, &r, &t
        )
        .execute(&mut **tx)
        .await?;
    }
    if !coins.is_empty() {
        let (mut v, mut i, mut j, mut a, mut d, mut amt, mut ct, mut t) = (
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
        );
        for ((ver, idx), x, at) in &coins {
            v.push(*ver);
            i.push(*idx);
            j.push(i64_of(x.job_id, "job_id")?);
            a.push(x.account.to_long_string());
            d.push(match x.direction {
                CoinDirection::Withdraw => "withdraw".to_owned(),
                CoinDirection::Deposit => "deposit".to_owned(),
            });
            amt.push(x.amount.to_string());
            ct.push(x.coin_type.clone());
            t.push(*at);
        }
        sqlx::query!(
            r#"INSERT INTO escrow_coin_movements (version, event_index, job_id, account, direction, amount, coin_type, moved_at)
               SELECT v, i, j, a, d, amt::numeric, ct, TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond'
               FROM UNNEST($1::bigint[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[]) AS u(v, i, j, a, d, amt, ct, t)
               ON CONFLICT DO NOTHING"#,
            &v, &i, &j, &a, &d, &amt, &ct, &t
        )
        .execute(&mut **tx)
        .await?;
    }

    // Off chain: ticks and vouchers.
    let t_ticks = std::time::Instant::now();
    if !ticks.is_empty() {
        // Fast path: a binary COPY straight from the records (ticks are most of the
        // volume). A tick already present (a duplicate record in the log) makes COPY fail;
        // then the idempotent INSERT runs and the batch's minutes are recomputed.
        if copy_ticks(tx, &ticks).await? {
            for r in &ticks {
                touched.tick(
                    i64_of(r.stream_id, "stream_id")?,
                    i64_of(r.observed_at_ms, "observed_at_ms")?,
                    i64_of(r.cpu_usage_micros, "cpu_usage_micros")?,
                );
            }
        } else {
            let TickCols {
                s,
                sec,
                t,
                p,
                cpu,
                mem,
                gu,
                gm,
            } = TickCols::of(&ticks)?;
            sqlx::query!(
                r#"INSERT INTO payment_ticks (stream_id, second, at, provider, cpu_usage_micros, memory_bytes, gpu_utilization, gpu_memory_bytes)
                   SELECT s, sec, TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond', p, cpu, mem, gu, gm
                   FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::smallint[], $8::bigint[])
                     AS u(s, sec, t, p, cpu, mem, gu, gm)
                   ON CONFLICT DO NOTHING"#,
                &s, &sec, &t, &p, &cpu, &mem, &gu as &[Option<i16>], &gm as &[Option<i64>]
            )
            .execute(&mut **tx)
            .await?;
            for (stream, at) in s.iter().zip(&t) {
                touched
                    .recompute
                    .insert((*stream, at.div_euclid(60_000) * 60_000));
            }
        }
        // The newest second per stream, folded here (a batch holds few streams).
        let mut newest: BTreeMap<i64, i64> = BTreeMap::new();
        for r in &ticks {
            let second = i64_of(r.second, "second")?;
            let n = newest
                .entry(i64_of(r.stream_id, "stream_id")?)
                .or_insert(second);
            *n = (*n).max(second);
        }
        let (ns, nsec): (Vec<i64>, Vec<i64>) = newest.into_iter().unzip();
        sqlx::query!(
            r#"UPDATE payment_streams p SET attested_seconds = GREATEST(p.attested_seconds, u.sec)
               FROM UNNEST($1::bigint[], $2::bigint[]) AS u(s, sec)
               WHERE p.stream_id = u.s"#,
            &ns,
            &nsec
        )
        .execute(&mut **tx)
        .await?;
    }
    let t_vouchers = std::time::Instant::now();
    if !vouchers.is_empty() && !copy_vouchers(tx, &vouchers).await? {
        let (mut s, mut c, mut sec, mut t, mut cid) = (vec![], vec![], vec![], vec![], vec![]);
        for (x, at) in &vouchers {
            s.push(i64_of(x.voucher.voucher.stream_id, "stream_id")?);
            c.push(x.voucher.voucher.cumulative_amount.to_string());
            sec.push(i64_of(x.second, "second")?);
            t.push(*at);
            cid.push(x.commitment_id.clone());
        }
        sqlx::query!(
            r#"INSERT INTO vouchers (stream_id, cumulative_amount, second, received_at, commitment_id)
               SELECT s, c::numeric, sec, TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond', cid
               FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[]) AS u(s, c, sec, t, cid)
               ON CONFLICT DO NOTHING"#,
            &s, &c, &sec, &t, &cid
        )
        .execute(&mut **tx)
        .await?;
    }
    if !vouchers.is_empty() {
        // The newest voucher per stream, folded here (a batch holds few streams).
        let mut newest: BTreeMap<i64, u64> = BTreeMap::new();
        for (x, _) in &vouchers {
            let v = &x.voucher.voucher;
            let n = newest.entry(i64_of(v.stream_id, "stream_id")?).or_default();
            *n = (*n).max(v.cumulative_amount.get());
        }
        let (s, c): (Vec<i64>, Vec<String>) =
            newest.into_iter().map(|(s, c)| (s, c.to_string())).unzip();
        sqlx::query!(
            r#"UPDATE payment_streams p SET vouchered = GREATEST(p.vouchered, u.c::numeric)
               FROM UNNEST($1::bigint[], $2::text[]) AS u(s, c)
               WHERE p.stream_id = u.s"#,
            &s,
            &c
        )
        .execute(&mut **tx)
        .await?;
    }

    let t_settlements = std::time::Instant::now();
    // Settlement lifecycle, set-based like the rest.
    if !submitted.is_empty() {
        let (mut b, mut st, mut h, mut q, mut t) = (vec![], vec![], vec![], vec![], vec![]);
        let (mut ib, mut is, mut ic) = (vec![], vec![], vec![]);
        for (batch, (x, at)) in &submitted {
            b.push(batch.clone());
            st.push(x.settler.to_long_string());
            h.push(x.transaction_hash.clone());
            q.push(i64_of(x.sequence_number, "sequence_number")?);
            t.push(*at);
            for i in &x.items {
                ib.push(batch.clone());
                is.push(i64_of(i.stream_id, "stream_id")?);
                ic.push(i.cumulative_amount.to_string());
            }
        }
        sqlx::query!(
            r#"INSERT INTO settlements (batch_id, settler, status, transaction_hash, sequence_number, submitted_at)
               SELECT b, st, 'submitted', h, q, TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond'
               FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[]) AS u(b, st, h, q, t)
               ON CONFLICT (batch_id) DO UPDATE SET settler = EXCLUDED.settler,
                 transaction_hash = COALESCE(settlements.transaction_hash, EXCLUDED.transaction_hash),
                 sequence_number = EXCLUDED.sequence_number, submitted_at = EXCLUDED.submitted_at"#,
            &b, &st, &h, &q, &t
        )
        .execute(&mut **tx)
        .await?;
        sqlx::query!(
            r#"INSERT INTO settlement_items (batch_id, stream_id, cumulative_amount)
               SELECT b, s, c::numeric FROM UNNEST($1::text[], $2::bigint[], $3::text[]) AS u(b, s, c)
               ON CONFLICT DO NOTHING"#,
            &ib, &is, &ic
        )
        .execute(&mut **tx)
        .await?;
    }
    let (mut cb, mut ch, mut cv, mut cg, mut ct) = (vec![], vec![], vec![], vec![], vec![]);
    let (mut pb, mut ps, mut pn) = (vec![], vec![], vec![]);
    let (mut fb, mut fh, mut fr, mut ft) = (vec![], vec![], vec![], vec![]);
    for (batch, (at, event)) in &finished {
        match event {
            Event::SettlementConfirmed(x) => {
                cb.push(batch.clone());
                ch.push(x.transaction_hash.clone());
                cv.push(i64_of(x.version, "version")?);
                cg.push(i64_of(x.gas_used, "gas_used")?);
                ct.push(*at);
                for i in &x.paid {
                    pb.push(batch.clone());
                    ps.push(i64_of(i.stream_id, "stream_id")?);
                    pn.push(i.paid_now.to_string());
                }
            }
            Event::SettlementFailed(x) => {
                fb.push(batch.clone());
                fh.push(x.transaction_hash.clone());
                fr.push(x.reason.clone());
                ft.push(*at);
            }
            _ => {}
        }
    }
    if !cb.is_empty() {
        sqlx::query!(
            r#"INSERT INTO settlements (batch_id, settler, status, transaction_hash, version, gas_used, finished_at)
               SELECT b, '', 'confirmed', h, v, g, TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond'
               FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[]) AS u(b, h, v, g, t)
               ON CONFLICT (batch_id) DO UPDATE SET status = 'confirmed', transaction_hash = EXCLUDED.transaction_hash,
                 version = EXCLUDED.version, gas_used = EXCLUDED.gas_used, finished_at = EXCLUDED.finished_at, reason = NULL"#,
            &cb, &ch, &cv, &cg, &ct
        )
        .execute(&mut **tx)
        .await?;
        sqlx::query!(
            r#"UPDATE settlement_items i SET paid_now = u.n::numeric
               FROM UNNEST($1::text[], $2::bigint[], $3::text[]) AS u(b, s, n) WHERE i.batch_id = u.b AND i.stream_id = u.s"#,
            &pb, &ps, &pn
        )
        .execute(&mut **tx)
        .await?;
    }
    if !fb.is_empty() {
        sqlx::query!(
            r#"INSERT INTO settlements (batch_id, settler, status, transaction_hash, reason, finished_at)
               SELECT b, '', 'failed', h, r, TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond'
               FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[]) AS u(b, h, r, t)
               ON CONFLICT (batch_id) DO UPDATE SET status = 'failed', reason = EXCLUDED.reason, finished_at = EXCLUDED.finished_at
               WHERE settlements.status <> 'confirmed'"#,
            &fb, &fh as &[Option<String>], &fr, &ft
        )
        .execute(&mut **tx)
        .await?;
    }
    tracing::debug!(
        ticks = ticks.len(),
        vouchers = vouchers.len(),
        chain_ms = (t_ticks - t_start).as_millis() as u64,
        ticks_ms = (t_vouchers - t_ticks).as_millis() as u64,
        vouchers_ms = (t_settlements - t_vouchers).as_millis() as u64,
        settlements_ms = t_settlements.elapsed().as_millis() as u64,
        "apply breakdown"
    );
    Ok(touched)
}

/// Ticks as the columns of the idempotent `INSERT` (the path after a `COPY` met a tick
/// already stored).
struct TickCols {
    s: Vec<i64>,
    sec: Vec<i64>,
    t: Vec<i64>,
    p: Vec<String>,
    cpu: Vec<i64>,
    mem: Vec<i64>,
    gu: Vec<Option<i16>>,
    gm: Vec<Option<i64>>,
}

impl TickCols {
    fn of(ticks: &[MeteringRecord]) -> Result<Self, StoreError> {
        let n = ticks.len();
        let mut c = TickCols {
            s: Vec::with_capacity(n),
            sec: Vec::with_capacity(n),
            t: Vec::with_capacity(n),
            p: Vec::with_capacity(n),
            cpu: Vec::with_capacity(n),
            mem: Vec::with_capacity(n),
            gu: Vec::with_capacity(n),
            gm: Vec::with_capacity(n),
        };
        for r in ticks {
            c.s.push(i64_of(r.stream_id, "stream_id")?);
            c.sec.push(i64_of(r.second, "second")?);
            c.t.push(i64_of(r.observed_at_ms, "observed_at_ms")?);
            c.p.push(r.provider.to_long_string());
            c.cpu.push(i64_of(r.cpu_usage_micros, "cpu_usage_micros")?);
            c.mem.push(i64_of(r.memory_bytes, "memory_bytes")?);
            c.gu.push(r.gpu.map(|g| i16::from(g.utilization_percent)));
            c.gm.push(
                r.gpu
                    .map(|g| i64_of(g.memory_bytes, "gpu.memory_bytes"))
                    .transpose()?,
            );
        }
        Ok(c)
    }
}

#[derive(Default)]
struct JobCols {
    job: Vec<i64>,
    buyer: Vec<String>,
    provider: Vec<String>,
    image: Vec<String>,
    escrow: Vec<String>,
    duration: Vec<String>,
    price: Vec<String>,
    at: Vec<i64>,
    ver: Vec<i64>,
    idx: Vec<i32>,
}

impl JobCols {
    fn push(&mut self, job: i64, x: &JobCreated, at: i64, ver: i64, idx: i32) {
        self.job.push(job);
        self.buyer.push(x.buyer.to_long_string());
        self.provider.push(x.provider.to_long_string());
        self.image.push(x.docker_image.clone());
        self.escrow.push(x.escrow_amount.to_string());
        self.duration.push(x.max_duration_secs.to_string());
        self.price.push(x.price_per_second.to_string());
        self.at.push(at);
        self.ver.push(ver);
        self.idx.push(idx);
    }
}

/// Brings the per-minute rollups up to date with a batch.
///
/// The common case, a batch of new ticks (one `COPY`), adds them to their job's and
/// provider's minutes. Minutes are recomputed from the base tables instead (and their
/// providers' minutes from the job rollup) for a stream whose `StreamOpened` is in the batch
/// (its rate and provider just became known; its ticks may have come first, on another
/// topic) and for every minute of a batch that held ticks already present (redelivery,
/// re-indexing, replay from a timestamp): those heal the rollups to what the base tables
/// say. Either way the rollups equal a recomputation of every minute from the base tables.
pub async fn refresh_rollups(
    tx: &mut Transaction<'_, Postgres>,
    touched: &Touched,
) -> Result<(), StoreError> {
    let (mut s, mut m, mut n, mut cpu) = (vec![], vec![], vec![], vec![]);
    for ((stream, minute), t) in &touched.minutes {
        if !touched.streams.contains(stream) && !touched.recompute.contains(&(*stream, *minute)) {
            s.push(*stream);
            m.push(*minute);
            n.push(t.seconds);
            cpu.push(t.cpu_usage_micros);
        }
    }
    if !s.is_empty() {
        sqlx::query!(
            r#"WITH d AS (
                 SELECT u.s, TIMESTAMPTZ 'epoch' + u.m * INTERVAL '1 millisecond' AS minute, ps.provider,
                        u.n::int AS n, u.n * ps.rate_per_second AS earnings, u.cpu
                 FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[]) AS u(s, m, n, cpu)
                 JOIN payment_streams ps ON ps.stream_id = u.s),
               j AS (
                 INSERT INTO job_usage_minute (job_id, minute, provider, seconds_served, earnings, cpu_usage_micros)
                 SELECT s, minute, provider, n, earnings, cpu FROM d
                 ON CONFLICT (job_id, minute) DO UPDATE SET provider = EXCLUDED.provider,
                   seconds_served = job_usage_minute.seconds_served + EXCLUDED.seconds_served,
                   earnings = job_usage_minute.earnings + EXCLUDED.earnings,
                   cpu_usage_micros = job_usage_minute.cpu_usage_micros + EXCLUDED.cpu_usage_micros)
               INSERT INTO provider_earnings_minute (provider, minute, seconds_served, earnings, utilization_bps)
               SELECT provider, minute, sum(n)::int, sum(earnings), (sum(n) * 10000 / 60)::int FROM d GROUP BY provider, minute
               ON CONFLICT (provider, minute) DO UPDATE SET
                 seconds_served = provider_earnings_minute.seconds_served + EXCLUDED.seconds_served,
                 earnings = provider_earnings_minute.earnings + EXCLUDED.earnings,
                 utilization_bps = ((provider_earnings_minute.seconds_served + EXCLUDED.seconds_served)::bigint * 10000 / 60)::int"#,
            &s, &m, &n, &cpu
        )
        .execute(&mut **tx)
        .await?;
    }
    if touched.streams.is_empty() && touched.recompute.is_empty() {
        return Ok(());
    }
    let streams: Vec<i64> = touched.streams.iter().copied().collect();
    let (rs, rm): (Vec<i64>, Vec<i64>) = touched.recompute.iter().copied().unzip();
    let providers = sqlx::query!(
        r#"WITH touched AS (
             SELECT DISTINCT stream_id AS s, date_trunc('minute', at) AS minute
             FROM payment_ticks WHERE stream_id = ANY($1::bigint[])
             UNION
             SELECT s, TIMESTAMPTZ 'epoch' + m * INTERVAL '1 millisecond'
             FROM UNNEST($2::bigint[], $3::bigint[]) AS u(s, m))
           INSERT INTO job_usage_minute (job_id, minute, provider, seconds_served, earnings, cpu_usage_micros)
           SELECT t.stream_id, tm.minute, ps.provider, count(*)::int, count(*) * ps.rate_per_second, sum(t.cpu_usage_micros)::bigint
           FROM touched tm
           JOIN payment_ticks t ON t.stream_id = tm.s AND t.at >= tm.minute AND t.at < tm.minute + INTERVAL '1 minute'
           JOIN payment_streams ps ON ps.stream_id = t.stream_id
           GROUP BY t.stream_id, tm.minute, ps.provider, ps.rate_per_second
           ON CONFLICT (job_id, minute) DO UPDATE SET provider = EXCLUDED.provider, seconds_served = EXCLUDED.seconds_served,
             earnings = EXCLUDED.earnings, cpu_usage_micros = EXCLUDED.cpu_usage_micros
           RETURNING provider, (EXTRACT(EPOCH FROM minute)::bigint * 1000) AS "minute!""#,
        &streams,
        &rs,
        &rm
    )
    .fetch_all(&mut **tx)
    .await?;
    if providers.is_empty() {
        return Ok(());
    }
    let p: Vec<String> = providers.iter().map(|r| r.provider.clone()).collect();
    let pm: Vec<i64> = providers.iter().map(|r| r.minute).collect();
    sqlx::query!(
        r#"WITH touched AS (SELECT DISTINCT p, TIMESTAMPTZ 'epoch' + m * INTERVAL '1 millisecond' AS minute FROM UNNEST($1::text[], $2::bigint[]) AS u(p, m))
           INSERT INTO provider_earnings_minute (provider, minute, seconds_served, earnings, utilization_bps)
           SELECT j.provider, j.minute, sum(j.seconds_served)::int, sum(j.earnings), (sum(j.seconds_served) * 10000 / 60)::int
           FROM touched tm JOIN job_usage_minute j ON j.provider = tm.p AND j.minute = tm.minute
           GROUP BY j.provider, j.minute
           ON CONFLICT (provider, minute) DO UPDATE SET seconds_served = EXCLUDED.seconds_served, earnings = EXCLUDED.earnings,
             utilization_bps = EXCLUDED.utilization_bps"#,
        &p, &pm
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Recomputes every rollup minute from the minute of `at_ms` on from the base tables (in
/// the caller's transaction). A replay from a timestamp starts with this: the records it
/// re-applies then add to rollups that agree with the base tables, whatever a restore or a
/// repair left in them.
pub async fn recompute_rollups_since(
    tx: &mut Transaction<'_, Postgres>,
    at_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query!(
        r#"WITH since AS (SELECT date_trunc('minute', TIMESTAMPTZ 'epoch' + $1::bigint * INTERVAL '1 millisecond') AS m),
                jobs AS (DELETE FROM job_usage_minute WHERE minute >= (SELECT m FROM since))
           DELETE FROM provider_earnings_minute WHERE minute >= (SELECT m FROM since)"#,
        at_ms
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        r#"INSERT INTO job_usage_minute (job_id, minute, provider, seconds_served, earnings, cpu_usage_micros)
           SELECT t.stream_id, date_trunc('minute', t.at), ps.provider, count(*)::int, count(*) * ps.rate_per_second,
                  sum(t.cpu_usage_micros)::bigint
           FROM payment_ticks t JOIN payment_streams ps ON ps.stream_id = t.stream_id
           WHERE t.at >= date_trunc('minute', TIMESTAMPTZ 'epoch' + $1::bigint * INTERVAL '1 millisecond')
           GROUP BY t.stream_id, date_trunc('minute', t.at), ps.provider, ps.rate_per_second"#,
        at_ms
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        r#"INSERT INTO provider_earnings_minute (provider, minute, seconds_served, earnings, utilization_bps)
           SELECT provider, minute, sum(seconds_served)::int, sum(earnings), (sum(seconds_served) * 10000 / 60)::int
           FROM job_usage_minute
           WHERE minute >= date_trunc('minute', TIMESTAMPTZ 'epoch' + $1::bigint * INTERVAL '1 millisecond')
           GROUP BY provider, minute"#,
        at_ms
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Rows encoded per chunk sent to the server: the server inserts one chunk while the
/// next is encoded.
const COPY_CHUNK_ROWS: usize = 2_048;

/// Runs a binary `COPY` into `table (columns)` inside a savepoint, rows encoded by
/// `encode` in chunks of [`COPY_CHUNK_ROWS`] (the server inserts one chunk while the next is
/// encoded); `Ok(false)` when a row already exists (nothing written: the caller falls back
/// to its idempotent `INSERT`).
async fn copy_in<T>(
    tx: &mut Transaction<'_, Postgres>,
    statement: &str,
    items: &[T],
    encode: impl Fn(&mut BinaryCopy, &T) -> Result<(), StoreError>,
) -> Result<bool, StoreError> {
    let mut sp = sqlx::Acquire::begin(&mut **tx).await?;
    let mut copy = sp.copy_in_raw(statement).await?;
    let mut first = true;
    for chunk in items.chunks(COPY_CHUNK_ROWS) {
        let mut rows = if first {
            BinaryCopy::with_capacity(chunk.len(), 120)
        } else {
            BinaryCopy::continuation(chunk.len(), 120)
        };
        first = false;
        for item in chunk {
            encode(&mut rows, item)?;
        }
        copy.send(rows.into_bytes()).await?;
    }
    copy.send(BinaryCopy::TRAILER.as_slice()).await?;
    match copy.finish().await {
        Ok(_) => {
            sp.commit().await?;
            Ok(true)
        }
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23505") => {
            sp.rollback().await?;
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// COPYs ticks; `Ok(false)` when one already exists (nothing written).
async fn copy_ticks(
    tx: &mut Transaction<'_, Postgres>,
    ticks: &[MeteringRecord],
) -> Result<bool, StoreError> {
    copy_in(
        tx,
        "COPY payment_ticks (stream_id, second, at, provider, cpu_usage_micros, memory_bytes, gpu_utilization, gpu_memory_bytes) FROM STDIN (FORMAT binary)",
        ticks,
        |rows, r| {
            let gpu_memory = r
                .gpu
                .map(|g| i64_of(g.memory_bytes, "gpu.memory_bytes"))
                .transpose()?;
            rows.row(8)
                .int8(i64_of(r.stream_id, "stream_id")?)
                .int8(i64_of(r.second, "second")?)
                .timestamptz_ms(i64_of(r.observed_at_ms, "observed_at_ms")?)
                .prefixed_hex(r.provider.as_bytes())
                .int8(i64_of(r.cpu_usage_micros, "cpu_usage_micros")?)
                .int8(i64_of(r.memory_bytes, "memory_bytes")?)
                .opt(r.gpu, |c, g| {
                    c.int2(i16::from(g.utilization_percent));
                })
                .opt(gpu_memory, |c, m| {
                    c.int8(m);
                });
            Ok(())
        },
    )
    .await
}

/// COPYs vouchers; `Ok(false)` when one already exists (nothing written).
async fn copy_vouchers(
    tx: &mut Transaction<'_, Postgres>,
    vouchers: &[(&VoucherReceived, i64)],
) -> Result<bool, StoreError> {
    copy_in(
        tx,
        "COPY vouchers (stream_id, cumulative_amount, second, received_at, commitment_id) FROM STDIN (FORMAT binary)",
        vouchers,
        |rows, (x, at)| {
            let v = &x.voucher.voucher;
            rows.row(5)
                .int8(i64_of(v.stream_id, "stream_id")?)
                .numeric_u64(v.cumulative_amount.get())
                .int8(i64_of(x.second, "second")?)
                .timestamptz_ms(*at)
                .text(&x.commitment_id);
            Ok(())
        },
    )
    .await
}
