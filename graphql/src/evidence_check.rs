//! The verdict on a job's evidence for `Job.evidence.verification` (docs/DISPUTES.md): the
//! job's events read from the log (only its two partitions:
//! [`computestream_eventlog::job_log::job_envelopes`]), gathered into a bundle
//! ([`computestream_schemas::evidence::gather`]) and checked by the same pure function as
//! `computestream verify` ([`computestream_domain::evidence::verify`]).
//!
//! Reading a partition costs work in proportion to it, and anyone may ask: one check runs at
//! a time and a request that finds one running is refused at once (`RATE_LIMITED`), not
//! queued; a check runs to its end in its own task, so its verdict is kept even when the
//! request that started it is cancelled (the gateway's request timeout); a final verdict
//! (stream closed and the provider's commitment on chain: `EvidenceBundle::is_final`) is kept
//! for a day, any other for five seconds, in bounded maps.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use computestream_domain::evidence::{verify, Verdict};
use computestream_domain::AccountAddress;
use computestream_eventlog::{job_log, KafkaSettings};
use computestream_runtime::now_ms;
use computestream_schemas::evidence::{gather, GatherError};
use tokio::sync::Semaphore;

use crate::expiring_map::ExpiringMap;
use crate::limits::RateLimiter;
use crate::GatewayError;

/// Verdicts kept once final (nothing the verdict reads changes after it).
const FINAL_TTL_MS: u64 = 24 * 3600 * 1000;
const FINAL_CAPACITY: usize = 10_000;
/// Verdicts that may still change: the stream is open (a settlement may still land), or the
/// provider's commitment is not on chain yet (it commits after it stopped the job, which can
/// be after the close; a verdict kept for a day from before it would never see it).
const OPEN_TTL_MS: u64 = 5_000;
const OPEN_CAPACITY: usize = 1_000;

/// A verdict and whether it can still change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// What `computestream verify` prints for the job.
    pub verdict: Verdict,
    /// True once nothing the verdict reads can change: the stream is closed and the
    /// provider's commitment is on chain ([`EvidenceBundle::is_final`]).
    ///
    /// [`EvidenceBundle::is_final`]: computestream_domain::evidence::EvidenceBundle::is_final
    pub is_final: bool,
}

/// Checks jobs' evidence from the log, one at a time, with bounded caches.
#[derive(Debug, Clone)]
pub struct EvidenceChecker {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    kafka: KafkaSettings,
    chain_id: u8,
    package: AccountAddress,
    payment_ahead_secs: u64,
    one_at_a_time: Arc<Semaphore>,
    /// Checks each client may start per minute (`gateway.evidence_checks_per_minute`).
    per_client: RateLimiter,
    final_verdicts: Mutex<ExpiringMap<u64, Arc<Checked>>>,
    open_verdicts: Mutex<ExpiringMap<u64, Arc<Checked>>>,
}

impl EvidenceChecker {
    /// `payment_ahead_secs`: the deployment's lead (`settler.payment_ahead_secs`), part of
    /// the paid-amount rule.
    pub fn new(
        kafka: KafkaSettings,
        chain_id: u8,
        package: AccountAddress,
        payment_ahead_secs: u64,
        checks_per_minute: u32,
    ) -> Self {
        EvidenceChecker {
            inner: Arc::new(Inner {
                kafka,
                chain_id,
                package,
                payment_ahead_secs,
                one_at_a_time: Arc::new(Semaphore::new(1)),
                per_client: RateLimiter::new(checks_per_minute),
                final_verdicts: Mutex::new(ExpiringMap::new(FINAL_CAPACITY, FINAL_TTL_MS)),
                open_verdicts: Mutex::new(ExpiringMap::new(OPEN_CAPACITY, OPEN_TTL_MS)),
            }),
        }
    }

    fn cached(&self, job_id: u64) -> Option<Arc<Checked>> {
        let now = now_ms();
        for map in [&self.inner.final_verdicts, &self.inner.open_verdicts] {
            let mut m = map.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((v, _)) = m.get(&job_id, now) {
                return Some(v.clone());
            }
        }
        None
    }

    /// The verdict on job `job_id`'s evidence as the log holds it now, for `client` (a
    /// cached verdict is free; a new check counts against the client's checks per minute).
    ///
    /// Errors: [`GatewayError::RateLimited`] while another check runs, or when `client`
    /// started its checks of this minute already;
    /// [`GatewayError::NotFound`] when the log holds no `JobCreated` or `StreamOpened` for
    /// it; [`GatewayError::Log`] when the log cannot be read (retryable).
    pub async fn check(
        &self,
        job_id: u64,
        client: Option<IpAddr>,
    ) -> Result<Arc<Checked>, GatewayError> {
        if let Some(v) = self.cached(job_id) {
            return Ok(v);
        }
        if let Some(ip) = client {
            if !self.inner.per_client.allow(ip) {
                return Err(GatewayError::RateLimited(
                    "this client started its evidence checks of this minute; ask again later"
                        .into(),
                ));
            }
        }
        let permit = self
            .inner
            .one_at_a_time
            .clone()
            .try_acquire_owned()
            .map_err(|_| {
                GatewayError::RateLimited(
                    "another evidence check is running on this gateway; ask again in a moment"
                        .into(),
                )
            })?;
        let me = self.clone();
        tokio::spawn(async move {
            let _permit = permit;
            me.run_check(job_id).await
        })
        .await
        .map_err(|e| GatewayError::Config(format!("the evidence check stopped: {e}")))?
    }

    async fn run_check(&self, job_id: u64) -> Result<Arc<Checked>, GatewayError> {
        // Someone else may have checked it just before.
        if let Some(v) = self.cached(job_id) {
            return Ok(v);
        }
        let envelopes = job_log::job_envelopes(&self.inner.kafka, job_id).await?;
        let bundle = gather(
            job_id,
            self.inner.chain_id,
            self.inner.package,
            self.inner.payment_ahead_secs,
            &envelopes,
        )
        .map_err(|e: GatherError| GatewayError::NotFound(e.to_string()))?;
        let checked = Arc::new(Checked {
            verdict: verify(&bundle),
            is_final: bundle.is_final(),
        });
        let map = if checked.is_final {
            &self.inner.final_verdicts
        } else {
            &self.inner.open_verdicts
        };
        map.lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(job_id, checked.clone(), now_ms());
        Ok(checked)
    }
}
