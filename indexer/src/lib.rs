//! `computestream index`: committed transactions of a Movement node (mainnet, Bardock
//! testnet or the local devnet) into the chain-event topic, exactly once and resumable.
//!
//! - [`ChainSource`] is the port the indexer owns; [`RestSource`] implements it with
//!   aptos-sdk's REST client (`GET /v1`, `GET /v1/transactions`), mapping rate limits,
//!   timeouts, restarts and pruning to typed, retryable-or-fatal errors.
//! - [`decode`] turns the package's v2 module events (and the coin events of escrow
//!   transactions) into `schemas` events keyed by `(version, event index)`; anything of the
//!   package it cannot read goes to the dead-letter topic with the raw JSON and the reason.
//! - [`run`] fetches pages concurrently, emits them in version order, produces through the
//!   idempotent producer and writes a checkpoint after each acknowledged batch; on start it
//!   resumes from the checkpoint and skips the events the log already holds past it.

mod config;
pub mod decode;
mod error;
pub mod progress;
mod rest_source;
mod run;
mod source;

pub use config::IndexerConfig;
pub use error::IndexerError;
pub use progress::Checkpoint;
pub use rest_source::RestSource;
pub use run::{run, start_version, FromVersion, Indexer};
pub use source::{ChainSource, LedgerHead, SourceError};
