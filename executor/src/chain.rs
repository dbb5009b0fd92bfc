//! The chain port: what the executor needs from the chain (its provider's job status
//! transactions). The adapter is `computestream_chain::Caller` (aptos-sdk).

use std::future::Future;

use aptos_sdk::aptos_bcs::to_bytes;
use computestream_chain::{Caller, ChainError};
use computestream_domain::{JobStatus, RecordHash};

/// The head of a job's metering chain: what the provider commits on chain when the job ends
/// (`job_registry::EvidenceCommitted`; docs/DISPUTES.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evidence {
    /// SHA3-256 of the last metering record (the genesis hash when none was metered).
    pub metering_head: RecordHash,
    /// Seconds metered (the last record's `second`).
    pub metered_seconds: u64,
}

/// How a job ended, as reported on chain (`job_registry::report_outcome`, or
/// `report_outcome_with_evidence` when it was metered).
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
    /// The metering chain's head, committed with the outcome in one transaction.
    pub evidence: Option<Evidence>,
}

pub trait JobChain: Send + Sync + 'static {
    /// `update_job_status(job, Running)`. `Ok(false)` when the chain refused it (the job
    /// was cancelled, or is not this provider's, or not pending).
    fn mark_running(&self, job_id: u64) -> impl Future<Output = Result<bool, ChainError>> + Send;
    /// `report_outcome(...)`, or `report_outcome_with_evidence(...)` with the outcome's
    /// evidence. `Ok(false)` when the chain refused it.
    fn report(&self, outcome: &Outcome) -> impl Future<Output = Result<bool, ChainError>> + Send;
    /// `commit_evidence(job, head, seconds)` for a job that ended without an outcome of the
    /// provider's (cancelled by its buyer). `Ok(false)` when the chain refused it (already
    /// committed, not ended yet).
    fn commit_evidence(
        &self,
        job_id: u64,
        evidence: &Evidence,
    ) -> impl Future<Output = Result<bool, ChainError>> + Send;
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
        let (function, args) = match &o.evidence {
            Some(e) => {
                let mut args = args;
                args.push(bcs(&e.metering_head.0.to_vec())?);
                args.push(bcs(&e.metered_seconds)?);
                ("report_outcome_with_evidence", args)
            }
            None => ("report_outcome", args),
        };
        let c = self.call("job_registry", function, args).await?;
        if !c.success {
            tracing::warn!(job_id = o.job_id, vm_status = %c.vm_status, "the chain refused the outcome");
        }
        Ok(c.success)
    }

    async fn commit_evidence(&self, job_id: u64, e: &Evidence) -> Result<bool, ChainError> {
        let args = vec![
            bcs(&job_id)?,
            bcs(&e.metering_head.0.to_vec())?,
            bcs(&e.metered_seconds)?,
        ];
        let c = self.call("job_registry", "commit_evidence", args).await?;
        if !c.success {
            tracing::warn!(job_id, vm_status = %c.vm_status, "the chain refused the evidence");
        }
        Ok(c.success)
    }
}
