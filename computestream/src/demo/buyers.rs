//! The demo's buyers: each pays every second of its job over x402 (a cumulative voucher to
//! its provider's executor) until every job ended or Ctrl-C; the terminal shows a summary of
//! the read models each second.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use computestream_domain::{Octas, SigningKey};
use computestream_executor::{Buyer, Payment};
use sqlx::PgPool;
use tokio::task::JoinSet;

use super::chain::DemoChain;

/// How the paying ended, and per job (in `DemoChain::jobs` order) what its buyer paid.
pub struct Paid {
    /// The newest cumulative amount the executor confirmed (200 with `PAYMENT-RESPONSE`).
    pub through: Vec<Octas>,
    /// The largest cumulative amount signed and sent, confirmed or not
    /// ([`Buyer::signed`]): a request that timed out may still have been stored.
    pub signed: Vec<Octas>,
    pub interrupted: bool,
}

/// Pays each second of every job until all ended, `limit_secs` passed, or Ctrl-C. Every
/// job's buyer pays on its own schedule in a task of its own, so one slow payment (a busy
/// machine, a slow executor) delays no other buyer; a buyer that fell behind pays everything
/// served in its next voucher. The summary is printed each second beside them.
pub async fn pay_until_done(
    chain: &DemoChain,
    endpoints: &[String],
    pool: &PgPool,
    limit_secs: u64,
) -> Paid {
    let id = chain.id;
    let through = Arc::new(Mutex::new(vec![Octas::ZERO; chain.jobs.len()]));
    let signed = Arc::new(Mutex::new(vec![Octas::ZERO; chain.jobs.len()]));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut buyers = JoinSet::new();
    for (i, job) in chain.jobs.iter().enumerate() {
        let Some(seed) = chain.keys.buyers.get(job.buyer) else {
            tracing::warn!(
                job = job.job_id,
                "no buyer key for this job; it is not paid"
            );
            continue;
        };
        let Some(endpoint) = endpoints.get(job.provider).cloned() else {
            tracing::warn!(job = job.job_id, "no endpoint for this job's provider");
            continue;
        };
        let buyer = Buyer::new(SigningKey::from_seed(*seed), id.chain_id, id.package);
        let (through, signed, mut stopped, job_id) =
            (through.clone(), signed.clone(), stopped.clone(), job.job_id);
        buyers.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stopped.changed() => return,
                    _ = tick.tick() => {}
                }
                let paid = buyer.pay_due(&endpoint, job_id).await;
                if let (Some(most), Ok(mut s)) = (buyer.signed(job_id), signed.lock()) {
                    s[i] = most;
                }
                match paid {
                    Ok(Payment::Paid(p)) => {
                        if let Ok(mut t) = through.lock() {
                            t[i] = p.cumulative;
                        }
                    }
                    Ok(Payment::Ended(_)) => return,
                    Ok(Payment::NothingDue) => {}
                    Err(e) => tracing::debug!(job = job_id, error = %e, "not paid this second"),
                }
            }
        });
    }
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut interrupted = false;
    // One listener for the whole loop: a SIGINT while the buyers pay is not lost.
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => { interrupted = true; break }
            _ = tick.tick() => {}
        }
        let elapsed = started.elapsed().as_secs();
        super::report::summary(pool, elapsed).await;
        while buyers.try_join_next().is_some() {}
        if buyers.is_empty() || chain.all_ended().await || elapsed > limit_secs {
            break;
        }
    }
    let _ = stop.send(true);
    while buyers.join_next().await.is_some() {}
    let through = through.lock().map(|t| t.clone()).unwrap_or_default();
    let signed = signed.lock().map(|t| t.clone()).unwrap_or_default();
    Paid {
        through,
        signed,
        interrupted,
    }
}
