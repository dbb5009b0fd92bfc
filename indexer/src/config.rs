use serde::Deserialize;

/// `[indexer]` configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexerConfig {
    /// Node REST base URL, e.g. `https://testnet.movementnetwork.xyz/v1` or the devnet's.
    #[serde(default = "default_node_url")]
    pub node_url: String,
    /// First version to index when the log holds no checkpoint (the package's publish
    /// version on a public network).
    #[serde(default)]
    pub start_version: u64,
    /// Transactions per page (the node caps pages at 100).
    #[serde(default = "default_page_size")]
    pub page_size: u16,
    /// Pages fetched concurrently.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Wait between polls when caught up with the head, milliseconds.
    #[serde(default = "default_poll_ms")]
    pub poll_interval_ms: u64,
    /// Longest backoff after errors, milliseconds.
    #[serde(default = "default_max_backoff_ms")]
    pub max_backoff_ms: u64,
}

impl Default for IndexerConfig {
    fn default() -> Self {
        IndexerConfig {
            node_url: default_node_url(),
            start_version: 0,
            page_size: default_page_size(),
            concurrency: default_concurrency(),
            poll_interval_ms: default_poll_ms(),
            max_backoff_ms: default_max_backoff_ms(),
        }
    }
}

fn default_node_url() -> String {
    "http://127.0.0.1:8070/v1".into()
}

fn default_page_size() -> u16 {
    100
}

fn default_concurrency() -> usize {
    4
}

fn default_poll_ms() -> u64 {
    250
}

fn default_max_backoff_ms() -> u64 {
    10_000
}

impl IndexerConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !(self.node_url.starts_with("http://") || self.node_url.starts_with("https://")) {
            return Err("indexer.node_url must be an http(s) URL".into());
        }
        if self.page_size == 0 || self.page_size > 100 {
            return Err("indexer.page_size must be 1..=100".into());
        }
        if self.concurrency == 0 || self.concurrency > 64 {
            return Err("indexer.concurrency must be 1..=64".into());
        }
        Ok(())
    }
}
