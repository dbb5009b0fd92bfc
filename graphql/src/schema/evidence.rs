//! A job's evidence in the schema (docs/DISPUTES.md): what the provider committed on chain
//! (`job_registry::EvidenceCommitted`) and the verdict of checking the job's records and
//! vouchers against it ([`crate::evidence_check`], the same check as `computestream verify`).

use async_graphql::{ComplexObject, Context, SimpleObject};

use super::args::services;
use crate::error::Gql;
use crate::evidence_check::Checked;
use crate::limits::ClientIp;

/// What the provider committed on chain when the job ended: public chain facts.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(complex)]
pub struct JobEvidence {
    #[graphql(skip)]
    pub job_id: u64,
    /// SHA3-256 of the provider's last metering record, 0x-hex.
    pub metering_head: String,
    /// Seconds metered (u64 as a decimal string).
    pub metered_seconds: String,
    /// The chain version of the transaction that committed it.
    pub version: String,
}

#[ComplexObject]
impl JobEvidence {
    /// The job's signed records and vouchers checked against this commitment and what the
    /// chain paid. Reads the job's partitions of the log: expensive, one at a time per
    /// gateway, cached (a final verdict for a day, any other for 5 s); a client
    /// starts at most `gateway.evidence_checks_per_minute` checks a minute.
    /// Errors: `NOT_FOUND` when the log does not hold the job, `RATE_LIMITED` while another
    /// check runs or past the client's checks, `INTERNAL` when the log cannot be read.
    #[graphql(complexity = 200)]
    async fn verification(&self, ctx: &Context<'_>) -> async_graphql::Result<EvidenceVerification> {
        let client = ctx.data_opt::<ClientIp>().map(|c| c.0);
        let v = services(ctx)
            .evidence
            .check(self.job_id, client)
            .await
            .gql()?;
        Ok(EvidenceVerification::from(v.as_ref()))
    }
}

/// The verdict on a job's evidence (`computestream verify JOB` prints the same).
#[derive(SimpleObject, Debug, Clone)]
pub struct EvidenceVerification {
    /// True when every check holds (no findings).
    pub holds: bool,
    /// True once nothing the verdict reads can change: the stream is closed and the
    /// provider's commitment is on chain. A verdict that is not final may change (a
    /// settlement or the commitment may still land); ask again after 5 s.
    #[graphql(name = "final")]
    pub is_final: bool,
    /// Seconds signed by the provider in one unbroken chain from second 1 (u64, decimal).
    pub signed_seconds: String,
    /// SHA3-256 of the last record of that chain, 0x-hex (the genesis hash without records).
    pub head: String,
    /// The head the provider committed on chain, 0x-hex; null when nothing is committed.
    pub committed_head: Option<String>,
    /// The seconds the provider committed on chain (u64, decimal).
    pub committed_seconds: Option<String>,
    /// The newest voucher that verifies (octas, decimal); null when none does.
    pub newest_voucher: Option<String>,
    /// What the chain paid the provider (octas, decimal).
    pub paid: String,
    /// The first check that failed, at its exact second or voucher; null when it holds.
    pub first_failure: Option<String>,
    /// Every check that failed, in the order of the checks.
    pub findings: Vec<String>,
}

impl From<&Checked> for EvidenceVerification {
    fn from(c: &Checked) -> Self {
        let v = &c.verdict;
        let findings: Vec<String> = v.findings.iter().map(ToString::to_string).collect();
        EvidenceVerification {
            holds: v.holds(),
            is_final: c.is_final,
            signed_seconds: v.signed_seconds.to_string(),
            head: v.head.to_string(),
            committed_head: v.committed.map(|c| c.metering_head.to_string()),
            committed_seconds: v.committed.map(|c| c.metered_seconds.to_string()),
            newest_voucher: v.newest_voucher.map(|o| o.to_string()),
            paid: v.paid.to_string(),
            first_failure: findings.first().cloned(),
            findings,
        }
    }
}
