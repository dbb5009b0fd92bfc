use std::time::Duration;

use rdkafka::ClientConfig;
use serde::Deserialize;

/// How to reach the broker. In a service's config file under `[kafka]`; from the
/// environment as `COMPUTESTREAM_KAFKA__BROKERS` etc.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaSettings {
    /// `host:port[,host:port...]`.
    pub brokers: String,
    /// Replication factor for topics this process creates (1 on a single-node dev broker,
    /// 3 in production).
    #[serde(default = "default_replication")]
    pub replication: i32,
    /// Prefix prepended to every topic name (isolates tests and environments on one broker).
    #[serde(default)]
    pub topic_prefix: String,
    /// Timeout of one produce (delivery report) in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub request_timeout_ms: u64,
    /// Longest a consumer's fetch waits at the broker for new records, milliseconds: the
    /// floor of a caught-up consumer's latency (librdkafka's default is 500).
    #[serde(default = "default_fetch_wait_ms")]
    pub fetch_wait_max_ms: u64,
}

fn default_fetch_wait_ms() -> u64 {
    20
}

fn default_replication() -> i32 {
    1
}

fn default_timeout_ms() -> u64 {
    30_000
}

impl KafkaSettings {
    pub fn new(brokers: impl Into<String>) -> Self {
        KafkaSettings {
            brokers: brokers.into(),
            replication: default_replication(),
            topic_prefix: String::new(),
            request_timeout_ms: default_timeout_ms(),
            fetch_wait_max_ms: default_fetch_wait_ms(),
        }
    }

    pub fn with_topic_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.topic_prefix = prefix.into();
        self
    }

    /// The broker-side name of a registry topic.
    pub fn topic(&self, name: &str) -> String {
        format!("{}{name}", self.topic_prefix)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.brokers.trim().is_empty() {
            return Err("kafka.brokers must name at least one host:port".into());
        }
        if self.replication < 1 {
            return Err("kafka.replication must be at least 1".into());
        }
        Ok(())
    }

    pub(crate) fn timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    pub(crate) fn client_config(&self, client_id: &str) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.brokers)
            .set("client.id", client_id)
            .set("socket.keepalive.enable", "true")
            .set("log_level", "4");
        c
    }
}
