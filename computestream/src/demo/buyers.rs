//! The demo's buyers: each pays every second of its job over x402 (a cumulative voucher to
//! its provider's executor) until every job ended or Ctrl-C; the terminal shows a summary of
//! the read models each second.

use std::time::Duration;

use computestream_domain::{Octas, SigningKey};
use computestream_executor::{Buyer, Payment};
use sqlx::PgPool;

use super::chain::DemoChain;

/// How the paying ended, and the newest cumulative amount each job's buyer paid.
pub struct Paid {
    pub through: Vec<Octas>,
    pub interrupted: bool,
}

/// Pays each second of every job until all ended, `limit_secs` passed, or Ctrl-C.
pub async fn pay_until_done(
    chain: &DemoChain,
    endpoints: &[String],
    pool: &PgPool,
    limit_secs: u64,
) -> Paid {
    let id = chain.id;
    let buyers: Vec<Buyer> = chain
        .keys
        .buyers
        .iter()
        .map(|seed| Buyer::new(SigningKey::from_seed(*seed), id.chain_id, id.package))
        .collect();
    let mut through = vec![Octas::ZERO; chain.jobs.len()];
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut elapsed = 0u64;
    let mut interrupted = false;
    // One listener for the whole loop: a SIGINT while the buyers pay is not lost.
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => { interrupted = true; break }
            _ = tick.tick() => {}
        }
        elapsed += 1;
        let payments = futures::future::join_all(
            chain
                .jobs
                .iter()
                .map(|j| buyers[j.buyer].pay_due(&endpoints[j.provider], j.job_id)),
        )
        .await;
        for (i, p) in payments.into_iter().enumerate() {
            match p {
                Ok(Payment::Paid(p)) => through[i] = p.cumulative,
                Ok(Payment::NothingDue | Payment::Ended(_)) => {}
                Err(e) => {
                    tracing::debug!(job = chain.jobs[i].job_id, error = %e, "not paid this second")
                }
            }
        }
        super::report::summary(pool, elapsed).await;
        if chain.all_ended().await || elapsed > limit_secs {
            break;
        }
    }
    Paid {
        through,
        interrupted,
    }
}
