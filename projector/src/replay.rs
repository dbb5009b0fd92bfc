//! `computestream replay`: rebuild every read model from the log into a fresh schema while
//! the live one keeps serving, verify it, then swap the two atomically.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use computestream_eventlog::{tails, KafkaSettings};
use computestream_runtime::{Health, Shutdown};
use sqlx::{Connection, PgPool};

use crate::replay_guard::{self, Progress};
use crate::rollups::RollupKeeper;
use crate::{store, Projector, ProjectorConfig, StoreError, INPUTS};

/// What a replay did.
#[derive(Debug)]
pub struct ReplayReport {
    pub schema_built: String,
    pub retired: Option<String>,
    pub records: i64,
}

/// The current end of every input partition.
pub async fn log_ends(kafka: &KafkaSettings) -> Result<BTreeMap<(String, i32), i64>, StoreError> {
    let mut out = BTreeMap::new();
    for spec in INPUTS {
        let topic = kafka.topic(spec.name);
        match tails::watermarks(kafka, &topic, spec.partitions).await {
            Ok(marks) => {
                for (p, (_, high)) in marks.into_iter().enumerate() {
                    out.insert((topic.clone(), p as i32), high);
                }
            }
            Err(e) if e.is_unknown_topic() => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// Projects the log, from offset 0 up to its current end, into `schema` (created fresh).
pub async fn build(
    url: &str,
    kafka: &KafkaSettings,
    schema: &str,
    config: &ProjectorConfig,
) -> Result<(PgPool, i64), StoreError> {
    let pool = store::open(url, schema, config.replay_connections).await?;
    let ends = log_ends(kafka).await?;
    let records: i64 = ends.values().sum();
    let projector = Projector {
        pool: pool.clone(),
        kafka: kafka.clone(),
        config: ProjectorConfig {
            schema: schema.to_owned(),
            ..config.clone()
        },
        health: Health::new(),
    };
    projector.run(Shutdown::new(), Some(ends)).await?;
    Ok((pool, records))
}

/// Checks the invariants a read model must satisfy before it may serve.
pub async fn verify(pool: &PgPool) -> Result<(), StoreError> {
    let bad_escrows: i64 = sqlx::query_scalar("SELECT count(*) FROM escrows WHERE deposited <> released + refunded + locked OR locked < 0")
        .fetch_one(pool)
        .await?;
    let bad_streams: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM payment_streams WHERE settled + refunded > escrow",
    )
    .fetch_one(pool)
    .await?;
    if bad_escrows + bad_streams > 0 {
        return Err(StoreError::Verify(format!(
            "{bad_escrows} escrows break conservation, {bad_streams} streams paid beyond escrow"
        )));
    }
    Ok(())
}

/// The live schema's progress, when it exists (read before a rebuild starts: the live
/// projector keeps applying while the rebuild runs, and the rebuild reads the log up to
/// where it ended when it started).
async fn live_progress(url: &str, live: &str) -> Result<Option<Progress>, StoreError> {
    // One connection, no pool (PGlite serves one at a time).
    let mut admin = sqlx::PgConnection::connect(url).await?;
    let has_offsets: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'consumer_offsets')",
    )
    .bind(live)
    .fetch_one(&mut admin)
    .await?;
    let progress = if has_offsets {
        sqlx::query(&format!("SET search_path TO {live}"))
            .execute(&mut admin)
            .await?;
        Some(Progress::of(&mut admin).await?)
    } else {
        None
    };
    admin.close().await?;
    Ok(progress)
}

