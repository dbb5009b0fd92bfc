//! `payment_ticks` and `vouchers`, the bulk of the volume: a binary `COPY` straight from the
//! records, falling back to the idempotent `INSERT` when a row is already stored (then the
//! batch's rollup minutes are recomputed), or the `INSERT` alone where `COPY` is off (a
//! backend without `COPY FROM STDIN`); the streams' newest attested second and voucher.

use std::collections::BTreeMap;

use computestream_domain::MeteringRecord;
use computestream_schemas::events::VoucherReceived;
use sqlx::{Postgres, Transaction};

use crate::copy_binary::BinaryCopy;
use crate::plan::{i64_of, MeteringPlan};
use crate::rollups::Touched;
use crate::StoreError;

/// Writes this aggregate's part of a batch inside `tx`, by `COPY` first when `copy`.
pub async fn write(
    tx: &mut Transaction<'_, Postgres>,
    plan: &MeteringPlan<'_>,
    touched: &mut Touched,
    copy: bool,
) -> Result<(), StoreError> {
    if !plan.ticks.is_empty() {
        // Fast path: a binary COPY straight from the records (plan.ticks are most of the
        // volume). A tick already present (a duplicate record in the log) makes COPY fail;
        // then the idempotent INSERT runs and the batch's minutes are recomputed. With COPY
        // off (a backend without COPY FROM STDIN), the INSERT alone.
        if copy && copy_ticks(tx, &plan.ticks).await? {
            for r in &plan.ticks {
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
            } = TickCols::of(&plan.ticks)?;
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
        for r in &plan.ticks {
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
    let copied = copy && !plan.vouchers.is_empty() && copy_vouchers(tx, &plan.vouchers).await?;
    if !plan.vouchers.is_empty() && !copied {
        let (mut s, mut c, mut sec, mut t, mut cid) = (vec![], vec![], vec![], vec![], vec![]);
        for (x, at) in &plan.vouchers {
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
    if !plan.vouchers.is_empty() {
        // The newest voucher per stream, folded here (a batch holds few streams).
        let mut newest: BTreeMap<i64, u64> = BTreeMap::new();
        for (x, _) in &plan.vouchers {
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
    Ok(())
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
