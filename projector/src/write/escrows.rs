//! `escrows` (and the stream's escrow total): totals only grow, so `GREATEST` makes every
//! write idempotent and order-free.

use sqlx::{Postgres, Transaction};

use crate::plan::EscrowsPlan;
use crate::StoreError;

/// Writes this aggregate's part of a batch inside `tx`.
pub async fn write(
    tx: &mut Transaction<'_, Postgres>,
    plan: &EscrowsPlan,
) -> Result<(), StoreError> {
    if !plan.deposits.is_empty() {
        let (j, b, d): (Vec<i64>, Vec<String>, Vec<String>) = plan
            .deposits
            .iter()
            .map(|(j, (b, d))| (*j, b.clone(), d.to_string()))
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
    if !plan.releases.is_empty() {
        let j: Vec<i64> = plan.releases.keys().copied().collect();
        let r: Vec<String> = plan.releases.values().map(u64::to_string).collect();
        sqlx::query!(
            r#"UPDATE escrows e SET released = GREATEST(e.released, u.r::numeric)
               FROM UNNEST($1::bigint[], $2::text[]) AS u(j, r) WHERE e.job_id = u.j"#,
            &j,
            &r
        )
        .execute(&mut **tx)
        .await?;
    }
    if !plan.refunds.is_empty() {
        let j: Vec<i64> = plan.refunds.keys().copied().collect();
        let r: Vec<String> = plan.refunds.values().map(|(_, a)| a.clone()).collect();
        sqlx::query!(
            r#"UPDATE escrows e SET refunded = u.r::numeric
               FROM UNNEST($1::bigint[], $2::text[]) AS u(j, r) WHERE e.job_id = u.j"#,
            &j,
            &r
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
