//! The infrastructure a test can take down: a PostgreSQL cluster of its own (stopped with
//! an immediate shutdown, a crash for its clients), the broker on durable storage and the
//! devnet on its journal as restartable [`Service`]s, and what the test reads while they
//! come and go (a service's `/healthz`, the chain's views).

#![allow(dead_code)] // each test binary uses its own part

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::processes::{Service, BIN};

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// Runs `program args` as the `postgres` user (PostgreSQL refuses to run as root).
fn as_postgres(program: &str, args: &[&str]) -> std::process::Output {
    let out = Command::new("runuser")
        .args(["-u", "postgres", "--", &format!("{PG_BIN}/{program}")])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("runuser {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A PostgreSQL 15 cluster of the test's own (Debian's binaries, which the stack installs),
/// on a free port, with the `computestream` role and a `chaos` database.
pub struct OwnPostgres {
    data: PathBuf,
    port: u16,
    pub url: String,
    running: bool,
}

impl OwnPostgres {
    pub fn start(dir: &Path) -> OwnPostgres {
        let data = dir.join("pgdata");
        std::fs::create_dir_all(&data).expect("pgdata");
        let chown = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir)
            .status()
            .expect("chown");
        assert!(chown.success(), "chown {}", dir.display());
        let d = data.to_string_lossy().into_owned();
        as_postgres(
            "initdb",
            &["-D", &d, "-A", "trust", "-U", "postgres", "--no-sync"],
        );
        let port = computestream_testkit::free_port();
        let mut pg = OwnPostgres {
            data,
            port,
            url: format!("postgres://computestream:computestream@127.0.0.1:{port}/chaos"),
            running: false,
        };
        pg.start_again();
        let port_arg = port.to_string();
        as_postgres(
            "psql",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port_arg,
                "-qtA",
                "-c",
                "CREATE ROLE computestream LOGIN SUPERUSER PASSWORD 'computestream'",
                "-c",
                "CREATE DATABASE chaos OWNER computestream",
            ],
        );
        pg
    }

    /// `pg_ctl start`, waiting until it accepts connections.
    pub fn start_again(&mut self) {
        let d = self.data.to_string_lossy().into_owned();
        let log = self.data.join("server.log").to_string_lossy().into_owned();
        let opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c max_connections=200",
            self.port
        );
        as_postgres(
            "pg_ctl",
            &["-D", &d, "-l", &log, "-o", &opts, "-w", "start"],
        );
        self.running = true;
    }

    /// `pg_ctl stop -m immediate`: every server process exits at once, without a
    /// checkpoint; the next start recovers from the WAL. Its clients see their connections
    /// cut mid-query.
    pub fn stop_immediate(&mut self) {
        let d = self.data.to_string_lossy().into_owned();
        as_postgres("pg_ctl", &["-D", &d, "-m", "immediate", "-w", "stop"]);
        self.running = false;
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        if self.running {
            self.stop_immediate();
        }
    }
}

/// The stack's nisshi build on durable storage (SQLite in `dir`), on `port`: a SIGKILL and
/// restart keeps the log.
pub fn durable_broker(dir: &Path, port: u16) -> Service {
    let url = format!("tcp://127.0.0.1:{port}");
    let storage = format!("sqlite:///{}", dir.join("broker.db").display());
    Service::new("broker", dir, move || {
        let mut c = Command::new("nisshi");
        c.args([
            "broker",
            "--listener-url",
            &url,
            "--advertised-listener-url",
            &url,
            "--storage-engine",
            &storage,
        ])
        .stdout(std::process::Stdio::null());
        c
    })
}

/// `computestream devnet` on `listen` with its journal at `journal` (10 ms blocks, as the
/// tests' devnets): a restart replays the journal and serves the same ledger.
pub fn devnet_process(dir: &Path, listen: &str, journal: &Path) -> Service {
    let (listen, journal) = (listen.to_owned(), journal.to_owned());
    Service::new("devnet", dir, move || {
        let mut c = Command::new(BIN);
        c.arg("devnet")
            .env("COMPUTESTREAM_DEVNET__LISTEN", &listen)
            .env("COMPUTESTREAM_DEVNET__JOURNAL", &journal)
            .env("COMPUTESTREAM_DEVNET__BLOCK_TIME_MS", "10")
            .env("COMPUTESTREAM_DEVNET__IDLE_BLOCK_MS", "100")
            .env("COMPUTESTREAM_SIDE_PORT", "127.0.0.1:0")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null());
        c
    })
}

