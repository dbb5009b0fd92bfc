//! The container-runtime port: what the executor needs from a container engine. The real
//! adapter is [`crate::DockerRuntime`] (bollard against the local Docker engine); the
//! contract tests in `tests/runtime_contract.rs` run against it.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;

use thiserror::Error;

/// The label every job container carries, with the job id as value.
pub const JOB_LABEL: &str = "computestream.job";
/// The label with the provider's address (one engine may serve several providers).
pub const PROVIDER_LABEL: &str = "computestream.provider";

/// A sandboxed container to run, engine-neutral.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerSpec {
    /// Unique per job (`computestream-job-<id>`): an engine refuses a second container with
    /// the same name, so a job cannot be started twice.
    pub name: String,
    pub image: String,
    /// Command override; `None` runs the image's own.
    pub cmd: Option<Vec<String>>,
    pub labels: BTreeMap<String, String>,
    pub user: String,
    pub memory_bytes: i64,
    pub nano_cpus: i64,
    pub pids: i64,
    /// Writable tmpfs at `/tmp` of this size; the root filesystem is read-only.
    pub scratch_bytes: u64,
    /// Host directory bind-mounted read-write at `/out`, the job's outputs.
    pub output_dir: PathBuf,
    /// NVIDIA GPUs requested (device requests); 0 for none.
    pub gpus: i64,
    /// Largest file a process of the job may write, bytes (`RLIMIT_FSIZE`; the job's output
    /// quota).
    pub max_file_bytes: u64,
    /// Disk the engine keeps of the job's stdout and stderr, bytes (rotated).
    pub log_max_bytes: u64,
}

/// How a container ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit {
    pub code: i64,
    /// Killed by the kernel for exceeding its memory limit.
    pub oom_killed: bool,
}

/// Resource use so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// CPU time used since start, nanoseconds.
    pub cpu_total_ns: u64,
    pub memory_bytes: u64,
}

/// A job container found on the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labelled {
    pub id: String,
    pub job_id: u64,
    pub running: bool,
    /// Created but never started (the executor stopped between create and start).
    pub never_started: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ContainerError {
    /// The engine did not answer (down, restarting).
    #[error("container engine unavailable: {0}")]
    Unavailable(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// A container with that name exists already.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The engine refused the request.
    #[error("container engine refused: {0}")]
    Refused(String),
}

impl ContainerError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, ContainerError::Unavailable(_))
    }
}

pub trait ContainerRuntime: Send + Sync + 'static {
    /// Whether the image is present locally (nothing is ever pulled).
    fn image_present(
        &self,
        image: &str,
    ) -> impl Future<Output = Result<bool, ContainerError>> + Send;
    /// Creates and starts the container; returns its id.
    fn run(
        &self,
        spec: &ContainerSpec,
    ) -> impl Future<Output = Result<String, ContainerError>> + Send;
    /// Starts a created container that never ran.
    fn start(&self, id: &str) -> impl Future<Output = Result<(), ContainerError>> + Send;
    /// Waits until the container has stopped.
    fn wait(&self, id: &str) -> impl Future<Output = Result<Exit, ContainerError>> + Send;
    /// Resource use so far; `None` once it stopped.
    fn usage(&self, id: &str)
        -> impl Future<Output = Result<Option<Usage>, ContainerError>> + Send;
    /// Stops it (SIGTERM, then SIGKILL after `grace_secs`).
    fn stop(
        &self,
        id: &str,
        grace_secs: u32,
    ) -> impl Future<Output = Result<(), ContainerError>> + Send;
    /// Removes it (stopped or not).
    fn remove(&self, id: &str) -> impl Future<Output = Result<(), ContainerError>> + Send;
    /// Every container labelled as a job of `provider`.
    fn list(
        &self,
        provider: &str,
    ) -> impl Future<Output = Result<Vec<Labelled>, ContainerError>> + Send;
    /// Its output (stdout and stderr), the last `tail` lines.
    fn logs(
        &self,
        id: &str,
        tail: usize,
    ) -> impl Future<Output = Result<String, ContainerError>> + Send;
}
