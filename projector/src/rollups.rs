//! The per-minute rollups (`job_usage_minute`, `provider_earnings_minute`): who keeps them
//! ([`RollupKeeper`]: the projector on plain Postgres, TimescaleDB's continuous aggregate
//! where the extension is installed), what a batch touched ([`Touched`]), brought up to date
//! after each batch ([`refresh_rollups`]), and recomputed from a point in time on a replay
//! from a timestamp ([`recompute_rollups_since`]).

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{PgExecutor, Postgres, Transaction};

use crate::StoreError;

/// Who keeps the per-minute rollups of a read-model schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollupKeeper {
    /// Plain Postgres: `job_usage_minute` and `provider_earnings_minute` are tables the
    /// projector brings up to date in every batch's transaction (migration 0003).
    Projector,
    /// TimescaleDB: they are views over the continuous aggregate `payment_ticks_minute`
    /// (migration 0005), which TimescaleDB maintains; the projector writes no rollup.
    Timescale,
}

impl RollupKeeper {
    /// Reads it from the schema first on the connection's `search_path`: `Timescale` when
    /// `job_usage_minute` is a view, `Projector` otherwise. Errors: the database.
    pub async fn of_schema(db: impl PgExecutor<'_>) -> Result<RollupKeeper, StoreError> {
        let view = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM pg_class WHERE oid = to_regclass('job_usage_minute') AND relkind = 'v') AS "view!""#
        )
        .fetch_one(db)
        .await?;
        Ok(if view {
            RollupKeeper::Timescale
        } else {
            RollupKeeper::Projector
        })
    }

    /// [`refresh_rollups`] when the projector keeps the rollups; nothing otherwise.
    pub async fn refresh(
        self,
        tx: &mut Transaction<'_, Postgres>,
        touched: &Touched,
    ) -> Result<(), StoreError> {
        match self {
            RollupKeeper::Projector => refresh_rollups(tx, touched).await,
            RollupKeeper::Timescale => Ok(()),
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
    pub(crate) fn tick(&mut self, stream: i64, at_ms: i64, cpu_usage_micros: i64) {
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
