//! Events produced off chain: by executors, buyers (through the executor's x402 endpoint)
//! and settlers.

use computestream_domain::{AccountAddress, Octas, SignedMeteringRecord, SignedVoucher};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One second of service, signed by the provider and hash-chained to the previous second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MeteringTick {
    pub record: SignedMeteringRecord,
}

/// A buyer's cumulative voucher, verified by the executor that received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VoucherReceived {
    pub voucher: SignedVoucher,
    /// The stream second this voucher pays through (`cumulative / rate`), for read models.
    pub second: u64,
    /// The commitment id returned to the buyer in `PAYMENT-RESPONSE`.
    pub commitment_id: String,
}

/// "This provider is alive." Keeps a provider listed as available.
///
/// v1 had no `running_jobs` (the upcaster sets 0); v2 had no `endpoint` (none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderHeartbeat {
    pub provider: AccountAddress,
    pub at_ms: u64,
    pub available: bool,
    pub running_jobs: u32,
    /// The provider's x402 endpoint as buyers reach it (`executor.public_url`, an http(s)
    /// base URL: buyers call `GET {endpoint}/jobs/{id}`); none when not announced.
    #[serde(default)]
    pub endpoint: Option<String>,
}

/// One stream's part of a settlement batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SettlementItem {
    pub stream_id: u64,
    pub cumulative_amount: Octas,
}

/// A settler signed and submitted a batch transaction (the intent, before it is known to
/// have committed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SettlementSubmitted {
    pub batch_id: String,
    pub settler: AccountAddress,
    pub sequence_number: u64,
    pub transaction_hash: String,
    pub items: Vec<SettlementItem>,
    /// Streams closed by this transaction (`close_stream`), if any.
    pub closes: Vec<u64>,
}

/// A stream's payment as the committed transaction's `StreamSettled` event reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SettledItem {
    pub stream_id: u64,
    pub paid_now: Octas,
    pub paid_total: Octas,
}

/// The batch transaction committed successfully at `version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SettlementConfirmed {
    pub batch_id: String,
    pub transaction_hash: String,
    pub version: u64,
    pub gas_used: u64,
    pub paid: Vec<SettledItem>,
}

/// The batch did not commit (or committed with `success: false`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SettlementFailed {
    pub batch_id: String,
    pub transaction_hash: Option<String>,
    pub reason: String,
    /// Whether the settler will try these streams again.
    pub retryable: bool,
}
