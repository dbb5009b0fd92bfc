use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The node's error body: `{message, error_code, vm_error_code}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub message: String,
    pub error_code: String,
    pub vm_error_code: Option<u64>,
}

impl ApiError {
    pub fn new(error_code: &str, message: impl Into<String>) -> Self {
        ApiError {
            message: message.into(),
            error_code: error_code.to_owned(),
            vm_error_code: None,
        }
    }
}

/// A node response that does not have the documented shape.
#[derive(Debug, Error)]
pub enum NodeApiError {
    #[error("node response is not valid JSON of the expected shape: {0}")]
    Shape(String),
    #[error("transaction has unknown type {0:?}")]
    UnknownType(String),
    #[error("field {field} has invalid value {value:?}")]
    BadField { field: &'static str, value: String },
}

impl NodeApiError {
    /// A malformed response may be a transient proxy fault; the caller decides how often to
    /// retry, but the same bytes never parse.
    pub fn is_retryable(&self) -> bool {
        false
    }
}
