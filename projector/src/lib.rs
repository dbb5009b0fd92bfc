//! The Postgres side of ComputeStream's read models.
//!
//! This crate owns the schema migrations (the SQL itself lives in `schemas/sql/migrations`,
//! the single source of truth, embedded here at build time; forward only) and the
//! [`OffsetStore`]: consumer offsets kept in Postgres and written in the same transaction
//! as the rows they produced.

mod error;
mod offsets;

pub use error::StoreError;
pub use offsets::OffsetStore;

/// The forward-only migrations of `schemas/sql/migrations`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../schemas/sql/migrations");

/// Applies every pending migration.
pub async fn migrate(pool: &sqlx::PgPool) -> Result<(), StoreError> {
    MIGRATOR.run(pool).await.map_err(StoreError::Migrate)
}
