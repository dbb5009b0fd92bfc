//! The executor's state shared by the log reader, the job tasks and the x402 endpoint:
//! what it knows of each of its jobs ([`JobView`]) and the buyers' payment book
//! ([`PaymentBook`]), each behind its own lock.

use std::collections::BTreeMap;
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
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every update under these locks is a plain field write: a panic cannot leave them
    // half-done, so a poisoned lock is taken over.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl ExecutorState {
    /// The state of `provider`'s executor for the deployment `ctx`; buyers may pay up to
    /// `payment_ahead_secs` seconds before they are served.
    pub fn new(
        provider: AccountAddress,
        ctx: VoucherContext,
        payment_ahead_secs: u64,
    ) -> Arc<Self> {
        Arc::new(ExecutorState {
            provider,
            ctx,
            book: Mutex::new(PaymentBook::new(ctx, provider, payment_ahead_secs)),
            jobs: Mutex::new(BTreeMap::new()),
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
        self.update(job_id, |j| {
            // Statuses only move forward; a late event never reopens a job.
            if !j.status.is_terminal() || status.is_terminal() {
                j.status = status;
            }
            if !reason.is_empty() {
                j.reason = reason.to_owned();
            }
        });
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

    pub(crate) fn running_jobs(&self) -> u32 {
        lock(&self.jobs)
            .values()
            .filter(|j| j.container.is_some())
            .count() as u32
    }
}
