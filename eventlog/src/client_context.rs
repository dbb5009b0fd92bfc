//! Where librdkafka's own log lines and error callbacks go: into `tracing`, with the broker's
//! connection failures (refused, reset, all brokers down) at debug level. Every client
//! reports those, one or more lines each, whenever the broker goes away; the service's
//! broker probe (`computestream_runtime::dependency::watch`) logs the outage once instead.
//! Anything else keeps librdkafka's severity.

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// The context of every client this crate creates.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogContext;

/// Whether an error code means only that the broker cannot be reached.
fn is_connection_failure(code: Option<RDKafkaErrorCode>) -> bool {
    matches!(
        code,
        Some(
            RDKafkaErrorCode::BrokerTransportFailure
                | RDKafkaErrorCode::AllBrokersDown
                | RDKafkaErrorCode::Resolve
                | RDKafkaErrorCode::OperationTimedOut
        )
    )
}

/// Whether a librdkafka log line reports a broker connection failing (facility `FAIL`, or
/// a connect or disconnect message).
fn is_connection_log(fac: &str, message: &str) -> bool {
    fac == "FAIL"
        || message.contains("Connect to ")
        || message.contains("Disconnected")
        || message.contains("brokers are down")
}

impl ClientContext for LogContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        if is_connection_log(fac, message) {
            tracing::debug!(target: "librdkafka", fac, "{message}");
            return;
        }
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error => tracing::error!(target: "librdkafka", fac, "{message}"),
            RDKafkaLogLevel::Warning => tracing::warn!(target: "librdkafka", fac, "{message}"),
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::info!(target: "librdkafka", fac, "{message}")
            }
            RDKafkaLogLevel::Debug => tracing::debug!(target: "librdkafka", fac, "{message}"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if is_connection_failure(error.rdkafka_error_code()) {
            tracing::debug!(target: "librdkafka", %error, "{reason}");
        } else {
            tracing::error!(target: "librdkafka", %error, "{reason}");
        }
    }
}

impl ConsumerContext for LogContext {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_are_told_apart_from_other_errors() {
        assert!(is_connection_failure(Some(
            RDKafkaErrorCode::AllBrokersDown
        )));
        assert!(is_connection_failure(Some(
            RDKafkaErrorCode::BrokerTransportFailure
        )));
        assert!(!is_connection_failure(Some(
            RDKafkaErrorCode::TopicAuthorizationFailed
        )));
        assert!(!is_connection_failure(None));
        assert!(is_connection_log(
            "FAIL",
            "127.0.0.1:9093/bootstrap: Connect to ipv4#127.0.0.1:9093 failed: Connection refused"
        ));
        assert!(!is_connection_log(
            "CONFWARN",
            "Configuration property x is deprecated"
        ));
    }
}
