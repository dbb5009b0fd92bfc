use thiserror::Error;

/// What a Movement node reports to a client that submits and reads transactions.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChainError {
    /// The node refused the transaction at admission (mempool/prologue), with the node's
    /// `vm_error_code` when it gave one. The transaction will never commit.
    #[error("transaction rejected: {message} (vm_error_code {vm_error_code:?})")]
    Rejected {
        vm_error_code: Option<u64>,
        message: String,
    },
    /// The node could not be reached or failed (5xx, connection refused, rate limited).
    #[error("node unavailable: {0}")]
    Unavailable(String),
    /// No answer in time.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The node answered something this client does not understand.
    #[error("malformed node response: {0}")]
    Malformed(String),
    /// A key that is not an ed25519 private key.
    #[error("key: {0}")]
    Key(String),
    /// A transaction that cannot be built (bad module name, BCS).
    #[error("building a transaction: {0}")]
    Build(String),
}

/// Aptos `StatusCode`s the settler reacts to.
pub mod vm_status {
    pub const SEQUENCE_NUMBER_TOO_OLD: u64 = 3;
    pub const SEQUENCE_NUMBER_TOO_NEW: u64 = 4;
    pub const INSUFFICIENT_BALANCE_FOR_TRANSACTION_FEE: u64 = 5;
    pub const TRANSACTION_EXPIRED: u64 = 6;
}

impl ChainError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, ChainError::Unavailable(_) | ChainError::Timeout(_))
    }

    /// The rejection means the settler's idea of its sequence number is wrong.
    pub fn is_sequence_problem(&self) -> bool {
        matches!(
            self,
            ChainError::Rejected {
                vm_error_code: Some(
                    vm_status::SEQUENCE_NUMBER_TOO_OLD | vm_status::SEQUENCE_NUMBER_TOO_NEW
                ),
                ..
            }
        )
    }
}
