//! The demo's report: a line each second from the read models, and at the end the checks
//! read back from the chain and the read models (per stream: paid exactly the newest voucher
//! within the metered seconds, closed; escrow conservation).

use std::time::Duration;

use computestream_devnet::load;
use computestream_domain::settlement::naive_transactions;
use computestream_domain::JobStatus;
use computestream_eventlog::KafkaSettings;
use sqlx::PgPool;

use super::buyers::Paid;
use super::chain::DemoChain;

/// What the end of the demo found.
pub struct Findings {
    conserved: bool,
    exact: bool,
    jobs_done: usize,
    jobs: usize,
    outputs: Vec<String>,
    /// `job N: STATUS [(reason)]` for each job that did not complete, from the read model.
    not_completed: Vec<String>,
    /// `stream N: …` for each stream paid other than its newest voucher, or still open, or
    /// paid a voucher whose answer did not reach its buyer.
    streams: Vec<String>,
    seconds: i64,
    deposited: u64,
    paid: u64,
    refunded: u64,
    onchain_settlements: i64,
}

/// Waits for the indexer and the projector to catch up with the chain, then checks every
/// stream against the newest voucher its buyer paid (`buyers.through`; a voucher sent whose
/// answer never came, up to `buyers.signed`, may have been stored and redeemed instead).
pub async fn check(
    chain: &DemoChain,
    kafka: &KafkaSettings,
    pool: &PgPool,
    buyers: &Paid,
    lead_secs: u64,
) -> anyhow::Result<Findings> {
    let pool = pool.clone();
    // Let the indexer and projector catch up, then read back from the chain and the read models.
    let head = chain.head_version().await?;
    for _ in 0..200 {
        if let Ok(Some(cp)) = computestream_indexer::progress::read_last(kafka).await {
            if cp.next_version > head {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The projector reaches what the log holds now (on a busy machine it can be a while
    // behind): the read models are complete before they are compared with the chain.
    let ends = computestream_projector::replay::log_ends(kafka).await?;
    let offsets = computestream_projector::OffsetStore::new(computestream_projector::CONSUMER);
    for _ in 0..3_000 {
        let mut behind = false;
        for ((topic, partition), end) in &ends {
            let stored = offsets.load(&pool, topic).await?;
            let at = stored
                .iter()
                .find(|(p, _)| p == partition)
                .map_or(0, |(_, o)| *o);
            behind |= at < *end;
        }
        if !behind {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let onchain_settlements: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT version) FROM stream_settlements")
            .fetch_one(&pool)
            .await
            .unwrap_or(0);
    let attested: std::collections::HashMap<i64, i64> =
        sqlx::query_as::<_, (i64, i64)>("SELECT stream_id, attested_seconds FROM payment_streams")
            .fetch_all(&pool)
            .await
            .unwrap_or_default()
            .into_iter()
            .collect();
    let outputs: Vec<String> = sqlx::query_scalar(
        "SELECT output_cid FROM jobs WHERE output_cid IS NOT NULL ORDER BY job_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap_or_default();
    let not_completed: Vec<String> = sqlx::query_as::<_, (i64, String, String)>(
        "SELECT job_id, status, reason FROM jobs WHERE status <> 'completed' ORDER BY job_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap_or_default()
    .into_iter()
    .map(|(id, status, reason)| match reason.as_str() {
        "" => format!("job {id}: {status}"),
        why => format!("job {id}: {status} ({why})"),
    })
    .collect();
    let rate = load::PRICE_PER_SECOND;
    let (mut conserved, mut exact, mut jobs_done) = (true, true, 0);
    let (mut deposited, mut paid, mut refunded) = (0u64, 0u64, 0u64);
    let mut streams = Vec::new();
    for (i, j) in chain.jobs.iter().enumerate() {
        let [d, released, r, locked] = chain.escrow(j.job_id).await?;
        conserved &= u128::from(d) == u128::from(released) + u128::from(r) + u128::from(locked);
        deposited += d;
        paid += released;
        refunded += r;
        // Per stream the chain paid exactly the newest voucher within the metered seconds,
        // and the stream is closed.
        let metered = attested
            .get(&(j.job_id as i64))
            .copied()
            .unwrap_or(0)
            .max(0) as u64;
        let cap = metered.saturating_add(lead_secs).saturating_mul(rate);
        let through = buyers.through.get(i).map_or(0, |o| o.get());
        let signed = buyers.signed.get(i).map_or(0, |o| o.get());
        let (stream_paid, open) = chain.stream(j.job_id).await?;
        let status = chain.job_status(j.job_id).await?;
        let verdict = judge_stream(
            stream_paid,
            through,
            signed,
            cap,
            status == JobStatus::Cancelled as u8,
        );
        let stream_exact = !open && verdict != StreamPaid::Wrong;
        if !stream_exact {
            streams.push(format!(
                "stream {}: paid {stream_paid}, open {open}, status {status}; newest voucher {through} (signed {signed}), metered {metered} s: WRONG",
                j.job_id
            ));
        } else if verdict == StreamPaid::Unanswered {
            streams.push(format!(
                "stream {}: paid {stream_paid}, a voucher whose answer did not reach its buyer (newest confirmed {through})",
                j.job_id
            ));
        }
        exact &= stream_exact;
        if status == JobStatus::Completed as u8 {
            jobs_done += 1;
        }
    }
    Ok(Findings {
        conserved,
        exact,
        jobs_done,
        jobs: chain.jobs.len(),
        outputs,
        not_completed,
        streams,
        seconds: attested.values().sum(),
        deposited,
        paid,
        refunded,
        onchain_settlements,
    })
}

/// How a closed stream's payment on chain compares with what its buyer paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StreamPaid {
    /// The newest voucher the buyer saw confirmed, within the cap (cancelled: at most the
    /// newest it signed).
    Exact,
    /// A later voucher the buyer sent whose answer did not reach it (a request that timed out
    /// on a busy machine after the executor had stored it), within the cap.
    Unanswered,
    Wrong,
}

/// Octas in all: `paid` on chain; `through`, the newest voucher confirmed to the buyer;
/// `signed`, the largest it signed and sent; `cap`, (metered + lead) seconds at the rate, the
/// most the settler redeems (`SettlementDesk`: the newest voucher in the log within it). A
/// cancelled stream closes when the cancellation is read, and the seconds metered until the
/// provider saw it are not billed, so it may be paid less.
fn judge_stream(paid: u64, through: u64, signed: u64, cap: u64, cancelled: bool) -> StreamPaid {
    let confirmed = through.min(cap);
    let most = signed.max(through).min(cap);
    if cancelled {
        return if paid <= most {
            StreamPaid::Exact
        } else {
            StreamPaid::Wrong
        };
    }
    if paid == confirmed {
        StreamPaid::Exact
    } else if confirmed < paid && paid <= most {
        StreamPaid::Unanswered
    } else {
        StreamPaid::Wrong
    }
}

impl Findings {
    /// Prints the findings; fails when a check failed.
    pub fn print(&self) -> anyhow::Result<()> {
        let Findings {
            conserved,
            exact,
            jobs_done,
            jobs,
            outputs,
            not_completed,
            streams,
            seconds,
            deposited,
            paid,
            refunded,
            onchain_settlements,
        } = self;
        let (conserved, exact, seconds) = (*conserved, *exact, *seconds);
        println!("\nFinal (read back from the chain and the read models):");
        println!(
            "  {jobs_done} of {jobs} jobs completed in their containers; outputs on chain: {}",
            outputs
                .first()
                .map(|c| format!("{c} (and {} more)", outputs.len() - 1))
                .unwrap_or_else(|| "none".into())
        );
        for line in not_completed {
            println!("    {line}");
        }
        println!("  {seconds} metered seconds; escrow deposited {deposited}, paid to providers {paid}, refunded to buyers {refunded} octas");
        println!(
            "  escrow conservation on chain: {}",
            if conserved { "holds" } else { "BROKEN" }
        );
        let naive = naive_transactions(1, seconds.max(0) as u64);
        println!(
        "  on-chain settlement transactions: {onchain_settlements} batches + {jobs} closes, against {naive} in the naive one-payment-per-second design"
    );
        println!(
        "  per stream, paid on chain = the newest voucher within the metered seconds plus the lead (cancelled: at most), stream closed: {}",
        if exact { "yes" } else { "NO" }
    );
        for line in streams {
            println!("    {line}");
        }
        anyhow::ensure!(conserved, "escrow conservation broke");
        anyhow::ensure!(
            exact,
            "a stream was not paid exactly its newest voucher within the metered seconds"
        );
        Ok(())
    }
}

pub async fn summary(pool: &PgPool, elapsed: u64) {
    let row: Result<(i64, i64, i64, String, String, i64), _> = sqlx::query_as(
        "SELECT (SELECT count(*) FROM jobs WHERE status = 'running'), \
                (SELECT count(*) FROM jobs WHERE status IN ('completed', 'failed', 'cancelled')), \
                COALESCE(sum(attested_seconds),0)::bigint, COALESCE(sum(vouchered),0)::text, \
                COALESCE(sum(settled),0)::text, \
                (SELECT count(DISTINCT version) FROM stream_settlements) \
         FROM payment_streams",
    )
    .fetch_one(pool)
    .await;
    if let Ok((running, ended, seconds, vouchered, settled, batches)) = row {
        println!("t={elapsed:>4}s  jobs running={running} ended={ended}  seconds served={seconds:>6}  accrued (vouchers)={vouchered:>10}  settled on chain={settled:>10} octas  settlement txns={batches}");
    }
}

#[cfg(test)]
mod tests {
    use super::{judge_stream, StreamPaid};

    #[test]
    fn a_stream_is_paid_its_newest_confirmed_voucher_within_the_cap() {
        assert_eq!(judge_stream(500, 500, 500, 900, false), StreamPaid::Exact);
        // The buyer paid ahead of what was metered: the cap wins.
        assert_eq!(
            judge_stream(900, 1_000, 1_000, 900, false),
            StreamPaid::Exact
        );
        assert_eq!(judge_stream(400, 500, 500, 900, false), StreamPaid::Wrong);
        assert_eq!(judge_stream(600, 500, 500, 900, false), StreamPaid::Wrong);
    }

    #[test]
    fn a_voucher_whose_answer_never_came_may_be_redeemed_up_to_what_was_signed() {
        assert_eq!(
            judge_stream(600, 500, 600, 900, false),
            StreamPaid::Unanswered
        );
        assert_eq!(judge_stream(700, 500, 600, 900, false), StreamPaid::Wrong);
        // Never above the cap, whatever was signed.
        assert_eq!(judge_stream(950, 500, 1_000, 900, false), StreamPaid::Wrong);
    }

    #[test]
    fn a_cancelled_stream_is_paid_at_most_what_was_signed() {
        assert_eq!(judge_stream(300, 500, 500, 900, true), StreamPaid::Exact);
        assert_eq!(judge_stream(600, 500, 600, 900, true), StreamPaid::Exact);
        assert_eq!(judge_stream(700, 500, 600, 900, true), StreamPaid::Wrong);
    }
}
