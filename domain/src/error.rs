use thiserror::Error;

/// Errors of the domain rules. Every one of them is a fact about the input, so none is
/// retryable: retrying the same input gives the same answer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// Integer money overflowed `u64` octas.
    #[error("amount overflow: {0}")]
    AmountOverflow(&'static str),
    /// A release or refund would take more than is locked in escrow.
    #[error("escrow has {locked} octas locked, cannot take {requested}")]
    InsufficientEscrow { locked: u64, requested: u64 },
    /// An account address was not 1..=64 hex digits with an optional `0x`.
    #[error("invalid account address {0:?}")]
    InvalidAddress(String),
    /// An amount string was not a canonical decimal `u64`.
    #[error("invalid amount {0:?}: expected a decimal string of octas that fits in u64")]
    InvalidAmount(String),
    /// Hex key or signature material of the wrong length or alphabet.
    #[error("invalid {what}: {reason}")]
    InvalidKeyMaterial { what: &'static str, reason: String },
    /// A job status change that the actor may not make.
    #[error("job status {from:?} -> {to:?} is not allowed for {actor:?}")]
    IllegalTransition {
        from: crate::JobStatus,
        to: crate::JobStatus,
        actor: crate::Actor,
    },
    /// A job status code outside 0..=4.
    #[error("unknown job status code {0}")]
    UnknownStatus(u8),
    /// A job status name that is not one of `JobStatus::as_str`.
    #[error("unknown job status {0:?}")]
    UnknownStatusName(String),
    /// The stream is closed: nothing more accrues or settles.
    #[error("stream {0} is closed")]
    StreamClosed(u64),
}

impl DomainError {
    /// Domain errors describe the input; retrying cannot help.
    pub fn is_retryable(&self) -> bool {
        false
    }
}
