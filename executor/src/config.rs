//! `[executor]` configuration.

use std::net::SocketAddr;
use std::path::PathBuf;

use computestream_runtime::Secret;
use serde::Deserialize;

/// What a provider allows a job's container (applied to every job).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxPolicy {
    /// Memory limit, MiB (swap included: no swap).
    #[serde(default = "default_memory")]
    pub memory_mb: u64,
    /// CPU limit, in CPUs (fractions allowed).
    #[serde(default = "default_cpus")]
    pub cpus: f64,
    /// Most processes/threads in the container.
    #[serde(default = "default_pids")]
    pub pids: i64,
    /// Size of the writable scratch tmpfs at `/tmp`, MiB.
    #[serde(default = "default_scratch")]
    pub scratch_mb: u64,
    /// The user the job runs as (`uid:gid`, never root).
    #[serde(default = "default_user")]
    pub user: String,
    /// GPUs given to each job (NVIDIA device requests); 0 on hosts without GPUs.
    #[serde(default)]
    pub gpus_per_job: i64,
    /// Most a job may leave under `/out`, MiB: bytes claimed (a sparse file counts its full
    /// size) or held on disk, whichever is larger. Also the largest file the job may write
    /// anywhere (the container's `fsize` limit: past it the write fails and the process
    /// gets `SIGXFSZ`). A job past it is stopped and fails with the reason; nothing past it
    /// is read or stored.
    #[serde(default = "default_output_max_mb")]
    pub output_max_mb: u64,
    /// Most files and directories a job may leave under `/out`.
    #[serde(default = "default_output_max_files")]
    pub output_max_files: u64,
    /// Disk the engine keeps of a job's stdout and stderr, MiB (two rotated files of half).
    #[serde(default = "default_log_max_mb")]
    pub log_max_mb: u64,
}

impl SandboxPolicy {
    /// The job's output quota.
    pub fn output_quota(&self) -> crate::outputs_quota::OutputQuota {
        crate::outputs_quota::OutputQuota {
            max_bytes: self.output_max_mb.saturating_mul(1024 * 1024),
            max_files: self.output_max_files,
        }
    }
}

fn default_output_max_mb() -> u64 {
    64
}
fn default_output_max_files() -> u64 {
    1_000
}
fn default_log_max_mb() -> u64 {
    16
}

fn default_memory() -> u64 {
    512
}
fn default_cpus() -> f64 {
    1.0
}
fn default_pids() -> i64 {
    128
}
fn default_scratch() -> u64 {
    64
}
fn default_user() -> String {
    "65534:65534".into()
}

impl Default for SandboxPolicy {
    fn default() -> Self {
        SandboxPolicy {
            memory_mb: default_memory(),
            cpus: default_cpus(),
            pids: default_pids(),
            scratch_mb: default_scratch(),
            user: default_user(),
            gpus_per_job: 0,
            output_max_mb: default_output_max_mb(),
            output_max_files: default_output_max_files(),
            log_max_mb: default_log_max_mb(),
        }
    }
}

/// `[executor.s3]`: the S3 (or S3-compatible) service of an `s3://` artifacts URL. Each
/// field left out comes from the standard AWS variables (`AWS_ENDPOINT`, `AWS_REGION`,
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_ALLOW_HTTP`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// An S3-compatible endpoint (MinIO, moto, Ceph), e.g. `http://127.0.0.1:9094`.
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// Never printed or logged.
    #[serde(default)]
    pub secret_access_key: Option<Secret<String>>,
    /// Allow `http://` endpoints (development only).
    #[serde(default)]
    pub allow_http: bool,
}

