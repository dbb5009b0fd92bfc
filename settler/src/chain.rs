//! The chain port: what the settler needs from a Movement node. The real adapter is
//! [`crate::RestChain`] (aptos-sdk's REST client); the contract tests in
//! `tests/chain_contract.rs` run against it on the devnet.

use std::future::Future;

use aptos_sdk::transaction::SignedTransaction;
use computestream_domain::{AccountAddress, Octas};

use crate::ChainError;

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
}

/// The node's view of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ledger {
    pub chain_id: u8,
    /// The newest block's time, unix seconds (transaction expiry is checked against it).
    pub timestamp_secs: u64,
}

pub trait SettlementChain: Send + Sync + 'static {
    /// The node's chain id and ledger time.
    fn ledger(&self) -> impl Future<Output = Result<Ledger, ChainError>> + Send;
    /// The next sequence number of `account` as committed on chain.
    fn sequence_number(
        &self,
        account: AccountAddress,
    ) -> impl Future<Output = Result<u64, ChainError>> + Send;
    /// The gas unit price to offer (octas).
    fn gas_unit_price(&self) -> impl Future<Output = Result<u64, ChainError>> + Send;
    /// Hands a signed transaction to the node. Submitting the same transaction again is
    /// harmless (same hash).
    fn submit(
        &self,
        txn: &SignedTransaction,
    ) -> impl Future<Output = Result<(), ChainError>> + Send;
    /// The committed transaction with this hash, or `None` while it is pending or unknown.
    fn committed(
        &self,
        hash: &str,
    ) -> impl Future<Output = Result<Option<Committed>, ChainError>> + Send;
}
