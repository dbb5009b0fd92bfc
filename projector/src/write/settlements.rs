//! `settlements` and `settlement_items`: the settler's batches as submitted, then confirmed
//! (with what each stream was paid) or failed; a confirmation is never overwritten.

use computestream_schemas::Event;
use sqlx::{Postgres, Transaction};

use crate::plan::{i64_of, SettlementsPlan};
use crate::StoreError;

/// Writes this aggregate's part of a batch inside `tx`.
pub async fn write(
    tx: &mut Transaction<'_, Postgres>,
    plan: &SettlementsPlan,
) -> Result<(), StoreError> {
    // Settlement lifecycle, set-based like the rest.
    if !plan.submitted.is_empty() {
        let (mut b, mut st, mut h, mut q, mut t) = (vec![], vec![], vec![], vec![], vec![]);
        let (mut ib, mut is, mut ic) = (vec![], vec![], vec![]);
        for (batch, (x, at)) in &plan.submitted {
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
    for (batch, (at, event)) in &plan.finished {
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
    Ok(())
}
