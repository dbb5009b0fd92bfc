//! The single source of truth for what travels through the ComputeStream log.
//!
//! This crate owns:
//! - the [`Envelope`] every record carries (id, kind, schema version, source, chain version
//!   or stream second, occurred-at, aggregate key, payload) and its JSON wire form;
//! - every domain event ([`Event`]): on-chain events decoded by the indexer and off-chain
//!   events produced by executors, buyers and settlers;
//! - event identity ([`EventId`]): `(transaction version, event index)` for chain events,
//!   `(stream, second)` and friends for off-chain ones;
//! - the topic registry ([`topics`]): names, keys, partitions, retention;
//! - the x402 v2 wire types and the `batch-settlement` binding for Movement ([`x402`]);
//! - schema versions and the upcasters that lift old payloads to the current version
//!   ([`upcast`]);
//! - the Move package's ABI as the node serves it ([`move_abi`], `schemas/move-abi/`).
//!
//! The JSON Schema files under `schemas/json/` are generated from these types
//! (`cargo test -p computestream-schemas` fails when they drift;
//! `CS_UPDATE_SCHEMAS=1` rewrites them). The SQL migrations and the GraphQL SDL
//! live beside them under `schemas/`.
//!
//! Pure data: no I/O in this crate's dependency tree.

mod envelope;
mod error;
mod event_id;
pub mod events;
pub mod evidence;
mod json_schema;
pub mod move_abi;
pub mod sample;
pub mod topics;
pub mod upcast;
pub mod x402;

pub use envelope::{Envelope, Source};
pub use error::SchemaError;
pub use event_id::EventId;
pub use events::{Event, EventKind};
pub use json_schema::{canonical, generated_files};
