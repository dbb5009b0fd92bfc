//! The settler: turns per-second x402 vouchers into few on-chain transactions.
//!
//! This crate owns:
//! - the settler service ([`Settler`]): reads its shard of the chain-event and metering
//!   topics (state rebuilt from the log on start), feeds the domain's
//!   [`computestream_domain::SettlementDesk`], and redeems what it plans with
//!   `payment_stream::settle_batch` (as many streams per transaction as fit) and
//!   `payment_stream::close_stream`;
//! - the [`SettlementChain`] port (what it needs from a node), implemented by the shared
//!   aptos-sdk REST adapter `computestream_chain::RestChain`;
//! - the submitter: sequence numbers, gas price, retries, confirmation, and the
//!   settlement topic's intent/outcome records;
//! - the x402 facilitator endpoints ([`facilitator`]);
//! - the close fence: a stream whose job ended is closed only once the vouchers stored
//!   before the job's end was read are read too.
//!
//! Exactly once by construction: vouchers are cumulative and the contract pays
//! `cumulative - already_paid`, so a crash before, during or after a submission can delay a
//! payment but never repeat or lose it (the state is rebuilt from the log on restart).

mod answers;
mod chain;
mod close_fence;
mod config;
mod error;
pub mod facilitator;
mod intake;
mod orphan_fence;
mod service;
mod state;
mod submitter;
mod telemetry;
mod transactions;

pub use chain::SettlementChain;
pub use computestream_chain::{Committed, Ledger, RestChain};
pub use config::SettlerConfig;
pub use error::{vm_status, ChainError, SettlerError};
pub use facilitator::Facilitator;
pub use service::{RunningSettler, Settler, INPUTS};
pub use state::SettlerState;
pub use transactions::{parse_seed, streams_per_transaction, SettlerAccount, TxnTerms};
