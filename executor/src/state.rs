//! The executor's state shared by the log reader, the job tasks and the x402 endpoint:
//! what it knows of each of its jobs ([`JobView`]) and the buyers' payment book
//! ([`PaymentBook`]), each behind its own lock.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use computestream_domain::{AccountAddress, JobStatus, VoucherContext};

use crate::payments::PaymentBook;
use crate::sandbox::JobRequest;

/// What the executor knows of one of its jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobView {
    pub request: JobRequest,
    pub status: JobStatus,
    pub container: Option<String>,
    /// Seconds metered so far.
    pub seconds: u64,
    pub reason: String,
    pub output_url: String,
    pub output_cid: String,
}

/// State shared by the log reader, the job tasks and the x402 endpoint.
#[derive(Debug)]
pub struct ExecutorState {
    pub provider: AccountAddress,
    pub ctx: VoucherContext,
    book: Mutex<PaymentBook>,
    jobs: Mutex<BTreeMap<u64, JobView>>,
    /// Jobs that ended, oldest first: past `retain_finished`, the oldest is forgotten (its
    /// view and its payment-book entry), so memory follows the jobs running, not every job
    /// ever created (`executor.retained_finished_jobs`).
    finished: Mutex<VecDeque<u64>>,
    retain_finished: usize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every update under these locks is a plain field write: a panic cannot leave them
    // half-done, so a poisoned lock is taken over.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl ExecutorState {
    /// The state of `provider`'s executor for the deployment `ctx`; buyers may pay up to
    /// `payment_ahead_secs` seconds before they are served; the `retain_finished` jobs that
    /// ended last are kept (their final state and outputs served), older ones forgotten.
    pub fn new(
        provider: AccountAddress,
        ctx: VoucherContext,
        payment_ahead_secs: u64,
        retain_finished: usize,
    ) -> Arc<Self> {
        Arc::new(ExecutorState {
            provider,
            ctx,
            book: Mutex::new(PaymentBook::new(ctx, provider, payment_ahead_secs)),
            jobs: Mutex::new(BTreeMap::new()),
            finished: Mutex::new(VecDeque::new()),
            retain_finished: retain_finished.max(1),
        })
    }

