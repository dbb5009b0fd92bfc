//! The chain port: what the settler needs from a Movement node. The real adapter is
//! `computestream_chain::RestChain` (aptos-sdk's REST client); the contract tests in
//! `tests/chain_contract.rs` run against it on the devnet.

use std::future::Future;

use aptos_sdk::transaction::SignedTransaction;
use computestream_chain::{Committed, Ledger, RestChain};
use computestream_domain::AccountAddress;

use crate::ChainError;

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

impl SettlementChain for RestChain {
    async fn ledger(&self) -> Result<Ledger, ChainError> {
        RestChain::ledger(self).await
    }

    async fn sequence_number(&self, account: AccountAddress) -> Result<u64, ChainError> {
        RestChain::sequence_number(self, account).await
    }

    async fn gas_unit_price(&self) -> Result<u64, ChainError> {
        RestChain::gas_unit_price(self).await
    }

    async fn submit(&self, txn: &SignedTransaction) -> Result<(), ChainError> {
        RestChain::submit(self, txn).await
    }

    async fn committed(&self, hash: &str) -> Result<Option<Committed>, ChainError> {
        RestChain::committed(self, hash).await
    }
}
