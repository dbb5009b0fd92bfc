use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use thiserror::Error;

/// Errors talking to the broker.
#[derive(Debug, Error)]
pub enum EventLogError {
    #[error("kafka client setup: {0}")]
    Setup(String),
    #[error("kafka {op}: {source}")]
    Kafka {
        op: &'static str,
        #[source]
        source: KafkaError,
    },
    #[error("topic {topic}: {reason}")]
    Topic { topic: String, reason: String },
    /// Partitions still to be read delivered nothing for too long
    /// ([`crate::tails::CatchUp::check_progress`]): read again with a new consumer.
    #[error("reading the log stalled: {0}")]
    Stalled(String),
}

impl EventLogError {
    pub(crate) fn kafka(op: &'static str, source: KafkaError) -> Self {
        EventLogError::Kafka { op, source }
    }

    /// The topic or partition does not exist (yet).
    pub fn is_unknown_topic(&self) -> bool {
        match self {
            EventLogError::Kafka { source, .. } => matches!(
                source.rdkafka_error_code(),
                Some(
                    RDKafkaErrorCode::UnknownPartition
                        | RDKafkaErrorCode::UnknownTopicOrPartition
                        | RDKafkaErrorCode::UnknownTopic
                )
            ),
            _ => false,
        }
    }

    /// Whether trying again later can succeed (broker down, timeouts, leader changes), as
    /// opposed to a configuration or authorization problem that needs an operator.
    pub fn is_retryable(&self) -> bool {
        match self {
            EventLogError::Setup(_) => false,
            EventLogError::Topic { .. } => false,
            EventLogError::Stalled(_) => true,
            EventLogError::Kafka { source, .. } => !matches!(
                source.rdkafka_error_code(),
                Some(
                    RDKafkaErrorCode::TopicAuthorizationFailed
                        | RDKafkaErrorCode::ClusterAuthorizationFailed
                        | RDKafkaErrorCode::GroupAuthorizationFailed
                        | RDKafkaErrorCode::MessageSizeTooLarge
                        | RDKafkaErrorCode::InvalidConfig
                        | RDKafkaErrorCode::UnsupportedVersion
                )
            ),
        }
    }
}
