use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::NodeApiError;

/// An event as the node prints it. Module events (v2) have the zero GUID and sequence
/// number 0; their identity is (transaction version, index in `events`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub guid: EventGuid,
    pub sequence_number: String,
    /// Fully qualified struct tag, e.g. `0x...::escrow::Deposited`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The event struct as Move JSON (u64 as strings, u8 as numbers, vector<u8> as hex).
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventGuid {
    pub creation_number: String,
    pub account_address: String,
}

impl EventGuid {
    /// The placeholder GUID of v2 module events.
    pub fn module_event() -> Self {
        EventGuid {
            creation_number: "0".into(),
            account_address: "0x0".into(),
        }
    }
}

/// `payload` of an entry function call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryFunctionPayload {
    /// `address::module::function`.
    pub function: String,
    pub type_arguments: Vec<String>,
    /// Arguments as Move JSON.
    pub arguments: Vec<serde_json::Value>,
    /// Always `entry_function_payload`.
    #[serde(rename = "type")]
    pub type_: String,
}

/// `signature` of a single-key ed25519 user transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionSignature {
    pub public_key: String,
    pub signature: String,
    /// `ed25519_signature`.
    #[serde(rename = "type")]
    pub type_: String,
}

/// A committed user transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserTransaction {
    pub version: String,
    pub hash: String,
    pub state_change_hash: String,
    pub event_root_hash: String,
    pub state_checkpoint_hash: Option<String>,
    pub gas_used: String,
    pub success: bool,
    pub vm_status: String,
    pub accumulator_root_hash: String,
    pub changes: Vec<serde_json::Value>,
    pub sender: String,
    pub sequence_number: String,
    pub max_gas_amount: String,
    pub gas_unit_price: String,
    pub expiration_timestamp_secs: String,
    /// Entry function payloads parse into [`EntryFunctionPayload`]; others stay JSON.
    pub payload: serde_json::Value,
    pub signature: Option<serde_json::Value>,
    #[serde(default)]
    pub replay_protection_nonce: Option<String>,
    pub events: Vec<Event>,
    /// Microseconds since the Unix epoch.
    pub timestamp: String,
}

/// The first transaction of every block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockMetadataTransaction {
    pub version: String,
    pub hash: String,
    pub state_change_hash: String,
    pub event_root_hash: String,
    pub state_checkpoint_hash: Option<String>,
    pub gas_used: String,
    pub success: bool,
    pub vm_status: String,
    pub accumulator_root_hash: String,
    pub changes: Vec<serde_json::Value>,
    pub id: String,
    pub epoch: String,
    pub round: String,
    pub events: Vec<Event>,
    pub previous_block_votes_bitvec: Vec<serde_json::Value>,
    pub proposer: String,
    pub failed_proposer_indices: Vec<serde_json::Value>,
    pub timestamp: String,
}

/// The last transaction of every block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCheckpointTransaction {
    pub version: String,
    pub hash: String,
    pub state_change_hash: String,
    pub event_root_hash: String,
    pub state_checkpoint_hash: Option<String>,
    pub gas_used: String,
    pub success: bool,
    pub vm_status: String,
    pub accumulator_root_hash: String,
    pub changes: Vec<serde_json::Value>,
    pub timestamp: String,
}

/// A submitted, not yet committed transaction (`POST /transactions` answer and
/// `GET /transactions/by_hash` before commit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingTransaction {
    pub hash: String,
    pub sender: String,
    pub sequence_number: String,
    pub max_gas_amount: String,
    pub gas_unit_price: String,
    pub expiration_timestamp_secs: String,
    pub payload: serde_json::Value,
    pub signature: Option<serde_json::Value>,
}

/// One element of `GET /transactions`, `by_version` or `by_hash`, by its `type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transaction {
    User(UserTransaction),
    BlockMetadata(BlockMetadataTransaction),
    StateCheckpoint(StateCheckpointTransaction),
    Pending(PendingTransaction),
    /// Types ComputeStream does not read (genesis, validator, block epilogue): kept as JSON
    /// with their version, so a page stays gapless.
    Other {
        type_: String,
        version: Option<String>,
        raw: serde_json::Value,
    },
}

impl Transaction {
    pub const USER: &'static str = "user_transaction";
    pub const BLOCK_METADATA: &'static str = "block_metadata_transaction";
    pub const STATE_CHECKPOINT: &'static str = "state_checkpoint_transaction";
    pub const PENDING: &'static str = "pending_transaction";

    /// The committed version; `None` for a pending transaction.
    pub fn version(&self) -> Option<&str> {
        match self {
            Transaction::User(t) => Some(&t.version),
            Transaction::BlockMetadata(t) => Some(&t.version),
            Transaction::StateCheckpoint(t) => Some(&t.version),
            Transaction::Pending(_) => None,
            Transaction::Other { version, .. } => version.as_deref(),
        }
    }

    /// Parses one transaction from JSON.
    pub fn from_value(v: serde_json::Value) -> Result<Self, NodeApiError> {
        let type_ = v
            .get("type")
            .and_then(|t| t.as_str())
            .ok_or_else(|| NodeApiError::Shape("transaction without a string `type`".into()))?
            .to_owned();
        let shape = |e: serde_json::Error| NodeApiError::Shape(format!("{type_}: {e}"));
        Ok(match type_.as_str() {
            Self::USER => Transaction::User(serde_json::from_value(v).map_err(shape)?),
            Self::BLOCK_METADATA => {
                Transaction::BlockMetadata(serde_json::from_value(v).map_err(shape)?)
            }
            Self::STATE_CHECKPOINT => {
                Transaction::StateCheckpoint(serde_json::from_value(v).map_err(shape)?)
            }
            Self::PENDING => Transaction::Pending(serde_json::from_value(v).map_err(shape)?),
            _ => Transaction::Other {
                version: v.get("version").and_then(|x| x.as_str()).map(str::to_owned),
                type_,
                raw: v,
            },
        })
    }

    /// The node's JSON, `type` included.
    pub fn to_value(&self) -> serde_json::Value {
        let (type_, v) = match self {
            Transaction::User(t) => (Self::USER, serde_json::to_value(t)),
            Transaction::BlockMetadata(t) => (Self::BLOCK_METADATA, serde_json::to_value(t)),
            Transaction::StateCheckpoint(t) => (Self::STATE_CHECKPOINT, serde_json::to_value(t)),
            Transaction::Pending(t) => (Self::PENDING, serde_json::to_value(t)),
            Transaction::Other { raw, .. } => return raw.clone(),
        };
        let mut v = v.unwrap_or(serde_json::Value::Null);
        if let Some(obj) = v.as_object_mut() {
            obj.insert("type".into(), type_.into());
        }
        v
    }

    /// Parses a page (`GET /transactions`).
    pub fn page_from_slice(bytes: &[u8]) -> Result<Vec<Self>, NodeApiError> {
        let values: Vec<serde_json::Value> =
            serde_json::from_slice(bytes).map_err(|e| NodeApiError::Shape(e.to_string()))?;
        values.into_iter().map(Self::from_value).collect()
    }
}

impl Serialize for Transaction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Transaction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Transaction::from_value(v).map_err(serde::de::Error::custom)
    }
}