/// Rebuilds into a fresh schema, verifies, and swaps it in place of `live` in one
/// transaction. The old schema is kept as `{live}_retired_{unix}` for rollback.
///
/// Errors: [`StoreError::LogShort`] when the rebuild did not reach the live models'
/// progress ([`replay_guard::shortfall`]) and `accept_loss` is false — the rebuilt schema
/// is dropped and the live one keeps serving; [`StoreError::Verify`] when the rebuild breaks
/// an invariant.
pub async fn replay(
    url: &str,
    kafka: &KafkaSettings,
    live: &str,
    config: &ProjectorConfig,
    accept_loss: bool,
) -> Result<ReplayReport, StoreError> {
    store::check_schema_name(live)?;
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let fresh = format!("{live}_replay_{stamp}");
    let before = live_progress(url, live).await?;
    let (pool, records) = build(url, kafka, &fresh, config).await?;
    verify(&pool).await?;
    let missing = match &before {
        Some(live_progress) => {
            let mut conn = pool.acquire().await?;
            replay_guard::shortfall(live_progress, &Progress::of(&mut conn).await?)
        }
        None => Vec::new(),
    };
    store::close(&pool).await;
    let mut admin = sqlx::PgConnection::connect(url).await?;
    if !missing.is_empty() && !accept_loss {
        sqlx::query(&format!("DROP SCHEMA {fresh} CASCADE"))
            .execute(&mut admin)
            .await?;
        admin.close().await?;
        return Err(StoreError::LogShort(missing));
    }
    let retired = format!("{live}_retired_{stamp}");
    let mut tx = admin.begin().await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
            .bind(live)
            .fetch_one(&mut *tx)
            .await?;
    if exists {
        sqlx::query(&format!("ALTER SCHEMA {live} RENAME TO {retired}"))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(&format!("ALTER SCHEMA {fresh} RENAME TO {live}"))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    admin.close().await?;
    Ok(ReplayReport {
        schema_built: fresh,
        retired: exists.then_some(retired),
        records,
    })
}

/// The read-model tables, in a fixed order (what replay equality compares).
pub const TABLES: [&str; 15] = [
    "providers",
    "jobs",
    "escrows",
    "payment_streams",
    "vouchers",
    "stream_settlements",
    "voucher_rejections",
    "escrow_coin_movements",
    "settlements",
    "settlement_items",
    "payment_ticks",
    "provider_heartbeats",
    "provider_endpoints",
    "job_usage_minute",
    "provider_earnings_minute",
];

/// Every read-model table's rows as sorted text: two schemas hold the same read models iff
/// these are equal.
pub async fn table_contents(pool: &PgPool) -> Result<Vec<(String, Vec<String>)>, StoreError> {
    let mut out = Vec::new();
    for table in TABLES {
        let rows: Vec<String> =
            sqlx::query_scalar(&format!("SELECT t::text FROM {table} t ORDER BY t::text"))
                .fetch_all(pool)
                .await?;
        out.push((table.to_owned(), rows));
    }
    Ok(out)
}

/// Re-applies every record since `at_ms` (record time): moves the stored offsets of every
/// input partition back to the first record at or after that time (never forward). The
/// running projector, or the next one, re-reads from there; writes are idempotent, so rows
/// that are intact stay as they are and rows that were lost (a restored backup, a manual
/// repair) are written again. Where the projector keeps the rollups, those from that minute
/// on are recomputed from the base tables in the same transaction, so what is re-applied adds
/// to consistent rollups; on TimescaleDB the continuous aggregate's refresh policy picks up
/// the re-applied ticks.
/// Returns how many partitions moved.
///
/// Errors: [`StoreError::LogShort`], unless `accept_loss`, when the log cannot hold what the
/// rewind would re-apply: a partition ends below the offset the live models applied (the
/// log lost records), retention removed its first records and the time may fall among
/// them, or the live models applied topics this configuration does not read (another topic
/// prefix). Nothing moves then.
pub async fn rewind_to_time(
    pool: &PgPool,
    kafka: &KafkaSettings,
    at_ms: i64,
    accept_loss: bool,
) -> Result<usize, StoreError> {
    let mut moved = 0;
    let applied = {
        let mut conn = pool.acquire().await?;
        Progress::of(&mut conn).await?.offsets
    };
    let mut missing = Vec::new();
    let mut tx = pool.begin().await?;
    for spec in INPUTS {
        let topic = kafka.topic(spec.name);
        let offsets = match tails::offsets_for_time(kafka, &topic, spec.partitions, at_ms).await {
            Ok(o) => o,
            Err(e) if e.is_unknown_topic() => continue,
            Err(e) => return Err(e.into()),
        };
        let marks = tails::watermarks(kafka, &topic, spec.partitions).await?;
        for (p, (offset, (low, high))) in offsets.into_iter().zip(marks).enumerate() {
            let done_up_to = applied
                .get(&(topic.clone(), p as i32))
                .copied()
                .unwrap_or(0);
            if high < done_up_to {
                missing.push(format!(
                    "{topic}[{p}]: the log ends at offset {high}, below the {done_up_to} the live models applied"
                ));
            } else if low > 0 && offset == low {
                missing.push(format!(
                    "{topic}[{p}]: retention removed offsets below {low}; records at or after {at_ms} ms may be among them"
                ));
            }
            let done = sqlx::query(
                "UPDATE consumer_offsets SET next_offset = $4, updated_at = now()
                 WHERE consumer = $1 AND topic = $2 AND partition = $3 AND next_offset > $4",
            )
            .bind(crate::CONSUMER)
            .bind(&topic)
            .bind(p as i32)
            .bind(offset)
            .execute(&mut *tx)
            .await?;
            moved += done.rows_affected() as usize;
        }
    }
    // Offsets stored for topics this configuration does not read: another topic prefix.
    let read: Vec<String> = INPUTS.iter().map(|s| kafka.topic(s.name)).collect();
    for ((topic, p), next) in &applied {
        if !read.contains(topic) && *next > 0 {
            missing.push(format!(
                "{topic}[{p}]: the live models applied up to offset {next} of a topic this configuration does not read (topic prefix {:?})",
                kafka.topic_prefix
            ));
        }
    }
    if !missing.is_empty() && !accept_loss {
        tx.rollback().await?;
        return Err(StoreError::LogShort(missing));
    }
    // TimescaleDB refreshes its continuous aggregate where the re-applied ticks change it.
    if RollupKeeper::of_schema(&mut *tx).await? == RollupKeeper::Projector {
        crate::rollups::recompute_rollups_since(&mut tx, at_ms).await?;
    }
    tx.commit().await?;
    Ok(moved)
}
