//! The Movement node edge every chain-writing service shares: the node's REST API through
//! aptos-sdk ([`RestChain`]: ledger, sequence numbers, gas price, submission, committed
//! transactions with the package's payment events), signing entry-function calls of the
//! ComputeStream package ([`Account`]), and a one-call-at-a-time [`Caller`] for services
//! that send few transactions. Ports are owned by the consumers (the settler's
//! `SettlementChain`, the executor's `JobChain`); this crate is the adapter behind them.

mod account;
mod caller;
mod error;
mod rest_chain;
mod tls;
mod types;

pub use account::{parse_seed, Account, TxnTerms};
pub use caller::Caller;
pub use error::{vm_status, ChainError};
pub use rest_chain::RestChain;
pub use tls::install_tls_provider;
pub use types::{Committed, Ledger};
