//! The JSON shapes of the Aptos node REST API (`/v1`) that ComputeStream uses, as one set of
//! types: the devnet serializes them and the indexer parses them, and the real node's
//! responses (`shared/fixtures/aptos-rest/`) deserialize into them (tested).
//!
//! u64 and u128 values are JSON strings, as on the node. Hash fields are strings that may be
//! empty (the node's golden files blank them). Transactions are told apart by their `type`
//! field; they are parsed through `serde_json::Value` rather than an internally tagged enum,
//! so parsing stays correct when `serde_json/arbitrary_precision` is on in the build (it is,
//! through `aptos-sdk`).

mod block;
mod error;
mod module;
mod transaction;

pub use block::Block;
pub use error::{ApiError, NodeApiError};
pub use module::{
    MoveFunction, MoveFunctionGenericTypeParam, MoveModule, MoveModuleBytecode, MoveStruct,
    MoveStructField, MoveStructGenericTypeParam,
};
pub use transaction::{
    BlockMetadataTransaction, EntryFunctionPayload, Event, EventGuid, PendingTransaction,
    StateCheckpointTransaction, Transaction, TransactionSignature, UserTransaction,
};

use serde::{Deserialize, Serialize};

/// `GET /v1`: ledger information.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerInfo {
    pub chain_id: u8,
    pub epoch: String,
    pub ledger_version: String,
    pub oldest_ledger_version: String,
    /// Microseconds since the Unix epoch.
    pub ledger_timestamp: String,
    pub node_role: String,
    pub oldest_block_height: String,
    pub block_height: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_hash: Option<String>,
}

/// `GET /v1/accounts/{address}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountData {
    pub sequence_number: String,
    pub authentication_key: String,
}

/// Parses a decimal u64 carried as a JSON string.
pub fn parse_u64(field: &'static str, s: &str) -> Result<u64, NodeApiError> {
    s.parse().map_err(|_| NodeApiError::BadField {
        field,
        value: s.to_owned(),
    })
}

/// The `X-Aptos-*` response headers every node answer carries.
pub mod headers {
    pub const CHAIN_ID: &str = "x-aptos-chain-id";
    pub const LEDGER_VERSION: &str = "x-aptos-ledger-version";
    pub const LEDGER_OLDEST_VERSION: &str = "x-aptos-ledger-oldest-version";
    pub const LEDGER_TIMESTAMP: &str = "x-aptos-ledger-timestampusec";
    pub const EPOCH: &str = "x-aptos-epoch";
    pub const BLOCK_HEIGHT: &str = "x-aptos-block-height";
    pub const OLDEST_BLOCK_HEIGHT: &str = "x-aptos-oldest-block-height";
    /// Content type of BCS-encoded signed transactions.
    pub const BCS_SIGNED_TRANSACTION: &str = "application/x.aptos.signed_transaction+bcs";
    /// Content type of a BCS-encoded view function call (`POST /v1/view`).
    pub const BCS_VIEW_FUNCTION: &str = "application/x.aptos.view_function+bcs";
    /// Gas units a simulation or view used (set on `/transactions/simulate` and `/view`).
    pub const GAS_USED: &str = "x-aptos-gas-used";
    /// The start of the next page of a paginated list; absent on the last page.
    pub const CURSOR: &str = "x-aptos-cursor";
}