/// `[executor]`: the provider's key, where jobs run, how buyers reach it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutorConfig {
    /// Node REST base URL.
    #[serde(default = "default_node_url")]
    pub node_url: String,
    /// The provider's ed25519 private key (64 hex digits): signs status transactions and
    /// metering records. Required by `execute`.
    #[serde(default)]
    pub private_key: Option<Secret<String>>,
    /// Where the buyers' x402 endpoint listens.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The x402 endpoint's URL as buyers reach it (behind a proxy or a public name),
    /// announced in heartbeats (`Provider.endpoint`); default `http://{listen}`.
    #[serde(default)]
    pub public_url: Option<String>,
    /// Origins allowed to pay from a browser (CORS on `/jobs/{id}`: the request header
    /// `PAYMENT-SIGNATURE`, the response headers `PAYMENT-REQUIRED`/`PAYMENT-RESPONSE`
    /// exposed): the marketplace's origin in production (the chart sets the web origin).
    /// `["*"]` (the default, for development) allows any origin (a voucher is a bearer of
    /// value only for its job, and the endpoint holds no cookies); empty allows none.
    #[serde(default = "default_cors")]
    pub cors_origins: Vec<String>,
    /// Per-job working directories (outputs are bind-mounted from here).
    #[serde(default = "default_work_dir")]
    pub work_dir: PathBuf,
    /// Where outputs are stored, content-addressed: `file:///path` or
    /// `s3://bucket/prefix` (`[executor.s3]`, else the standard `AWS_*` variables).
    #[serde(default = "default_artifacts")]
    pub artifacts_url: String,
    /// `[executor.s3]`: how an `s3://` artifacts URL is reached.
    #[serde(default)]
    pub s3: S3Config,
    /// Seconds of service a buyer may be behind on vouchers before the job is stopped; after
    /// the executor's own process stalls, buyers get a whole window of this many seconds of a
    /// running executor before they are judged (`payment_judge`).
    #[serde(default = "default_grace")]
    pub grace_secs: u64,
    /// Seconds a buyer may pay before they are served: a voucher may carry up to
    /// (served + this) × rate (x402 `maxCumulativeAmount`), so a buyer catches up after a
    /// stall and may pay a little ahead.
    #[serde(default = "default_payment_ahead")]
    pub payment_ahead_secs: u64,
    /// Ended jobs kept in memory (their final state at `GET /jobs/{id}`, their outputs at
    /// `/jobs/{id}/outputs`), most recent first; older ones are forgotten.
    #[serde(default = "default_retained_finished")]
    pub retained_finished_jobs: usize,
    /// Seconds between provider heartbeats.
    #[serde(default = "default_heartbeat")]
    pub heartbeat_secs: u64,
    #[serde(default)]
    pub sandbox: SandboxPolicy,
    /// `[executor.http]`: the x402 endpoint's timeouts, connection cap and body limit.
    #[serde(default)]
    pub http: computestream_runtime::http_listener::HttpLimits,
}

fn default_cors() -> Vec<String> {
    vec!["*".into()]
}

fn default_retained_finished() -> usize {
    10_000
}

fn default_node_url() -> String {
    "http://127.0.0.1:8070/v1".into()
}
fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8403))
}
fn default_work_dir() -> PathBuf {
    PathBuf::from("/var/lib/computestream/jobs")
}
fn default_artifacts() -> String {
    "file:///var/lib/computestream/artifacts".into()
}
fn default_grace() -> u64 {
    10
}
fn default_payment_ahead() -> u64 {
    5
}
fn default_heartbeat() -> u64 {
    5
}

impl ExecutorConfig {
    /// The URL announced in heartbeats: `public_url`, else `http://{listen}` (an unspecified
    /// listen address is announced as loopback).
    pub fn endpoint(&self) -> String {
        if let Some(u) = &self.public_url {
            return u.trim_end_matches('/').to_owned();
        }
        let mut at = self.listen;
        if at.ip().is_unspecified() {
            at.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        format!("http://{at}")
    }
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        ExecutorConfig {
            node_url: default_node_url(),
            private_key: None,
            listen: default_listen(),
            public_url: None,
            cors_origins: default_cors(),
            work_dir: default_work_dir(),
            artifacts_url: default_artifacts(),
            s3: S3Config::default(),
            grace_secs: default_grace(),
            payment_ahead_secs: default_payment_ahead(),
            heartbeat_secs: default_heartbeat(),
            retained_finished_jobs: default_retained_finished(),
            sandbox: SandboxPolicy::default(),
            http: Default::default(),
        }
    }
}

impl ExecutorConfig {
    pub fn validate(&self) -> Result<(), String> {
        if let Some(u) = &self.public_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(format!("executor.public_url must be an http(s) URL: {u:?}"));
            }
        }
        let s = &self.sandbox;
        if s.memory_mb < 4 || s.cpus <= 0.0 || s.pids < 1 || s.scratch_mb < 1 {
            return Err("executor.sandbox limits must be positive (memory_mb >= 4)".into());
        }
        if s.output_max_mb < 1 || s.output_max_files < 1 || s.log_max_mb < 2 {
            return Err(
                "executor.sandbox.output_max_mb and output_max_files must be at least 1, log_max_mb at least 2"
                    .into(),
            );
        }
        if s.output_max_mb > 1 << 30 || s.log_max_mb > 1 << 30 {
            return Err(
                "executor.sandbox.output_max_mb and log_max_mb must be below 2^30 MiB".into(),
            );
        }
        if s.user.starts_with("0:") || s.user == "0" || s.user == "root" {
            return Err("executor.sandbox.user must not be root".into());
        }
        if s.gpus_per_job < 0 {
            return Err("executor.sandbox.gpus_per_job must be >= 0".into());
        }
        self.http.validate("executor.http")?;
        if self.retained_finished_jobs == 0 {
            return Err("executor.retained_finished_jobs must be at least 1".into());
        }
        if self.heartbeat_secs == 0 {
            return Err("executor.heartbeat_secs must be at least 1".into());
        }
        crate::artifacts::parse_store_url(&self.artifacts_url).map_err(|e| e.to_string())?;
        if let Some(k) = &self.private_key {
            computestream_chain::parse_seed(k.expose())
                .map_err(|e| format!("executor.private_key: {e}"))?;
        }
        Ok(())
    }
}
