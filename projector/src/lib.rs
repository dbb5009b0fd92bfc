//! The Postgres/Timescale read models and the projector that keeps them (`computestream
//! project`, `computestream replay`).
//!
//! This crate owns the schema migrations (the SQL itself lives in `schemas/sql/migrations`,
//! the single source of truth, embedded here at build time; forward only), the
//! [`OffsetStore`] (consumer offsets written in the same transaction as the rows they
//! produced), [`apply`] (set-based, idempotent writes of a batch of events), the
//! [`Projector`] service, partition maintenance ([`store`]) and [`replay`] (which
//! [`replay_guard`] keeps from serving less than it replaces).

pub mod apply;
mod copy_binary;
mod error;
mod offsets;
pub mod plan;
pub mod replay;
pub mod replay_guard;
pub mod rollups;
mod service;
pub mod store;
mod write;

pub use error::StoreError;
pub use offsets::OffsetStore;
pub use service::{Projector, ProjectorConfig, CONSUMER, INPUTS};

/// The forward-only migrations of `schemas/sql/migrations`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../schemas/sql/migrations");

/// Applies every pending migration.
pub async fn migrate(pool: &sqlx::PgPool) -> Result<(), StoreError> {
    MIGRATOR.run(pool).await.map_err(StoreError::Migrate)
}
