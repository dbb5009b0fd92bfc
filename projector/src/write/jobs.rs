//! `jobs`: creations, then the newest status change per job (guarded by chain position),
//! then the evidence the provider committed when the job ended.

use computestream_schemas::events::JobCreated;
use sqlx::{Postgres, Transaction};

use crate::plan::JobsPlan;
use crate::StoreError;

/// Writes this aggregate's part of a batch inside `tx`.
pub async fn write(tx: &mut Transaction<'_, Postgres>, plan: &JobsPlan) -> Result<(), StoreError> {
    // Jobs.
    if !plan.created.is_empty() {
        let mut c = JobCols::default();
        for (job, ((ver, idx), (x, at))) in &plan.created {
            c.push(*job, x, *at, *ver, *idx);
        }
        sqlx::query!(
            r#"INSERT INTO jobs (job_id, buyer, provider, docker_image, status, escrow_amount, max_duration_secs, price_per_second, created_at, last_version, last_index)
               SELECT j, b, p, img, 'pending', esc::numeric, dur::numeric, pr::numeric, TIMESTAMPTZ 'epoch' + t * INTERVAL '1 millisecond', pv, pi
               FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::int[])
                 AS u(j, b, p, img, esc, dur, pr, t, pv, pi)
               ON CONFLICT (job_id) DO NOTHING"#,
            &c.job, &c.buyer, &c.provider, &c.image, &c.escrow, &c.duration, &c.price, &c.at, &c.ver, &c.idx
        )
        .execute(&mut **tx)
        .await?;
    }
    if !plan.status.is_empty() {
        let (
            mut j,
            mut st,
            mut t,
            mut started,
            mut ended,
            mut code,
            mut reason,
            mut url,
            mut cid,
            mut pv,
            mut pi,
        ) = (
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
        );
        for (job, ((ver, idx), (x, at, start))) in &plan.status {
            j.push(*job);
            st.push(x.to.as_str().to_owned());
            t.push(*at);
            started.push(*start);
            ended.push(x.to.is_terminal().then_some(*at));
            code.push(x.exit_code.map(|c| c.to_string()));
            reason.push(x.reason.clone());
            url.push(x.output_url.clone());
            cid.push(x.output_cid.clone());
            pv.push(*ver);
            pi.push(*idx);
        }
        sqlx::query!(
            r#"UPDATE jobs SET status = u.st,
                 started_at = COALESCE(TIMESTAMPTZ 'epoch' + u.started * INTERVAL '1 millisecond', jobs.started_at),
                 ended_at = COALESCE(TIMESTAMPTZ 'epoch' + u.ended * INTERVAL '1 millisecond', jobs.ended_at),
                 exit_code = COALESCE(u.code::numeric, jobs.exit_code), reason = u.reason,
                 output_url = COALESCE(u.url, jobs.output_url), output_cid = COALESCE(u.cid, jobs.output_cid),
                 last_version = u.pv, last_index = u.pi
               FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::int[])
                 AS u(j, st, t, started, ended, code, reason, url, cid, pv, pi)
               WHERE jobs.job_id = u.j AND (jobs.last_version, jobs.last_index) < (u.pv, u.pi)"#,
            &j, &st, &t, &started as &[Option<i64>], &ended as &[Option<i64>], &code as &[Option<String>], &reason,
            &url as &[Option<String>], &cid as &[Option<String>], &pv, &pi
        )
        .execute(&mut **tx)
        .await?;
    }
    // Evidence: committed once on chain, so the first write stands (a redelivery is a no-op).
    if !plan.evidence.is_empty() {
        let (mut j, mut h, mut n, mut v) = (vec![], vec![], vec![], vec![]);
        for (job, ((ver, _), (head, secs))) in &plan.evidence {
            j.push(*job);
            h.push(head.clone());
            n.push(*secs);
            v.push(*ver);
        }
        sqlx::query!(
            r#"UPDATE jobs SET metering_head = u.h, metered_seconds = u.n, evidence_version = u.v
               FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::bigint[]) AS u(j, h, n, v)
               WHERE jobs.job_id = u.j AND jobs.metering_head IS NULL"#,
            &j,
            &h,
            &n,
            &v
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

#[derive(Default)]
struct JobCols {
    job: Vec<i64>,
    buyer: Vec<String>,
    provider: Vec<String>,
    image: Vec<String>,
    escrow: Vec<String>,
    duration: Vec<String>,
    price: Vec<String>,
    at: Vec<i64>,
    ver: Vec<i64>,
    idx: Vec<i32>,
}

impl JobCols {
    fn push(&mut self, job: i64, x: &JobCreated, at: i64, ver: i64, idx: i32) {
        self.job.push(job);
        self.buyer.push(x.buyer.to_long_string());
        self.provider.push(x.provider.to_long_string());
        self.image.push(x.docker_image.clone());
        self.escrow.push(x.escrow_amount.to_string());
        self.duration.push(x.max_duration_secs.to_string());
        self.price.push(x.price_per_second.to_string());
        self.at.push(at);
        self.ver.push(ver);
        self.idx.push(idx);
    }
}
