//! Blocks and each account's transactions: the indexes behind `GET /v1/blocks/by_height/{h}`,
//! `/v1/blocks/by_version/{v}` and `GET /v1/accounts/{address}/transactions`.

use computestream_domain::AccountAddress;
use computestream_nodeapi::{Block, Transaction};
use serde_json::Value;

use super::Node;
use crate::DevnetError;

/// One block: its height, hash (the block metadata transaction's `id`), timestamp in
/// microseconds and the inclusive range of versions it holds. Height 0 is genesis (version 0);
/// every later block is block metadata, its user transactions, and a state checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockInfo {
    pub height: u64,
    pub hash: String,
    pub timestamp_micros: u64,
    pub first_version: u64,
    pub last_version: u64,
}

impl Node {
    /// The block at `height`; `None` above the latest.
    pub fn block_by_height(&self, height: u64) -> Option<&BlockInfo> {
        usize::try_from(height)
            .ok()
            .and_then(|h| self.blocks.get(h))
    }

    /// The block holding `version`; `None` above the latest version.
    pub fn block_by_version(&self, version: u64) -> Option<&BlockInfo> {
        let after = self.blocks.partition_point(|b| b.first_version <= version);
        let b = self.blocks.get(after.checked_sub(1)?)?;
        (version <= b.last_version).then_some(b)
    }

    /// A block in the node's JSON shape (`Block` of aptos-core's `api/types/src/block.rs`),
    /// with its transactions when `with_transactions`.
    ///
    /// Errors: [`DevnetError::Ledger`] when the ledger cannot read its transactions back.
    pub fn block_json(&self, b: &BlockInfo, with_transactions: bool) -> Result<Block, DevnetError> {
        let transactions = if with_transactions {
            let len =
                usize::try_from(b.last_version.saturating_sub(b.first_version) + 1).unwrap_or(0);
            let values = self.transactions(b.first_version, len)?;
            let parsed: Result<Vec<Transaction>, _> =
                values.into_iter().map(Transaction::from_value).collect();
            Some(parsed.map_err(|e| DevnetError::Ledger(e.to_string()))?)
        } else {
            None
        };
        Ok(Block {
            block_height: b.height.to_string(),
            block_hash: b.hash.clone(),
            block_timestamp: b.timestamp_micros.to_string(),
            first_version: b.first_version.to_string(),
            last_version: b.last_version.to_string(),
            transactions,
        })
    }

    /// The committed user transactions `account` sent, from sequence number `start` (the
    /// latest `limit` without it), at most `limit`, in the node's JSON. As the node's
    /// `GET /accounts/{address}/transactions` (aptos-core `api/src/transactions.rs`,
    /// `get_accounts_transactions`): `start` is an account sequence number.
    pub fn account_transactions(
        &self,
        account: &AccountAddress,
        start: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Value>, DevnetError> {
        let Some(versions) = self.by_sender.get(account) else {
            return Ok(Vec::new());
        };
        let from = match start {
            Some(s) => usize::try_from(s).unwrap_or(usize::MAX).min(versions.len()),
            None => versions.len().saturating_sub(limit),
        };
        versions[from..]
            .iter()
            .take(limit)
            .filter_map(|v| self.transaction_value(*v).transpose())
            .collect()
    }
}
