//! The ComputeStream devnet: a local chain for development, tests, demos and benchmarks,
//! because no Movement node can run on these machines.
//!
//! - [`vm`]: executes the Move package's entry functions (and the framework subset the
//!   engine uses) with the package's exact checks, abort codes and events. Pure.
//! - [`node`]: mempool admission of real BCS-signed transactions (ed25519 signature, chain
//!   id, sequence number, expiry, gas, size), blocks, execution, the committed ledger.
//! - [`server`]: the Aptos node REST API subset the engine, the official TypeScript SDK and
//!   wallets use (ledger, transactions with simulation and `wait_by_hash`, accounts, resources,
//!   balances, module ABIs, blocks, views) in the node's real JSON shapes
//!   (`computestream-nodeapi`), and the faucet (`/fund`, `/mint`); the list is in
//!   `devnet/README.md`.
//! - journal: optional persistence; a restart replays the ledger exactly.

pub mod abi;
mod config;
mod devnet;
pub mod driver;
mod error;
mod journal;
pub mod load;
pub mod node;
pub mod paying;
pub mod scenario;
pub mod server;
mod service;
pub mod vm;

pub use config::{ChainIdentity, DevnetConfig, LOCAL_PACKAGE};
pub use devnet::{Devnet, SubmitError, FAUCET_MAX, ROOT_BALANCE};
pub use error::DevnetError;
pub use service::{serve, start, Running};