    pub fn book(&self) -> MutexGuard<'_, PaymentBook> {
        lock(&self.book)
    }

    /// Records a job of this provider as it was created (pending); `true` when it is new
    /// (a redelivered creation changes nothing).
    pub fn add_job(&self, req: &JobRequest) -> bool {
        let mut jobs = lock(&self.jobs);
        let fresh = !jobs.contains_key(&req.job_id);
        jobs.entry(req.job_id).or_insert(JobView {
            request: req.clone(),
            status: JobStatus::Pending,
            container: None,
            seconds: 0,
            reason: String::new(),
            output_url: String::new(),
            output_cid: String::new(),
        });
        fresh
    }

    pub fn job(&self, job_id: u64) -> Option<JobView> {
        lock(&self.jobs).get(&job_id).cloned()
    }

    pub fn jobs(&self) -> Vec<JobView> {
        lock(&self.jobs).values().cloned().collect()
    }

    fn update(&self, job_id: u64, f: impl FnOnce(&mut JobView)) {
        if let Some(j) = lock(&self.jobs).get_mut(&job_id) {
            f(j);
        }
    }

    pub fn set_status(&self, job_id: u64, status: JobStatus, reason: &str) {
        let mut ended = false;
        self.update(job_id, |j| {
            ended = status.is_terminal() && !j.status.is_terminal();
            // Statuses only move forward; a late event never reopens a job.
            if !j.status.is_terminal() || status.is_terminal() {
                j.status = status;
            }
            if !reason.is_empty() {
                j.reason = reason.to_owned();
            }
        });
        if ended {
            self.retire(job_id);
        }
    }

    /// Records that `job_id` ended and forgets the oldest ended jobs past the retention.
    fn retire(&self, job_id: u64) {
        let forgotten: Vec<u64> = {
            let mut finished = lock(&self.finished);
            finished.push_back(job_id);
            let excess = finished.len().saturating_sub(self.retain_finished);
            finished.drain(..excess).collect()
        };
        for old in forgotten {
            lock(&self.jobs).remove(&old);
            self.book().forget(old);
            metrics::counter!("computestream_executor_jobs_forgotten_total").increment(1);
        }
    }

    pub fn set_container(&self, job_id: u64, c: Option<String>) {
        self.update(job_id, |j| j.container = c);
    }

    /// The job has been served (metered) `s` seconds.
    pub fn set_seconds(&self, job_id: u64, s: u64) {
        self.update(job_id, |j| j.seconds = s);
        self.book().served(job_id, s);
    }

    pub fn set_output(&self, job_id: u64, url: &str, cid: &str) {
        self.update(job_id, |j| {
            j.output_url = url.to_owned();
            j.output_cid = cid.to_owned();
        });
    }

    pub fn is_cancelled(&self, job_id: u64) -> bool {
        self.job(job_id)
            .is_some_and(|j| j.status == JobStatus::Cancelled)
    }

    pub fn paid_seconds(&self, job_id: u64) -> u64 {
        self.book().paid_seconds(job_id)
    }

    /// The job ended: refuse its vouchers from now on and wait (bounded) until the ones
    /// already accepted are stored in the log. Called before its outcome goes on chain, so
    /// every voucher the buyer was told is accepted is in the log before the settler can
    /// close the stream.
    pub async fn end_payments(&self, job_id: u64) {
        self.book().ended(job_id);
        for _ in 0..6_000 {
            if self.book().in_flight(job_id) == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        tracing::warn!(
            job_id,
            "payments still being stored after 30 s; reporting anyway"
        );
    }

    /// `computestream_executor_jobs{status}`: this provider's jobs by status.
    pub(crate) fn export_job_states(&self) {
        let mut counts = [0u32; 5];
        for j in lock(&self.jobs).values() {
            counts[(j.status as usize).min(4)] += 1;
        }
        for (i, status) in JobStatus::ALL.into_iter().enumerate() {
            metrics::gauge!("computestream_executor_jobs", "status" => status.as_str())
                .set(f64::from(counts[i]));
        }
    }

    /// Jobs held in memory (running, pending and the retained ended ones).
    pub fn held_jobs(&self) -> usize {
        lock(&self.jobs).len()
    }

    pub(crate) fn running_jobs(&self) -> u32 {
        lock(&self.jobs)
            .values()
            .filter(|j| j.container.is_some())
            .count() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use computestream_domain::{Octas, StreamTerms};

    #[test]
    fn only_the_last_ended_jobs_are_kept() {
        let ctx = VoucherContext {
            chain_id: 4,
            package: AccountAddress::ONE,
        };
        let provider = AccountAddress::new([2; 32]);
        let s = ExecutorState::new(provider, ctx, 5, 2);
        for id in 1..=4u64 {
            s.add_job(&JobRequest {
                job_id: id,
                image: "i".into(),
                max_duration_secs: 60,
            });
            s.book().opened(
                StreamTerms {
                    stream_id: id,
                    buyer_public_key: computestream_domain::SigningKey::from_seed([7; 32])
                        .public_key(),
                    provider,
                    rate_per_second: Octas(1),
                    escrow: Octas(100),
                },
                0,
            );
        }
        for id in 1..=3u64 {
            s.set_status(id, JobStatus::Completed, "");
            // A late event for an ended job changes nothing and is not counted twice.
            s.set_status(id, JobStatus::Failed, "");
        }
        assert!(s.job(1).is_none(), "the oldest ended job is forgotten");
        assert!(s.book().terms(1).is_none(), "and its payment-book entry");
        assert!(s.job(2).is_some() && s.job(3).is_some());
        assert_eq!(s.job(4).map(|j| j.status), Some(JobStatus::Pending));
        assert_eq!(s.held_jobs(), 3);
    }
}