/// Waits (up to a minute) until something accepts connections on `port`.
pub async fn port_open(port: u16) -> bool {
    for _ in 0..600 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// A service's readiness: `Some(true)` for 200 on `/healthz`, `Some(false)` for 503, `None`
/// when its side port does not answer.
pub async fn healthz(client: &reqwest::Client, side: &str) -> Option<bool> {
    let r = client
        .get(format!("http://{side}/healthz"))
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .ok()?;
    Some(r.status().is_success())
}

/// The chain as its REST API shows it (the node may be down: `None`).
pub struct ChainViews {
    client: reqwest::Client,
    node_url: String,
    package: String,
}

impl ChainViews {
    pub fn new(node_url: &str, package: &str) -> ChainViews {
        ChainViews {
            client: reqwest::Client::new(),
            node_url: node_url.trim_end_matches('/').to_owned(),
            package: package.to_owned(),
        }
    }

    async fn view(&self, module: &str, function: &str, id: u64) -> Option<serde_json::Value> {
        let r = self
            .client
            .post(format!("{}/view", self.node_url))
            .timeout(Duration::from_secs(5))
            .json(&serde_json::json!({
                "function": format!("{}::{module}::{function}", self.package),
                "type_arguments": [],
                "arguments": [id.to_string()],
            }))
            .send()
            .await
            .ok()?;
        if !r.status().is_success() {
            return None;
        }
        r.json().await.ok()
    }

    /// A job's status (`job_registry::get_job`, its seventh value).
    pub async fn job_status(&self, job_id: u64) -> Option<u8> {
        let v = self.view("job_registry", "get_job", job_id).await?;
        let s = v.get(6)?;
        s.as_str()
            .and_then(|s| s.parse().ok())
            .or_else(|| s.as_u64().and_then(|n| u8::try_from(n).ok()))
    }

    /// Whether a stream is open (`payment_stream::get_stream`, its fifth value).
    pub async fn stream_open(&self, stream_id: u64) -> Option<bool> {
        let v = self.view("payment_stream", "get_stream", stream_id).await?;
        v.get(4)?.as_bool()
    }

    /// How many of `ids` answer `pred` (ids the node cannot answer for count as not).
    pub async fn count<F, Fut>(&self, ids: std::ops::RangeInclusive<u64>, pred: F) -> usize
    where
        F: Fn(u64) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        use futures::StreamExt;
        futures::stream::iter(ids.map(pred))
            .buffer_unordered(32)
            .filter(|b| std::future::ready(*b))
            .count()
            .await
    }

    /// The ledger's version (`GET /v1`).
    pub async fn ledger_version(&self) -> Option<u64> {
        let v: serde_json::Value = self
            .client
            .get(&self.node_url)
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        v.get("ledger_version")?.as_str()?.parse().ok()
    }
}

/// A devnet in this process on `journal` (replayed if it exists), with the tests' 10 ms blocks.
pub async fn journaled_devnet(
    id: computestream_devnet::ChainIdentity,
    journal: &std::path::Path,
) -> (
    computestream_devnet::Running,
    computestream_runtime::Shutdown,
) {
    let stop = computestream_runtime::Shutdown::new();
    let config = computestream_devnet::DevnetConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        block_time_ms: 10,
        idle_block_ms: 100,
        journal: Some(journal.to_owned()),
        ..computestream_devnet::DevnetConfig::default()
    };
    let running = computestream_devnet::start(id, config, stop.clone())
        .await
        .expect("devnet on its journal");
    (running, stop)
}

/// Every service named by `prefixes` answers `/healthz` with `healthy`.
pub async fn all_report(
    client: &reqwest::Client,
    services: &[Service],
    sides: &[String],
    prefixes: &[&str],
    healthy: bool,
) -> bool {
    for (s, side) in services.iter().zip(sides) {
        if prefixes.iter().any(|p| s.name.starts_with(p))
            && healthz(client, side).await != Some(healthy)
        {
            return false;
        }
    }
    true
}

/// Waits until [`all_report`] holds; on timeout prints every service's `/healthz` body and
/// last log lines.
pub async fn wait_reported(
    what: &str,
    secs: u64,
    client: &reqwest::Client,
    services: &[Service],
    sides: &[String],
    prefixes: &[&str],
    healthy: bool,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if all_report(client, services, sides, prefixes, healthy).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // First what failed, then the evidence: a CI excerpt keeps the head of a long output.
    eprintln!("=== timed out waiting until {what}; each service's health and last lines:");
    for (s, side) in services.iter().zip(sides) {
        let body = match client.get(format!("http://{side}/healthz")).send().await {
            Ok(r) => format!("{} {}", r.status(), r.text().await.unwrap_or_default()),
            Err(e) => format!("no answer: {e}"),
        };
        eprintln!(
            "--- {} /healthz: {body}--- last lines ---\n{}",
            s.name,
            s.tail()
        );
    }
    panic!("timed out waiting until {what}");
}
