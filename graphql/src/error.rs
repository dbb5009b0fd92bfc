use thiserror::Error;

/// Errors of the gateway. Resolvers turn them into GraphQL errors with a `code` extension;
/// none becomes an HTTP 500.
#[derive(Debug, Error)]
pub enum GatewayError {
    #[error("database: {0}")]
    Database(String),
    #[error("bad input: {0}")]
    BadInput(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("sign in first (Authorization: Bearer <session>)")]
    Unauthenticated,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("rate limited: {0}")]
    RateLimited(String),
    #[error("chain: {0}")]
    Chain(#[from] computestream_chain::ChainError),
    #[error(transparent)]
    Log(#[from] computestream_eventlog::EventLogError),
    #[error("listen: {0}")]
    Listen(std::io::Error),
    #[error("configuration: {0}")]
    Config(String),
}

impl From<computestream_domain::package_rules::PackageRule> for GatewayError {
    /// An argument the package would abort on (`{module}::{E_NAME}`), refused before signing.
    fn from(rule: computestream_domain::package_rules::PackageRule) -> Self {
        GatewayError::BadInput(format!("the package would abort with {rule}"))
    }
}

impl GatewayError {
    pub fn is_retryable(&self) -> bool {
        match self {
            GatewayError::Database(_) | GatewayError::Listen(_) => true,
            GatewayError::Chain(c) => c.is_retryable(),
            GatewayError::Log(l) => l.is_retryable(),
            _ => false,
        }
    }

    /// The `code` a client sees.
    pub fn code(&self) -> &'static str {
        match self {
            GatewayError::BadInput(_) => "BAD_USER_INPUT",
            GatewayError::NotFound(_) => "NOT_FOUND",
            GatewayError::Unauthenticated => "UNAUTHENTICATED",
            GatewayError::Forbidden(_) => "FORBIDDEN",
            GatewayError::RateLimited(_) => "RATE_LIMITED",
            GatewayError::Chain(computestream_chain::ChainError::Rejected { .. }) => {
                "TRANSACTION_REJECTED"
            }
            _ => "INTERNAL",
        }
    }
}

impl async_graphql::ErrorExtensions for GatewayError {
    fn extend(&self) -> async_graphql::Error {
        let code = self.code();
        let message = match self {
            // Internal details stay in the log.
            GatewayError::Database(_) | GatewayError::Log(_) | GatewayError::Listen(_) => {
                tracing::warn!(error = %self, "gateway error");
                "internal error".to_owned()
            }
            _ => self.to_string(),
        };
        async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", code))
    }
}

/// `?` for resolvers: a gateway error becomes a GraphQL error with its `code`.
pub trait Gql<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> Gql<T> for Result<T, GatewayError> {
    fn gql(self) -> async_graphql::Result<T> {
        use async_graphql::ErrorExtensions;
        self.map_err(|e| e.extend())
    }
}
