//! The pure ComputeStream domain: the rules of money, identity and settlement, with no I/O.
//!
//! This crate owns:
//! - [`Octas`]: integer money (1 MOVE = 10^8 octas), checked arithmetic, JSON as strings;
//! - [`AccountAddress`] and ed25519 key material ([`PublicKey`], [`Signature`]); Move type
//!   tags and aborts as the node prints them, parsed ([`StructTag`], [`MoveAbort`]);
//! - the exact, versioned, domain-separated byte layouts that are signed: the buyer's
//!   cumulative [`Voucher`] and the provider's hash-chained [`MeteringRecord`];
//! - stream accounting ([`StreamAccount`]), the voucher book a settler keeps ([`VoucherBook`]),
//!   the on-chain payout rule ([`settlement::payout`]), escrow conservation ([`EscrowLedger`])
//!   and the job status machine ([`JobStatus`]);
//! - the settler's decisions ([`SettlementDesk`]): what to redeem on chain, and when;
//! - the Move package's input rules ([`package_rules`]), shared by the devnet and the gateway;
//! - a job's evidence bundle and its verification for disputes ([`evidence`]).
//!
//! Functions here decide; the services execute. Nothing in this crate's dependency tree
//! does I/O (no tokio, sqlx, rdkafka, bollard, axum): CI checks that with `cargo tree`.

mod address;
mod bcs;
mod checked;
pub mod desk;
mod error;
mod escrow;
pub mod evidence;
mod hex_bytes;
mod job;
mod keys;
mod metering;
mod money;
mod move_type;
pub mod outputs_access;
pub mod package_rules;
pub mod settlement;
mod stream;
mod voucher;

pub use address::AccountAddress;
pub use bcs::BcsWriter;
pub use checked::SignatureChecked;
pub use desk::{
    DeskError, DeskPolicy, DeskTotals, Offered, PlannedRedemption, RedemptionKind, SettlementDesk,
    StreamTerms,
};
pub use error::DomainError;
pub use escrow::EscrowLedger;
pub use hex_bytes::push_prefixed_hex;
pub use job::{Actor, JobStatus};
pub use keys::{ed25519_authentication_key, PublicKey, Signature, SigningKey};
pub use metering::{
    GpuSample, MeteringChain, MeteringError, MeteringRecord, MeteringVerdict, RecordHash,
    SignedMeteringRecord, METERING_DOMAIN, METERING_GENESIS_HASH,
};
pub use money::Octas;
pub use move_type::{MoveAbort, StructTag, TypeTagError};
pub use stream::{StreamAccount, StreamStatus, VoucherOutcome};
pub use voucher::{
    SignedVoucher, Voucher, VoucherBook, VoucherContext, VoucherError, VOUCHER_DOMAIN,
};

/// The native coin of Movement: `0x1::aptos_coin::AptosCoin`, 8 decimals.
pub const NATIVE_COIN: &str = "0x1::aptos_coin::AptosCoin";
/// Octas in one MOVE.
pub const OCTAS_PER_MOVE: u64 = 100_000_000;
