//! `payment_streams`, `stream_settlements`, `voucher_rejections` and
//! `escrow_coin_movements`: streams opened (folding in ticks and vouchers that arrived
//! first, on another topic), settled, closed; rejections and coin movements once each.

use computestream_schemas::events::CoinDirection;
use sqlx::{Postgres, Transaction};

use crate::plan::{i64_of, StreamsPlan};
use crate::rollups::Touched;
use crate::StoreError;

/// Writes this aggregate's part of a batch inside `tx`.
pub async fn write(
    tx: &mut Transaction<'_, Postgres>,
    plan: &StreamsPlan,
    touched: &mut Touched,
) -> Result<(), StoreError> {
    // Streams.
    if !plan.opened.is_empty() {
        let (mut s, mut b, mut p, mut k, mut r, mut esc, mut t) =
            (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for (id, (_, (x, at))) in &plan.opened {
            s.push(*id);
            b.push(x.buyer.to_long_string());
            p.push(x.provider.to_long_string());
            k.push(x.buyer_public_key.to_string());
            r.push(x.rate_per_second.to_string());
            esc.push(x.escrow.to_string());
            t.push(*at);
            touched.streams.insert(*id);
        }
        // Ticks and vouchers may have arrived first (another topic): fold them in.
        sqlx::query!(
            r#"INSERT INTO payment_streams (stream_id, buyer, provider, buyer_public_key, rate_per_second, escrow, opened_at, attested_seconds, vouchered)
               SELECT s, b, p, k, r::numeric, esc::numeric, TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond',
                      COALESCE((SELECT max(second) FROM payment_ticks WHERE stream_id = u.s), 0),
                      COALESCE((SELECT max(cumulative_amount) FROM vouchers WHERE stream_id = u.s), 0)
               FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[]) AS u(s, b, p, k, r, esc, t)
               ON CONFLICT (stream_id) DO NOTHING"#,
            &s, &b, &p, &k, &r, &esc, &t
        )
        .execute(&mut **tx)
        .await?;
    }
    if !plan.settled.is_empty() {
        let (mut v, mut i, mut s, mut c, mut now, mut tot, mut t) =
            (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for ((ver, idx), x, at) in &plan.settled {
            v.push(*ver);
            i.push(*idx);
            s.push(i64_of(x.stream_id, "stream_id")?);
            c.push(x.cumulative_amount.to_string());
            now.push(x.paid_now.to_string());
            tot.push(x.paid_total.to_string());
            t.push(*at);
        }
        sqlx::query!(
            r#"INSERT INTO stream_settlements (version, event_index, stream_id, cumulative_amount, paid_now, paid_total, settled_at)
               SELECT v, i, s, c::numeric, n::numeric, tot::numeric, TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond'
               FROM UNNEST($1::bigint[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[]) AS u(v, i, s, c, n, tot, t)
               ON CONFLICT DO NOTHING"#,
            &v, &i, &s, &c, &now, &tot, &t
        )
        .execute(&mut **tx)
        .await?;
        sqlx::query!(
            r#"UPDATE payment_streams p SET settled = GREATEST(p.settled, m.paid)
               FROM (SELECT s, max(tot::numeric) AS paid FROM UNNEST($1::bigint[], $2::text[]) AS u(s, tot) GROUP BY s) m
               WHERE p.stream_id = m.s"#,
            &s, &tot
        )
        .execute(&mut **tx)
        .await?;
    }
    if !plan.closed.is_empty() {
        let (mut s, mut paid, mut refunded, mut t) = (vec![], vec![], vec![], vec![]);
        for (id, (_, (x, at))) in &plan.closed {
            s.push(*id);
            paid.push(x.paid_total.to_string());
            refunded.push(x.refunded.to_string());
            t.push(*at);
        }
        sqlx::query!(
            r#"UPDATE payment_streams p SET status = 'closed', settled = GREATEST(p.settled, u.paid::numeric), refunded = u.refunded::numeric,
                 closed_at = TIMESTAMPTZ 'epoch' + u.t * INTERVAL '1 millisecond'
               FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[]) AS u(s, paid, refunded, t) WHERE p.stream_id = u.s"#,
            &s, &paid, &refunded, &t
        )
        .execute(&mut **tx)
        .await?;
    }
    if !plan.rejections.is_empty() {
        let (mut v, mut i, mut s, mut c, mut r, mut t) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for ((ver, idx), x, at) in &plan.rejections {
            v.push(*ver);
            i.push(*idx);
            s.push(i64_of(x.stream_id, "stream_id")?);
            c.push(x.cumulative_amount.to_string());
            r.push(i16::from(x.reason));
            t.push(*at);
        }
        sqlx::query!(
            r#"INSERT INTO voucher_rejections (version, event_index, stream_id, cumulative_amount, reason, rejected_at)
               SELECT v, i, s, c::numeric, r, TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond'
               FROM UNNEST($1::bigint[], $2::int[], $3::bigint[], $4::text[], $5::smallint[], $6::bigint[]) AS u(v, i, s, c, r, t)
               ON CONFLICT DO NOTHING"#,
            &v, &i, &s, &c, &r, &t
        )
        .execute(&mut **tx)
        .await?;
    }
    if !plan.coins.is_empty() {
        let (mut v, mut i, mut j, mut a, mut d, mut amt, mut ct, mut t) = (
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
        );
        for ((ver, idx), x, at) in &plan.coins {
            v.push(*ver);
            i.push(*idx);
            j.push(i64_of(x.job_id, "job_id")?);
            a.push(x.account.to_long_string());
            d.push(match x.direction {
                CoinDirection::Withdraw => "withdraw".to_owned(),
                CoinDirection::Deposit => "deposit".to_owned(),
            });
            amt.push(x.amount.to_string());
            ct.push(x.coin_type.clone());
            t.push(*at);
        }
        sqlx::query!(
            r#"INSERT INTO escrow_coin_movements (version, event_index, job_id, account, direction, amount, coin_type, moved_at)
               SELECT v, i, j, a, d, amt::numeric, ct, TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond'
               FROM UNNEST($1::bigint[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[]) AS u(v, i, j, a, d, amt, ct, t)
               ON CONFLICT DO NOTHING"#,
            &v, &i, &j, &a, &d, &amt, &ct, &t
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
