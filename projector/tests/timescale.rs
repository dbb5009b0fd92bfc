//! The Timescale path on a real TimescaleDB: PGlite (PostgreSQL 17 in WASM) with TimescaleDB
//! 2.23, one server per test, started by `computestream-testkit` through
//! `scripts/timescale.sh` (npm packages from `testkit/timescale/package-lock.json`).
//!
//! - the migrations make hypertables, the continuous aggregate, the rollup views with the
//!   plain path's columns, and the policies;
//! - the projector applies the same histories as on plain Postgres through its non-COPY path
//!   (PGlite has no `COPY FROM STDIN`), and every table and rollup equals the plain path's;
//!   so does every portable example of docs/ANALYTICS.md and every query of the analysts'
//!   dashboard, run as the analyst role (the TimescaleDB-only examples run too);
//! - every policy runs through `CALL run_job` (no background scheduler here): compression,
//!   retention and the aggregate's refresh, and the rollups still equal the plain path's; a
//!   tick in an already materialized minute counts from the next refresh;
//! - a replay's schema swap keeps the hypertables, the aggregate and their jobs under the new
//!   names.
//!
//! PGlite serves one client at a time: pools of one connection, each closed (`store::close`)
//! before the next opens.

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use computestream_projector::rollups::RollupKeeper;
use computestream_projector::{replay, store, ProjectorConfig};
use computestream_schemas::Envelope;
use computestream_testkit::{history, kafka, TestDatabase, TimescaleServer};
use sqlx::PgPool;
use support::*;

/// The projector on PGlite: no COPY, one connection.
fn timescale_config() -> ProjectorConfig {
    ProjectorConfig {
        linger_ms: 20,
        copy: false,
        replay_connections: 1,
        ..ProjectorConfig::default()
    }
}

fn plain_config() -> ProjectorConfig {
    ProjectorConfig {
        linger_ms: 20,
        ..ProjectorConfig::default()
    }
}

