//! `GET /v1/blocks/by_height/{h}` and `/v1/blocks/by_version/{v}`: a block, in the node's JSON
//! shape (`Block` of aptos-core's `api/types/src/block.rs`).

use serde::{Deserialize, Serialize};

use crate::Transaction;

/// A block: its height, hash (the block metadata transaction's `id`), timestamp
/// (microseconds) and the inclusive range of versions it holds; `transactions` only when asked
/// for with `with_transactions=true` (absent from the JSON otherwise, as on the node).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub block_height: String,
    pub block_hash: String,
    pub block_timestamp: String,
    pub first_version: String,
    pub last_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transactions: Option<Vec<Transaction>>,
}
