//! What the node tells about the chain and about committed transactions.

use computestream_domain::Octas;

/// A transaction as committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub version: u64,
    pub success: bool,
    pub vm_status: String,
    pub gas_used: u64,
    /// `payment_stream::StreamSettled` events: (stream, paid now, paid total).
    pub settled: Vec<(u64, Octas, Octas)>,
    /// `payment_stream::StreamClosed` events: (stream, final payment, paid total).
    pub closed: Vec<(u64, Octas, Octas)>,
    /// `job_registry::JobCreated` events: the new jobs' ids.
    pub jobs_created: Vec<u64>,
}

/// The node's view of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ledger {
    pub chain_id: u8,
    /// The newest committed version.
    pub version: u64,
    /// The newest block's time, unix seconds (transaction expiry is checked against it).
    pub timestamp_secs: u64,
}
