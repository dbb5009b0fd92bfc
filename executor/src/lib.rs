//! The executor: the provider agent that runs jobs in sandboxed containers, meters every
//! second, and takes x402 vouchers.
//!
//! This crate owns:
//! - the executor service ([`Executor`]): its state ([`ExecutorState`]) rebuilt from the log on every start,
//!   reconciliation with the engine's containers (re-adopt, remove, fail orphans), one task
//!   per job ([`supervisor`]);
//! - the sandbox decision ([`sandbox`]) and the [`ContainerRuntime`] port with its Docker
//!   adapter ([`DockerRuntime`], bollard);
//! - the [`JobChain`] port (status transactions), implemented by the shared
//!   `computestream_chain::Caller`;
//! - per-second metering records, signed and hash-chained, into the metering topic;
//! - the buyer's x402 endpoint ([`x402_http`]) with its [`PaymentBook`], and the buyer
//!   client ([`Buyer`]);
//! - outputs stored content-addressed ([`ArtifactStore`], IPFS CIDv1 raw sha2-256).

pub mod artifacts;
mod buyer;
mod chain;
pub mod cid;
mod config;
pub mod container;
mod docker;
mod error;
pub mod outputs_http;
pub mod outputs_quota;
mod payment_judge;
mod payments;
mod recovery;
pub mod sandbox;
mod service;
mod state;
pub mod supervisor;
pub mod x402_http;

pub use artifacts::ArtifactStore;
pub use buyer::{Buyer, BuyerError, Paid, Payment, DEFAULT_LEAD_SECS};
pub use chain::{Evidence, JobChain, Outcome};
pub use config::{ExecutorConfig, S3Config, SandboxPolicy};
pub use container::ContainerRuntime;
pub use docker::{create_body, DockerRuntime};
pub use error::ExecutorError;
pub use payments::PaymentBook;
pub use service::{Executor, RunningExecutor};
pub use state::{ExecutorState, JobView};