async fn one(pool: &PgPool, sql: &str) -> String {
    sqlx::query_scalar::<_, String>(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn exec(pool: &PgPool, sql: &str) {
    sqlx::query(sql)
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Runs every TimescaleDB job of the pool's schema (compression, retention, refresh) once,
/// as the scheduler would; returns their procedures, sorted.
async fn run_every_job(pool: &PgPool) -> Vec<String> {
    let jobs: Vec<(i32, String)> = sqlx::query_as(
        "SELECT job_id, proc_name::text FROM timescaledb_information.jobs
         WHERE hypertable_schema = current_schema() ORDER BY job_id",
    )
    .fetch_all(pool)
    .await
    .expect("jobs");
    let mut procs = Vec::new();
    for (id, proc_name) in jobs {
        exec(pool, &format!("CALL run_job({id})")).await;
        procs.push(proc_name);
    }
    procs.sort();
    procs
}

/// The columns of the rollups as `information_schema` describes them.
async fn rollup_columns(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT table_name || '.' || column_name || ' ' || data_type || COALESCE('(' || numeric_precision || ',' || numeric_scale || ')', '')
         FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name IN ('job_usage_minute', 'provider_earnings_minute')
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(pool)
    .await
    .expect("columns")
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A fresh plain-Postgres database whose sessions print times in UTC, as PGlite's do.
async fn plain_database() -> TestDatabase {
    let db = TestDatabase::fresh().await;
    exec(
        &db.pool,
        &format!("ALTER DATABASE {} SET timezone TO 'UTC'", db.name),
    )
    .await;
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timescale_migrations_make_hypertables_aggregates_views_and_policies() {
    let ts = TimescaleServer::start().await;
    let pool = store::open(&ts.url, "computestream", 1)
        .await
        .expect("migrate on TimescaleDB");
    assert_eq!(
        RollupKeeper::of_schema(&pool).await.expect("keeper"),
        RollupKeeper::Timescale
    );
    assert_eq!(
        one(&pool, "SELECT n.nspname::text FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'timescaledb'").await,
        "public",
        "the extension stays out of the read-model schema"
    );
    assert_eq!(
        one(&pool, "SELECT string_agg(hypertable_name::text || ' ' || compression_enabled::text, ',' ORDER BY hypertable_name) FROM timescaledb_information.hypertables WHERE hypertable_schema = current_schema()").await,
        "payment_ticks true,provider_heartbeats true"
    );
    assert_eq!(
        one(&pool, "SELECT string_agg(hypertable_name::text || ' ' || attname::text || ' ' || segmentby_column_index::text, ',' ORDER BY hypertable_name) FROM timescaledb_information.compression_settings WHERE hypertable_schema = current_schema() AND segmentby_column_index IS NOT NULL").await,
        "payment_ticks stream_id 1,provider_heartbeats provider 1"
    );
    assert_eq!(
        one(&pool, "SELECT string_agg(view_name::text || ' materialized_only=' || materialized_only::text, ',') FROM timescaledb_information.continuous_aggregates WHERE view_schema = current_schema()").await,
        "payment_ticks_minute materialized_only=false"
    );
    assert_eq!(
        one(&pool, "SELECT string_agg(c.relname::text || ' ' || c.relkind::text, ',' ORDER BY c.relname) FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relname IN ('job_usage_minute', 'provider_earnings_minute')").await,
        "job_usage_minute v,provider_earnings_minute v",
        "the rollups are views over the continuous aggregate"
    );
    let policies: Vec<String> = sqlx::query_scalar(
        "SELECT hypertable_name::text || ' ' || proc_name::text || ' ' || (config - 'hypertable_id' - 'mat_hypertable_id')::text
         FROM timescaledb_information.jobs WHERE hypertable_schema = current_schema()
         ORDER BY hypertable_name, proc_name",
    )
    .fetch_all(&pool)
    .await
    .expect("policies");
    assert_eq!(
        policies,
        [
            r#"payment_ticks policy_compression {"compress_after": "7 days"}"#,
            r#"payment_ticks policy_retention {"drop_after": "400 days"}"#,
            r#"payment_ticks_minute policy_refresh_continuous_aggregate {"end_offset": "00:01:00", "start_offset": null}"#,
            r#"provider_heartbeats policy_compression {"compress_after": "7 days"}"#,
            r#"provider_heartbeats policy_retention {"drop_after": "90 days"}"#,
        ]
    );
    let timescale_columns = rollup_columns(&pool).await;
    store::close(&pool).await;
    // Opening again (another service, a restart) finds every migration applied.
    let again = store::open(&ts.url, "computestream", 1)
        .await
        .expect("open again");
    store::close(&again).await;

    // Same names, columns and types as the plain path's rollup tables.
    let db = TestDatabase::fresh().await;
    let plain = store::open(&db.url, "computestream", 1)
        .await
        .expect("migrate plain");
    assert_eq!(
        RollupKeeper::of_schema(&plain).await.expect("keeper"),
        RollupKeeper::Projector
    );
    assert_eq!(rollup_columns(&plain).await, timescale_columns);
    assert_eq!(timescale_columns.len(), 11, "{timescale_columns:?}");
    plain.close().await;
    db.drop_now().await;
}

/// Projects `events` (already in `kafka`) on plain Postgres and on TimescaleDB; asserts
/// every table and rollup equal, and every portable analyst example and dashboard query
/// equal, run as the analyst role (the TimescaleDB-only examples run too). Then runs every
/// policy and compares again. Returns the TimescaleDB schema's pool.
async fn project_both_and_compare(
    ts: &TimescaleServer,
    plain_url: &str,
    kafka: &computestream_eventlog::KafkaSettings,
    schema: &str,
) -> PgPool {
    let (plain, _) = replay::build(plain_url, kafka, schema, &plain_config())
        .await
        .expect("project on plain Postgres");
    let (timescale, _) = replay::build(&ts.url, kafka, schema, &timescale_config())
        .await
        .expect("project on TimescaleDB");
    let plain_tables = dump(&plain).await;
    assert!(
        plain_tables
            .iter()
            .any(|(t, rows)| t == "provider_earnings_minute" && !rows.is_empty()),
        "the history has rollups"
    );
    assert_eq!(
        dump(&timescale).await,
        plain_tables,
        "TimescaleDB and plain Postgres hold the same read models"
    );

    let examples = analyst_examples();
    assert!(examples.iter().filter(|(t, _)| *t).count() >= 3);
    let portable: Vec<String> = examples
        .iter()
        .filter(|(t, _)| !t)
        .map(|(_, s)| s.clone())
        .collect();
    let every: Vec<String> = examples.iter().map(|(_, s)| s.clone()).collect();
    let on_timescale = run_as_analyst(&timescale, &every).await;
    for ((_, sql), rows) in examples.iter().zip(&on_timescale) {
        if !sql.contains("deposited <> released") {
            assert!(!rows.is_empty(), "no rows on TimescaleDB from:\n{sql}");
        }
    }
    let portable_on_timescale: Vec<Vec<String>> = examples
        .iter()
        .zip(on_timescale)
        .filter(|((t, _), _)| !t)
        .map(|(_, rows)| rows)
        .collect();
    assert_eq!(
        portable_on_timescale,
        run_as_analyst(&plain, &portable).await,
        "the portable examples give the same rows on both"
    );
    let dashboard = dashboard_queries();
    assert_eq!(
        run_as_analyst(&timescale, &dashboard).await,
        run_as_analyst(&plain, &dashboard).await,
        "the analysts' dashboard shows the same on both"
    );

    // The scheduler's work, by hand: compression, retention, the aggregate's refresh.
    assert_eq!(
        run_every_job(&timescale).await,
        [
            "policy_compression",
            "policy_compression",
            "policy_refresh_continuous_aggregate",
            "policy_retention",
            "policy_retention"
        ]
    );
    let materialized = one(&timescale, "SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name) FROM timescaledb_information.continuous_aggregates WHERE view_schema = current_schema()").await;
    let minutes: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {materialized}"))
        .fetch_one(&timescale)
        .await
        .expect("materialized minutes");
    assert!(minutes > 0, "the refresh policy materialized the minutes");
    assert_eq!(
        dump(&timescale).await,
        plain_tables,
        "after every policy ran, still the plain path's read models"
    );
    plain.close().await;
    timescale
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timescale_projection_equals_plain_postgres_with_examples_and_policies() {
    let ts = TimescaleServer::start().await;
    let db = plain_database().await;

    // Every event kind, eleven days ago or more: old enough to be compressed.
    let kafka_a = kafka();
    publish(&kafka_a, &history()).await;
    let every_kind = project_both_and_compare(&ts, &db.url, &kafka_a, "every_kind").await;
    assert!(
        one(&every_kind, "SELECT count(*)::text FROM timescaledb_information.chunks WHERE hypertable_schema = current_schema() AND hypertable_name = 'payment_ticks' AND is_compressed").await != "0",
        "the compression policy compressed the eleven-day-old ticks"
    );
    // A tick for a minute already materialized counts from the next refresh on (the
    // aggregate is real time only after its watermark).
    let first_minute = "TIMESTAMPTZ 'epoch' + 1795000020000 * INTERVAL '1 millisecond'";
    let before = one(&every_kind, &format!("SELECT seconds_served::text FROM job_usage_minute WHERE job_id = 1 AND minute = {first_minute}")).await;
    assert_eq!(before, "59");
    exec(&every_kind, &format!("INSERT INTO payment_ticks (stream_id, second, at, provider, cpu_usage_micros, memory_bytes) VALUES (1, 0, {first_minute}, 'late', 0, 0)")).await;
    assert_eq!(one(&every_kind, &format!("SELECT seconds_served::text FROM job_usage_minute WHERE job_id = 1 AND minute = {first_minute}")).await, "59", "materialized until refreshed");
    run_every_job(&every_kind).await;
    assert_eq!(one(&every_kind, &format!("SELECT seconds_served::text || ' ' || earnings::text FROM job_usage_minute WHERE job_id = 1 AND minute = {first_minute}")).await, "60 60000");
    store::close(&every_kind).await;

    // A busier marketplace two hours ago: twelve jobs on two providers.
    let kafka_b = kafka();
    let t0 = (now_ms() / 60_000 - 120) * 60_000;
    let market: Vec<Envelope> = history::marketplace(12, 150, t0);
    publish(&kafka_b, &market).await;
    let marketplace = project_both_and_compare(&ts, &db.url, &kafka_b, "marketplace").await;
    assert_eq!(
        one(
            &marketplace,
            "SELECT count(DISTINCT provider)::text FROM provider_earnings_minute"
        )
        .await,
        "2"
    );
    store::close(&marketplace).await;
    db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timescale_replay_swap_keeps_hypertables_aggregates_and_jobs() {
    let ts = TimescaleServer::start().await;
    let kafka = kafka();
    publish(&kafka, &history()).await;
    let config = timescale_config();
    let first = replay::replay(&ts.url, &kafka, "computestream", &config, false)
        .await
        .expect("first replay (no live schema yet)");
    assert!(first.retired.is_none());
    let report = replay::replay(&ts.url, &kafka, "computestream", &config, false)
        .await
        .expect("replay and swap");
    let retired = report.retired.expect("the old schema is retired");

    let live = store::open(&ts.url, "computestream", 1)
        .await
        .expect("open live");
    let objects = |schema: &str| {
        format!(
            "SELECT (SELECT string_agg(hypertable_name::text, ',' ORDER BY hypertable_name) FROM timescaledb_information.hypertables WHERE hypertable_schema = '{schema}')
                 || ' / ' || (SELECT string_agg(view_name::text, ',') FROM timescaledb_information.continuous_aggregates WHERE view_schema = '{schema}')
                 || ' / ' || (SELECT count(*) FROM timescaledb_information.jobs WHERE hypertable_schema = '{schema}')::text || ' jobs'"
        )
    };
    let expected = "payment_ticks,provider_heartbeats / payment_ticks_minute / 5 jobs";
    assert_eq!(one(&live, &objects("computestream")).await, expected);
    assert_eq!(one(&live, &objects(&retired)).await, expected);
    assert_eq!(
        one(
            &live,
            &format!(
                "SELECT count(*)::text FROM pg_namespace WHERE nspname = '{}'",
                report.schema_built
            )
        )
        .await,
        "0",
        "nothing is left under the build name"
    );
    assert_eq!(
        RollupKeeper::of_schema(&live).await.expect("keeper"),
        RollupKeeper::Timescale
    );
    assert_eq!(
        one(&live, "SELECT string_agg(seconds_served::text || '/' || earnings::text, ',' ORDER BY minute) FROM job_usage_minute").await,
        "59/59000,31/31000"
    );
    // The jobs follow their hypertables: a heartbeat past retention is dropped, ticks older
    // than 7 days are compressed, the aggregate materializes, in the swapped schema.
    exec(&live, "INSERT INTO provider_heartbeats (provider, at, available, running_jobs) VALUES ('old', now() - INTERVAL '100 days', true, 0)").await;
    run_every_job(&live).await;
    assert_eq!(
        one(
            &live,
            "SELECT count(*)::text FROM provider_heartbeats WHERE provider = 'old'"
        )
        .await,
        "0",
        "retention dropped the old chunk"
    );
    assert!(
        one(&live, "SELECT count(*)::text FROM timescaledb_information.chunks WHERE hypertable_schema = 'computestream' AND is_compressed").await != "0"
    );
    assert_eq!(
        one(&live, "SELECT string_agg(seconds_served::text || '/' || earnings::text, ',' ORDER BY minute) FROM job_usage_minute").await,
        "59/59000,31/31000"
    );
    // docs/ANALYTICS.md's operator block changes the policies as it says.
    let operator: Vec<String> = doc_sql_blocks()
        .into_iter()
        .filter(|(info, _)| info == "sql timescale operator")
        .map(|(_, sql)| sql)
        .collect();
    assert_eq!(operator.len(), 1);
    sqlx::raw_sql(&operator[0])
        .execute(&live)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", operator[0]));
    let policies: Vec<String> = sqlx::query_scalar(
        "SELECT hypertable_name::text || ' ' || proc_name::text || ' ' || schedule_interval::text || ' ' || (config - 'hypertable_id' - 'mat_hypertable_id')::text
         FROM timescaledb_information.jobs WHERE hypertable_schema = current_schema()
         ORDER BY hypertable_name, proc_name",
    )
    .fetch_all(&live)
    .await
    .expect("policies");
    assert_eq!(
        policies,
        [
            r#"payment_ticks policy_compression 12:00:00 {"compress_after": "7 days"}"#,
            r#"payment_ticks policy_retention 1 day {"drop_after": "2 years"}"#,
            r#"payment_ticks_minute policy_refresh_continuous_aggregate 00:05:00 {"end_offset": "00:01:00", "start_offset": null}"#,
            r#"provider_heartbeats policy_compression 12:00:00 {"compress_after": "1 day"}"#,
            r#"provider_heartbeats policy_retention 1 day {"drop_after": "90 days"}"#,
        ]
    );
    let live_tables = dump(&live).await;
    store::close(&live).await;
    let old = store::open(&ts.url, &retired, 1)
        .await
        .expect("open retired");
    assert_eq!(
        dump(&old).await,
        live_tables,
        "the swapped schema holds what the old one held"
    );
    store::close(&old).await;
}
