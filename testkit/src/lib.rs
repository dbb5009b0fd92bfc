//! Shared support for integration tests against the real local stack (`scripts/stack.sh
//! up`): each test gets its own Postgres database, its own topic prefix on the broker, and
//! the Docker engine with the locally imported test image.
//!
//! Connection settings come from the same variables the services read
//! (`COMPUTESTREAM_DATABASE__URL`, `COMPUTESTREAM_KAFKA__BROKERS`), with the stack's
//! defaults. A missing service is a test failure with a message that says how to start it,
//! never a silent skip.

#![allow(clippy::expect_used, clippy::unwrap_used)]

pub mod chain;
pub mod slow_client;
pub mod timescale;

pub use computestream_schemas::sample as history;
pub use timescale::TimescaleServer;

use std::str::FromStr;

use computestream_eventlog::{tails, KafkaSettings, LogRecord};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};

/// The stack's Postgres, as `scripts/stack.sh env` prints it.
pub const DEFAULT_DATABASE_URL: &str =
    "postgres://computestream:computestream@127.0.0.1:5432/computestream";
pub const DEFAULT_BROKERS: &str = "127.0.0.1:9092";
pub const DEFAULT_TEST_IMAGE: &str = "computestream/busybox:latest";

const HOW_TO_START: &str = "start the local stack with `scripts/stack.sh up`";

pub fn database_url() -> String {
    std::env::var("COMPUTESTREAM_DATABASE__URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.into())
}

/// A database created for one test. It is dropped by [`TestDatabase::drop_now`] or, if the
/// test failed before that, left for inspection (names start with `cs_test_`).
#[derive(Debug)]
pub struct TestDatabase {
    pub name: String,
    pub url: String,
    pub pool: PgPool,
}

impl TestDatabase {
    /// Creates an empty database with a unique name.
    pub async fn fresh() -> TestDatabase {
        let admin_url = database_url();
        let name = format!("cs_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| {
                panic!("cannot reach Postgres at {admin_url}: {e}; {HOW_TO_START}")
            });
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create test database");
        let _ = admin.close().await;
        let opts = PgConnectOptions::from_str(&admin_url)
            .expect("database url")
            .database(&name);
        let url = opts.to_url_lossy().to_string();
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await
            .expect("connect to test database");
        TestDatabase { name, url, pool }
    }

    /// Closes the pool and drops the database. Best effort: a background worker of the
    /// server (autovacuum) can hold the database for a moment, so it retries, and a database
    /// that still cannot be dropped is left behind (named `cs_test_*`) rather than failing
    /// the test that used it.
    pub async fn drop_now(self) {
        self.pool.close().await;
        for _ in 0..20 {
            let Ok(mut admin) = sqlx::PgConnection::connect(&database_url()).await else {
                return;
            };
            // FORCE ends this test's own leftover sessions; it fails (and is retried) only
            // while a server worker of another role, such as autovacuum, is in the database.
            let dropped = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin)
            .await;
            let _ = admin.close().await;
            if dropped.is_ok() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        eprintln!("test database {} left behind", self.name);
    }
}

/// Broker settings whose topic names are unique to this call, so tests never see each
/// other's records.
pub fn kafka() -> KafkaSettings {
    let brokers =
        std::env::var("COMPUTESTREAM_KAFKA__BROKERS").unwrap_or_else(|_| DEFAULT_BROKERS.into());
    KafkaSettings::new(brokers).with_topic_prefix(format!("t{}.", uuid::Uuid::new_v4().simple()))
}

/// The local Docker engine, API version negotiated (Debian's docker.io speaks 1.41).
pub async fn docker() -> bollard::Docker {
    let d = bollard::Docker::connect_with_local_defaults()
        .unwrap_or_else(|e| panic!("cannot reach the Docker engine: {e}; {HOW_TO_START}"));
    let d = d
        .negotiate_version()
        .await
        .unwrap_or_else(|e| panic!("the Docker engine does not answer: {e}; {HOW_TO_START}"));
    d
}

/// The locally imported image the stack provides for test containers.
pub fn test_image() -> String {
    std::env::var("CS_TEST_IMAGE").unwrap_or_else(|_| DEFAULT_TEST_IMAGE.into())
}

/// Every record of a topic (all `partitions`), sorted by partition then offset.
pub async fn read_topic(kafka: &KafkaSettings, name: &str, partitions: i32) -> Vec<LogRecord> {
    tails::read_all(kafka, &kafka.topic(name), partitions)
        .await
        .expect("read the topic")
}

/// Writes `events` to their topics (creating the registry's topics first).
pub async fn publish(kafka: &KafkaSettings, events: &[computestream_schemas::Envelope]) {
    computestream_eventlog::admin::ensure_topics(kafka, &computestream_schemas::topics::ALL)
        .await
        .expect("topics");
    let producer = computestream_eventlog::EnvelopeProducer::new(kafka, "testkit-publisher")
        .expect("producer");
    for chunk in events.chunks(10_000) {
        for r in futures::future::join_all(chunk.iter().map(|e| producer.send(e))).await {
            r.expect("produce");
        }
    }
}

/// An image whose command is `sh -c <script>`, built from the stack's busybox test image
/// (committed locally, nothing pulled). Returns its name.
pub async fn job_image(tag: &str, script: &str) -> String {
    let rt = computestream_executor::DockerRuntime::connect()
        .await
        .unwrap_or_else(|e| panic!("cannot reach the Docker engine: {e}; {HOW_TO_START}"));
    rt.derive_image(
        &test_image(),
        "computestream/test-job",
        tag,
        vec!["sh".into(), "-c".into(), script.into()],
    )
    .await
    .expect("derive the job image")
}

/// A `computestream <subcommand>` child process on the test's broker prefix, quiet, with its
/// side port on a free port. `binary` is the test's `env!("CARGO_BIN_EXE_computestream")`.
pub fn service_command(
    binary: &str,
    subcommand: &str,
    kafka: &KafkaSettings,
) -> std::process::Command {
    let mut c = std::process::Command::new(binary);
    c.arg(subcommand)
        .env("COMPUTESTREAM_KAFKA__BROKERS", &kafka.brokers)
        .env("COMPUTESTREAM_KAFKA__TOPIC_PREFIX", &kafka.topic_prefix)
        .env("COMPUTESTREAM_SIDE_PORT", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    c
}

/// Removes every job container of `provider` (its long address) that an earlier, killed run
/// of a test may have left: a new executor of that provider would adopt it as its own (job
/// ids repeat across devnets).
pub async fn remove_job_containers(provider: &str) {
    use computestream_executor::ContainerRuntime;
    let rt = computestream_executor::DockerRuntime::connect()
        .await
        .unwrap_or_else(|e| panic!("cannot reach the Docker engine: {e}; {HOW_TO_START}"));
    for c in rt.list(provider).await.expect("list job containers") {
        rt.remove(&c.id)
            .await
            .expect("remove a leftover job container");
    }
}

/// A TCP port free right now on 127.0.0.1 (for a child process's listener).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}
