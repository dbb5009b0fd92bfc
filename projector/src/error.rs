use thiserror::Error;

/// Errors of the Postgres store.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("migration failed: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("postgres: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0} does not fit its read-model column (the record is dead-lettered)")]
    OutOfRange(&'static str),
    #[error("event log: {0}")]
    Log(#[from] computestream_eventlog::EventLogError),
    #[error("invalid schema name {0:?}: lower-case letters, digits and _ only")]
    BadSchema(String),
    #[error("replay verification failed: {0}")]
    Verify(String),
    /// The log holds less than the live read models applied (replay and rewind refuse it
    /// unless the operator accepts the loss): one line per thing missing.
    #[error("refused: the log holds less than the live read models applied:\n  {}\n(pass --accept-loss to proceed anyway)", .0.join("\n  "))]
    LogShort(Vec<String>),
    #[error("offset {offset} for {topic}/{partition} is not a valid next offset")]
    BadOffset {
        topic: String,
        partition: i32,
        offset: i64,
    },
}

impl StoreError {
    /// Connection loss, pool timeouts and serialization failures are worth retrying;
    /// constraint violations and migration conflicts are not.
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Migrate(_)
            | StoreError::BadOffset { .. }
            | StoreError::OutOfRange(_)
            | StoreError::BadSchema(_)
            | StoreError::Verify(_)
            | StoreError::LogShort(_) => false,
            StoreError::Log(e) => e.is_retryable(),
            StoreError::Db(e) => match e {
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
                sqlx::Error::Database(db) => {
                    matches!(db.code().as_deref(), Some("40001" | "40P01" | "57P01"))
                }
                _ => false,
            },
        }
    }
}
