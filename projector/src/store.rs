//! The read-model database: one Postgres schema holds every read model and the consumer
//! offsets that produced it, so a replay can build a complete second copy beside the live
//! one and swap them.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use crate::StoreError;

/// The schema the services read and write.
pub const LIVE_SCHEMA: &str = "computestream";

pub fn check_schema_name(schema: &str) -> Result<(), StoreError> {
    let ok = !schema.is_empty()
        && schema.len() <= 48
        && schema
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !schema.as_bytes()[0].is_ascii_digit();
    if ok {
        Ok(())
    } else {
        Err(StoreError::BadSchema(schema.to_owned()))
    }
}

/// A pool whose connections use `schema` (created if missing), with migrations applied.
///
/// Each new connection sets its `search_path` with a statement (not a startup parameter,
/// which some backends ignore: PGlite) to `schema`, followed by the schema that holds the
/// TimescaleDB extension when it is installed (its functions, such as `time_bucket`, stay
/// reachable). Where TimescaleDB is available but not yet installed, it is installed in
/// `public` first: installed by the migrations, it would land in the read-model schema, which
/// a replay renames and retires. Errors: a bad schema name ([`StoreError::BadSchema`]), the
/// database ([`StoreError::Db`]), a migration ([`StoreError::Migrate`]).
pub async fn open(url: &str, schema: &str, max_connections: u32) -> Result<PgPool, StoreError> {
    check_schema_name(schema)?;
    let base = PgConnectOptions::from_str(url)?;
    let mut admin = PgConnection::connect_with(&base).await?;
    // Services starting together (the projector, gateway replicas) race here, and
    // `CREATE SCHEMA IF NOT EXISTS` is not safe against a concurrent create: serialize it.
    let mut tx = admin.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(7202611101)")
        .execute(&mut *tx)
        .await?;
    sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
        .execute(&mut *tx)
        .await?;
    let extension_schema = timescale_schema(&mut tx).await?;
    tx.commit().await?;
    admin.close().await?;
    let search_path = match extension_schema {
        Some(ext) if ext != schema => format!("{schema}, {}", quote_ident(&ext)),
        _ => schema.to_owned(),
    };
    let set_path = format!("SET search_path TO {search_path}");
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .after_connect(move |conn, _meta| {
            let sql = set_path.clone();
            Box::pin(async move {
                sqlx::Executor::execute(conn, sql.as_str()).await?;
                Ok(())
            })
        })
        .connect_with(base)
        .await?;
    crate::migrate(&pool).await?;
    Ok(pool)
}

/// Closes `pool` and every connection it holds before returning. `Pool::close` alone may
/// return while a connection that was being released at that moment sits idle and open
/// (sqlx 0.8, pools of one connection); on a backend that serves one client at a time
/// (PGlite) the next client would then wait for it. A second `close` closes it.
pub async fn close(pool: &PgPool) {
    pool.close().await;
    pool.close().await;
}

/// The schema of the TimescaleDB extension: installed in `public` here if the server has
/// the extension but the database does not yet; `None` without TimescaleDB.
async fn timescale_schema(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
) -> Result<Option<String>, StoreError> {
    let installed = sqlx::query_scalar!(
        r#"SELECT n.nspname::text AS "schema!" FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
           WHERE e.extname = 'timescaledb'"#
    )
    .fetch_optional(&mut **tx)
    .await?;
    if installed.is_some() {
        return Ok(installed);
    }
    let available = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') AS "available!""#
    )
    .fetch_one(&mut **tx)
    .await?;
    if !available {
        return Ok(None);
    }
    sqlx::query("CREATE EXTENSION IF NOT EXISTS timescaledb SCHEMA public")
        .execute(&mut **tx)
        .await?;
    Ok(Some("public".to_owned()))
}

/// `name` as a quoted SQL identifier.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Creates the daily partitions of the time-series tables from `days_back` days ago to
/// `days_ahead` days ahead (plain-Postgres path; hypertables partition themselves). A day
/// whose rows already sit in the default partition is left there (creating it would fail);
/// returns the partitions created.
pub async fn ensure_partitions(
    pool: &PgPool,
    now_unix_secs: i64,
    days_back: i64,
    days_ahead: i64,
) -> Result<Vec<String>, StoreError> {
    let mut created = Vec::new();
    for table in ["payment_ticks", "provider_heartbeats"] {
        let partitioned: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table pt JOIN pg_class c ON c.oid = pt.partrelid
                            WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace)",
        )
        .bind(table)
        .fetch_one(pool)
        .await?;
        if !partitioned {
            continue;
        }
        let today = now_unix_secs.div_euclid(86_400);
        for day in (today - days_back)..=(today + days_ahead) {
            let name: String = sqlx::query_scalar("SELECT $1 || '_' || to_char(TIMESTAMPTZ 'epoch' + $2 * INTERVAL '1 day', 'YYYYMMDD')")
                .bind(table)
                .bind(day)
                .fetch_one(pool)
                .await?;
            let exists: bool =
                sqlx::query_scalar("SELECT to_regclass(current_schema() || '.' || $1) IS NOT NULL")
                    .bind(&name)
                    .fetch_one(pool)
                    .await?;
            if exists {
                continue;
            }
            let sql = format!(
                "CREATE TABLE {name} PARTITION OF {table} FOR VALUES FROM (TIMESTAMPTZ 'epoch' + {day} * INTERVAL '1 day') TO (TIMESTAMPTZ 'epoch' + {} * INTERVAL '1 day')",
                day + 1
            );
            match sqlx::query(&sql).execute(pool).await {
                Ok(_) => created.push(name),
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23514") => {
                    tracing::warn!(partition = %name, "rows of that day are in the default partition; leaving them there");
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(created)
}
