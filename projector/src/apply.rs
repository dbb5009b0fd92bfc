//! Applying a batch of envelopes (one topic partition, in log order) to the read models:
//! [`crate::plan::plan`] folds the batch (pure), then one writer per aggregate
//! ([`crate::write`]) runs its set-based statements, in an order that respects causality
//! (creations before updates, streams before their metering), inside the caller's
//! transaction. Returns what the rollups must catch up on.

use computestream_schemas::Envelope;
use sqlx::{Postgres, Transaction};

use crate::plan::plan;
use crate::rollups::Touched;
use crate::write;
use crate::StoreError;

/// Applies `events` inside `tx`; `copy`: ticks and vouchers by binary `COPY` (else by
/// `INSERT` only: a backend without `COPY FROM STDIN`). Errors: a value that does not fit its
/// column ([`StoreError::OutOfRange`]), the database ([`StoreError::Db`]).
pub async fn apply(
    tx: &mut Transaction<'_, Postgres>,
    events: &[&Envelope],
    copy: bool,
) -> Result<Touched, StoreError> {
    let t_start = std::time::Instant::now();
    let plan = plan(events)?;
    let mut touched = Touched::default();
    write::providers::write(tx, &plan.providers).await?;
    write::jobs::write(tx, &plan.jobs).await?;
    write::escrows::write(tx, &plan.escrows).await?;
    write::streams::write(tx, &plan.streams, &mut touched).await?;
    let t_metering = std::time::Instant::now();
    write::metering::write(tx, &plan.metering, &mut touched, copy).await?;
    let t_settlements = std::time::Instant::now();
    write::settlements::write(tx, &plan.settlements).await?;
    tracing::debug!(
        ticks = plan.metering.ticks.len(),
        vouchers = plan.metering.vouchers.len(),
        chain_ms = (t_metering - t_start).as_millis() as u64,
        metering_ms = (t_settlements - t_metering).as_millis() as u64,
        settlements_ms = t_settlements.elapsed().as_millis() as u64,
        "apply breakdown"
    );
    Ok(touched)
}
