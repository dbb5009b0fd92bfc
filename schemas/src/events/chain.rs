//! Events of the Move package `computestream`, as the indexer decodes them.
//! Field names follow the Move `#[event]` structs; amounts are octas.

use computestream_domain::{AccountAddress, JobStatus, Octas, PublicKey, RecordHash};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `provider_registry::ProviderRegistered`: a provider listed its GPU and locked its stake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderRegistered {
    pub provider: AccountAddress,
    pub gpu_type: String,
    pub vram_gb: u32,
    pub price_per_second: Octas,
    pub stake: Octas,
}

/// `provider_registry::PriceUpdated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderPriceUpdated {
    pub provider: AccountAddress,
    pub price_per_second: Octas,
}

/// `provider_registry::AvailabilityUpdated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderAvailabilityUpdated {
    pub provider: AccountAddress,
    pub is_active: bool,
}

/// `provider_registry::Staked`: stake added (registration stakes too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderStaked {
    pub provider: AccountAddress,
    pub amount: Octas,
    pub total_stake: Octas,
}

/// `provider_registry::Unstaked`: the provider withdrew its stake and left the market.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderUnstaked {
    pub provider: AccountAddress,
    pub amount: Octas,
}

/// `job_registry::JobCreated`: a job exists, funded and with its stream open (the same
/// transaction also emits `EscrowDeposited` and `StreamOpened`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct JobCreated {
    pub job_id: u64,
    pub buyer: AccountAddress,
    pub provider: AccountAddress,
    pub docker_image: String,
    pub max_duration_secs: u64,
    pub escrow_amount: Octas,
    pub price_per_second: Octas,
}

/// `job_registry::EvidenceCommitted`: when a job ended, its provider committed the head of its
/// metering chain (SHA3-256 of the last record) and the number of seconds metered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct JobEvidenceCommitted {
    pub job_id: u64,
    pub provider: AccountAddress,
    pub metering_head: RecordHash,
    pub metered_seconds: u64,
}

/// `job_registry::JobStatusChanged`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct JobStatusChanged {
    pub job_id: u64,
    pub from: JobStatus,
    pub to: JobStatus,
    /// Who made the change (the provider or the buyer).
    pub actor: AccountAddress,
    /// The exit code `report_outcome` recorded (any u64 the provider sent, kept exactly).
    pub exit_code: Option<u64>,
    /// Human-readable reason for failures and cancellations; empty otherwise.
    pub reason: String,
    /// Where the outputs are stored, when the job completed with outputs.
    pub output_url: Option<String>,
    /// IPFS CIDv1 (raw, sha2-256) of the outputs.
    pub output_cid: Option<String>,
}

/// `escrow::Deposited`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EscrowDeposited {
    pub job_id: u64,
    pub buyer: AccountAddress,
    pub amount: Octas,
    pub total_deposited: Octas,
}

/// `escrow::Released`: paid from escrow to the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EscrowReleased {
    pub job_id: u64,
    pub provider: AccountAddress,
    pub amount: Octas,
    pub total_released: Octas,
}

/// `escrow::Refunded`: returned from escrow to the buyer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EscrowRefunded {
    pub job_id: u64,
    pub buyer: AccountAddress,
    pub amount: Octas,
}

/// `payment_stream::StreamOpened`. The stream id is the job id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StreamOpened {
    pub stream_id: u64,
    pub buyer: AccountAddress,
    pub provider: AccountAddress,
    /// The voucher key: the ed25519 key this stream's vouchers must be signed with, named by
    /// the buyer in `create_job` (its account's key or a per-job session key; the package
    /// checks only that it is a valid key). The Move field keeps its original name.
    pub buyer_public_key: PublicKey,
    pub rate_per_second: Octas,
    pub escrow: Octas,
}

/// `payment_stream::StreamSettled`: a voucher was redeemed in a batch.
/// `paid_now` is zero for a stale or repeated voucher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StreamSettled {
    pub stream_id: u64,
    pub cumulative_amount: Octas,
    pub paid_now: Octas,
    pub paid_total: Octas,
}

/// `payment_stream::StreamClosed`: final payment made and the rest refunded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StreamClosed {
    pub stream_id: u64,
    pub final_payment: Octas,
    pub paid_total: Octas,
    pub refunded: Octas,
}

/// `payment_stream::VoucherRejected`: a voucher in a batch was not redeemed (unknown stream
/// 1, closed stream 2, bad signature 3); the batch went on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VoucherRejected {
    pub stream_id: u64,
    pub cumulative_amount: Octas,
    pub reason: u8,
}

/// A native coin withdrawal or deposit (`0x1::coin::CoinWithdraw` / `CoinDeposit`) in a
/// transaction that moved escrow funds of job `job_id`: the money side of escrow events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EscrowCoinMoved {
    pub job_id: u64,
    pub account: AccountAddress,
    /// `withdraw` or `deposit`.
    pub direction: CoinDirection,
    pub amount: Octas,
    pub coin_type: String,
}

/// Which way a coin event moved value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CoinDirection {
    Withdraw,
    Deposit,
}
