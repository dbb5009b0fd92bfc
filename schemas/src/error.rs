use thiserror::Error;

/// Why a record from the log could not be read as an [`crate::Envelope`].
///
/// None of these is retryable: the bytes will not change. Consumers send such records to the
/// dead-letter topic with this error's text as the reason and move on.
#[derive(Debug, Error)]
pub enum SchemaError {
    #[error("record is not a JSON envelope: {0}")]
    Malformed(String),
    #[error("unknown event kind {0:?}")]
    UnknownKind(String),
    #[error("{kind} schema version {version} is newer than this build understands (max {max})")]
    FutureVersion {
        kind: String,
        version: u16,
        max: u16,
    },
    #[error("{kind} schema version {version} has no upcaster")]
    NoUpcaster { kind: String, version: u16 },
    #[error("{kind} v{version} payload does not match its schema: {reason}")]
    BadPayload {
        kind: String,
        version: u16,
        reason: String,
    },
    #[error("envelope id {id:?} does not match its payload (expected {expected:?})")]
    IdMismatch { id: String, expected: String },
}

impl SchemaError {
    /// Schema errors are facts about the bytes; retrying cannot help.
    pub fn is_retryable(&self) -> bool {
        false
    }
}
