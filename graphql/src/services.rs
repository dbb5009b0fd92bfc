//! What the GraphQL resolvers and the REST handlers share: the read-model pool, the live
//! feed, sign-in sessions, the chain (for submissions), the evidence checker and the
//! deployment.

use std::sync::Arc;

use computestream_domain::AccountAddress;
use sqlx::PgPool;

use crate::auth::Sessions;
use crate::evidence_check::EvidenceChecker;
use crate::live::LiveFeed;

/// What resolvers share.
#[derive(Debug, Clone)]
pub struct Services {
    pub pool: PgPool,
    pub feed: LiveFeed,
    pub sessions: Arc<Sessions>,
    pub chain: Option<computestream_chain::RestChain>,
    pub package: AccountAddress,
    pub chain_id: u8,
    /// Checks jobs' evidence from the log (`Job.evidence.verification`).
    pub evidence: EvidenceChecker,
}
