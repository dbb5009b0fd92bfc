//! The Kafka edge of the event log. Services own the ports (traits) they need; this crate
//! owns the rdkafka adapters that implement them:
//!
//! - [`KafkaSettings`]: brokers and client settings, shared by every service's config;
//! - [`admin::ensure_topics`]: creates the topic registry (`schemas::topics`) with its
//!   partitions and retention;
//! - [`EnvelopeProducer`]: idempotent (`enable.idempotence`, `acks=all`), keyed by
//!   aggregate, partitioned by murmur2 of the key (the Java client's rule);
//! - [`LogConsumer`]: a consumer with auto-commit off and explicitly assigned partitions
//!   and offsets, for consumers that store their offsets with their effects; it hands out
//!   every offset of a partition once, in order, refetching a gap a fetch skipped
//!   ([`contiguity`]);
//! - [`tails`]: partition watermarks, for resuming from what the log already holds, and
//!   reading partitions up to their current end;
//! - [`job_log`]: one job's events (its two partitions), for evidence checks;
//! - [`BrokerProbe`]: whether the broker answers (a service's readiness).
//!
//! The broker used in development and CI is nisshi (Kafka protocol, no transactions);
//! production points the same settings at Apache Kafka, Redpanda or MSK.

pub mod admin;
mod client_context;
mod consumer;
pub mod contiguity;
mod error;
pub mod job_log;
mod probe;
mod producer;
mod settings;
pub mod tails;

pub use client_context::LogContext;
pub use consumer::{LogConsumer, LogRecord};
pub use error::EventLogError;
pub use probe::BrokerProbe;
pub use producer::{Delivered, EnvelopeProducer};
pub use settings::KafkaSettings;
