//! `providers` and `provider_heartbeats`: registrations first, then updates, each guarded
//! by the event's chain position so an older duplicate never overwrites a newer fact.

use sqlx::{Postgres, Transaction};

use crate::plan::{i32_of, ProvidersPlan};
use crate::StoreError;

/// Writes this aggregate's part of a batch inside `tx`.
pub async fn write(
    tx: &mut Transaction<'_, Postgres>,
    plan: &ProvidersPlan,
) -> Result<(), StoreError> {
    // Providers: creation first, then updates, each guarded by position. Heartbeats come on
    // another topic and may have been projected before the registration: folded in here.
    if !plan.registered.is_empty() {
        let (mut a, mut g, mut v, mut pr, mut st, mut t, mut pv, mut pi) = (
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
        );
        for (addr, ((ver, idx), (x, at))) in &plan.registered {
            a.push(addr.clone());
            g.push(x.gpu_type.clone());
            v.push(i32_of(x.vram_gb, "vram_gb")?);
            pr.push(x.price_per_second.to_string());
            st.push(x.stake.to_string());
            t.push(*at);
            pv.push(*ver);
            pi.push(*idx);
        }
        sqlx::query!(
            r#"INSERT INTO providers (address, gpu_type, vram_gb, price_per_second, stake, is_active, registered_at, last_version, last_index, last_heartbeat_at)
               SELECT a, g, v, pr::numeric, st::numeric, TRUE, TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond', pv, pi,
                      (SELECT max(h.at) FROM provider_heartbeats h WHERE h.provider = u.a)
               FROM UNNEST($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::int[]) AS u(a, g, v, pr, st, t, pv, pi)
               ON CONFLICT (address) DO UPDATE SET
                 gpu_type = EXCLUDED.gpu_type, vram_gb = EXCLUDED.vram_gb, price_per_second = EXCLUDED.price_per_second,
                 stake = EXCLUDED.stake, is_active = TRUE, registered_at = EXCLUDED.registered_at, unstaked_at = NULL,
                 last_version = EXCLUDED.last_version, last_index = EXCLUDED.last_index
               WHERE (providers.last_version, providers.last_index) < (EXCLUDED.last_version, EXCLUDED.last_index)"#,
            &a, &g, &v, &pr, &st, &t, &pv, &pi
        )
        .execute(&mut **tx)
        .await?;
    }
    for (column, map) in [("stake", &plan.staked), ("price_per_second", &plan.price)] {
        if map.is_empty() {
            continue;
        }
        let (mut a, mut val, mut pv, mut pi) = (vec![], vec![], vec![], vec![]);
        for (addr, ((ver, idx), x)) in map {
            a.push(addr.clone());
            val.push(x.clone());
            pv.push(*ver);
            pi.push(*idx);
        }
        if column == "stake" {
            sqlx::query!(
                r#"UPDATE providers p SET stake = u.val::numeric, last_version = u.pv, last_index = u.pi
                   FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::int[]) AS u(a, val, pv, pi)
                   WHERE p.address = u.a AND (p.last_version, p.last_index) < (u.pv, u.pi)"#,
                &a, &val, &pv, &pi
            )
            .execute(&mut **tx)
            .await?;
        } else {
            sqlx::query!(
                r#"UPDATE providers p SET price_per_second = u.val::numeric, last_version = u.pv, last_index = u.pi
                   FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::int[]) AS u(a, val, pv, pi)
                   WHERE p.address = u.a AND (p.last_version, p.last_index) < (u.pv, u.pi)"#,
                &a, &val, &pv, &pi
            )
            .execute(&mut **tx)
            .await?;
        }
    }
    if !plan.avail.is_empty() {
        let (mut a, mut val, mut pv, mut pi) = (vec![], vec![], vec![], vec![]);
        for (addr, ((ver, idx), x)) in &plan.avail {
            a.push(addr.clone());
            val.push(*x);
            pv.push(*ver);
            pi.push(*idx);
        }
        sqlx::query!(
            r#"UPDATE providers p SET is_active = u.val, last_version = u.pv, last_index = u.pi
               FROM UNNEST($1::text[], $2::bool[], $3::bigint[], $4::int[]) AS u(a, val, pv, pi)
               WHERE p.address = u.a AND (p.last_version, p.last_index) < (u.pv, u.pi)"#,
            &a,
            &val,
            &pv,
            &pi
        )
        .execute(&mut **tx)
        .await?;
    }
    if !plan.unstaked.is_empty() {
        let (mut a, mut t, mut pv, mut pi) = (vec![], vec![], vec![], vec![]);
        for (addr, ((ver, idx), at)) in &plan.unstaked {
            a.push(addr.clone());
            t.push(*at);
            pv.push(*ver);
            pi.push(*idx);
        }
        sqlx::query!(
            r#"UPDATE providers p SET is_active = FALSE, stake = 0, unstaked_at = TIMESTAMPTZ 'epoch' + u.t * INTERVAL '1 millisecond',
                 last_version = u.pv, last_index = u.pi
               FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::int[]) AS u(a, t, pv, pi)
               WHERE p.address = u.a AND (p.last_version, p.last_index) < (u.pv, u.pi)"#,
            &a, &t, &pv, &pi
        )
        .execute(&mut **tx)
        .await?;
    }
    if !plan.endpoints.is_empty() {
        // Its own table: a heartbeat may come before the provider's registration.
        let (mut a, mut t, mut u) = (vec![], vec![], vec![]);
        for (addr, (at, url)) in &plan.endpoints {
            a.push(addr.clone());
            t.push(*at);
            u.push(url.clone());
        }
        sqlx::query!(
            r#"INSERT INTO provider_endpoints (provider, endpoint, announced_at)
               SELECT a, u, TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond'
               FROM UNNEST($1::text[], $2::bigint[], $3::text[]) AS x(a, t, u)
               ON CONFLICT (provider) DO UPDATE SET endpoint = EXCLUDED.endpoint, announced_at = EXCLUDED.announced_at
               WHERE provider_endpoints.announced_at <= EXCLUDED.announced_at"#,
            &a,
            &t,
            &u
        )
        .execute(&mut **tx)
        .await?;
    }
    if !plan.heartbeats.is_empty() {
        let (mut a, mut t, mut av, mut rj) = (vec![], vec![], vec![], vec![]);
        for ((addr, at), (available, running)) in &plan.heartbeats {
            a.push(addr.clone());
            t.push(*at);
            av.push(*available);
            rj.push(*running);
        }
        sqlx::query!(
            r#"INSERT INTO provider_heartbeats (provider, at, available, running_jobs)
               SELECT a, TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond', av, rj
               FROM UNNEST($1::text[], $2::bigint[], $3::bool[], $4::int[]) AS u(a, t, av, rj)
               ON CONFLICT DO NOTHING"#,
            &a,
            &t,
            &av,
            &rj
        )
        .execute(&mut **tx)
        .await?;
        sqlx::query!(
            r#"UPDATE providers p SET last_heartbeat_at = GREATEST(p.last_heartbeat_at, h.at)
               FROM (SELECT a, max(TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond') AS at
                     FROM UNNEST($1::text[], $2::bigint[]) AS u(a, t) GROUP BY a) h
               WHERE p.address = h.a"#,
            &a,
            &t
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
