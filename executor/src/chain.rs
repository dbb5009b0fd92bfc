//! The chain port: what the executor needs from the chain (its provider's job status
//! transactions). The adapter is `computestream_chain::Caller` (aptos-sdk).

use std::future::Future;

use aptos_sdk::aptos_bcs::to_bytes;
use computestream_chain::{Caller, ChainError};
use computestream_domain::JobStatus;

/// How a job ended, as reported on chain (`job_registry::report_outcome`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub job_id: u64,
    pub status: JobStatus,
    /// The container's exit code (0 when it never ran).
    pub exit_code: u64,
    /// Why it failed; empty on success.
    pub reason: String,
    pub output_url: String,
    pub output_cid: String,
}

pub trait JobChain: Send + Sync + 'static {
    /// `update_job_status(job, Running)`. `Ok(false)` when the chain refused it (the job
    /// was cancelled, or is not this provider's, or not pending).
    fn mark_running(&self, job_id: u64) -> impl Future<Output = Result<bool, ChainError>> + Send;
    /// `report_outcome(...)`. `Ok(false)` when the chain refused it.
    fn report(&self, outcome: &Outcome) -> impl Future<Output = Result<bool, ChainError>> + Send;
}

fn bcs<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, ChainError> {
    to_bytes(v).map_err(|e| ChainError::Build(e.to_string()))
}

impl JobChain for Caller {
    async fn mark_running(&self, job_id: u64) -> Result<bool, ChainError> {
        let args = vec![bcs(&job_id)?, bcs(&(JobStatus::Running as u8))?];
        let c = self.call("job_registry", "update_job_status", args).await?;
        if !c.success {
            tracing::warn!(job_id, vm_status = %c.vm_status, "the chain refused to start the job");
        }
        Ok(c.success)
    }

    async fn report(&self, o: &Outcome) -> Result<bool, ChainError> {
        let args = vec![
            bcs(&o.job_id)?,
            bcs(&(o.status as u8))?,
            bcs(&o.exit_code)?,
            bcs(&o.reason)?,
            bcs(&o.output_url)?,
            bcs(&o.output_cid)?,
        ];
        let c = self.call("job_registry", "report_outcome", args).await?;
        if !c.success {
            tracing::warn!(job_id = o.job_id, vm_status = %c.vm_status, "the chain refused the outcome");
        }
        Ok(c.success)
    }
}
