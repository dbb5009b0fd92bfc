//! The binary's configuration: the settings every subcommand shares. Each key can come from
//! the file given with `--config` or from `COMPUTESTREAM_<SECTION>__<KEY>`.

use std::net::SocketAddr;

use computestream_domain::AccountAddress;
use computestream_eventlog::KafkaSettings;
use computestream_runtime::config::Validate;
use computestream_runtime::Secret;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// Chain id of the network (126 Movement mainnet, 250 Bardock testnet, 4 local devnet).
    #[serde(default = "default_chain_id")]
    pub chain_id: u8,
    /// Address the ComputeStream Move package is published at.
    #[serde(default = "default_package")]
    pub package: AccountAddress,
    #[serde(default)]
    pub database: DatabaseSettings,
    #[serde(default = "default_kafka")]
    pub kafka: KafkaSettings,
    /// Where `/healthz` and `/metrics` are served.
    #[serde(default = "default_side_port")]
    pub side_port: SocketAddr,
    /// The local chain (`computestream devnet`).
    #[serde(default)]
    pub devnet: computestream_devnet::DevnetConfig,
    /// The chain indexer (`computestream index`).
    #[serde(default)]
    pub indexer: computestream_indexer::IndexerConfig,
    /// The read-model projector (`computestream project`, `computestream replay`).
    #[serde(default)]
    pub projector: computestream_projector::ProjectorConfig,
    /// The settler and x402 facilitator (`computestream settle`).
    #[serde(default)]
    pub settler: computestream_settler::SettlerConfig,
    /// The provider agent (`computestream execute`).
    #[serde(default)]
    pub executor: computestream_executor::ExecutorConfig,
    /// The GraphQL gateway (`computestream serve`).
    #[serde(default)]
    pub gateway: computestream_graphql::GatewayConfig,
    /// A buyer paying a job over x402 (`computestream buy`).
    #[serde(default)]
    pub buyer: BuyerSettings,
}

/// `[buyer]`: what `computestream buy` pays with.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuyerSettings {
    /// The voucher key named in `create_job` (64 hex digits), a secret
    /// (`COMPUTESTREAM_BUYER__KEY`); `--key` overrides it.
    #[serde(default)]
    pub key: Option<Secret<String>>,
    /// Seconds to pay ahead of what was served (the executor caps it).
    #[serde(default = "default_lead")]
    pub lead_secs: u64,
    /// The gateway's GraphQL URL, where `buy` finds the job's provider's x402 endpoint
    /// (`Job.provider.endpoint`) when `--executor` is not given.
    #[serde(default = "default_gateway_url")]
    pub gateway_url: String,
}

fn default_gateway_url() -> String {
    "http://127.0.0.1:8080/graphql".into()
}

impl Default for BuyerSettings {
    fn default() -> Self {
        BuyerSettings {
            key: None,
            lead_secs: default_lead(),
            gateway_url: default_gateway_url(),
        }
    }
}

fn default_lead() -> u64 {
    computestream_executor::DEFAULT_LEAD_SECS
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `postgres://user:password@host:port/db`; a secret, since it carries the password.
    #[serde(default = "default_database_url")]
    pub url: Secret<String>,
    #[serde(default = "default_pool")]
    pub max_connections: u32,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings {
            url: default_database_url(),
            max_connections: default_pool(),
        }
    }
}

fn default_chain_id() -> u8 {
    4
}

fn default_package() -> AccountAddress {
    // Where the local devnet publishes it.
    computestream_devnet::LOCAL_PACKAGE
}

fn default_kafka() -> KafkaSettings {
    KafkaSettings::new("127.0.0.1:9092")
}

fn default_side_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9464))
}

fn default_database_url() -> Secret<String> {
    Secret::new("postgres://computestream:computestream@127.0.0.1:5432/computestream".into())
}

fn default_pool() -> u32 {
    8
}

impl Validate for AppConfig {
    fn validate(&self) -> Result<(), String> {
        self.kafka.validate()?;
        self.devnet.validate()?;
        self.indexer.validate()?;
        self.projector.validate()?;
        self.settler.validate()?;
        self.executor.validate()?;
        self.gateway.validate()?;
        let url = self.database.url.expose();
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err("database.url must be a postgres:// URL".into());
        }
        if self.database.max_connections == 0 {
            return Err("database.max_connections must be at least 1".into());
        }
        Ok(())
    }
}
