//! [`ContainerRuntime`] over the local Docker engine, through bollard.

use std::collections::HashMap;

use bollard::errors::Error as BollardError;
use bollard::models::{
    ContainerCreateBody, ContainerSummaryStateEnum, DeviceRequest, HostConfig, HostConfigLogConfig,
    ResourcesUlimits,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, StatsOptionsBuilder, StopContainerOptionsBuilder,
    WaitContainerOptionsBuilder,
};
use bollard::Docker;
use futures::StreamExt;

use crate::container::{
    ContainerError, ContainerRuntime, ContainerSpec, Exit, Labelled, Usage, JOB_LABEL,
    PROVIDER_LABEL,
};

#[derive(Debug, Clone)]
pub struct DockerRuntime {
    docker: Docker,
}

impl DockerRuntime {
    /// The container's current state.
    async fn state(&self, id: &str) -> Result<bollard::models::ContainerState, ContainerError> {
        Ok(self
            .docker
            .inspect_container(
                id,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
            .map_err(classify)?
            .state
            .unwrap_or_default())
    }

    /// The engine at `DOCKER_HOST` or the local socket, API version negotiated.
    pub async fn connect() -> Result<Self, ContainerError> {
        let docker = Docker::connect_with_local_defaults()
            .map_err(|e| ContainerError::Unavailable(e.to_string()))?
            .negotiate_version()
            .await
            .map_err(|e| ContainerError::Unavailable(e.to_string()))?;
        Ok(DockerRuntime { docker })
    }
}

fn classify(e: BollardError) -> ContainerError {
    match e {
        BollardError::DockerResponseServerError {
            status_code: 404,
            message,
        } => ContainerError::NotFound(message),
        BollardError::DockerResponseServerError {
            status_code: 409,
            message,
        } => ContainerError::Conflict(message),
        BollardError::DockerResponseServerError {
            status_code,
            message,
        } if status_code >= 500 => ContainerError::Unavailable(format!("{status_code}: {message}")),
        BollardError::DockerResponseServerError {
            status_code,
            message,
        } => ContainerError::Refused(format!("{status_code}: {message}")),
        other => ContainerError::Unavailable(other.to_string()),
    }
}

/// The Docker engine's form of a [`ContainerSpec`].
pub fn create_body(spec: &ContainerSpec) -> ContainerCreateBody {
    let mut tmpfs = HashMap::new();
    tmpfs.insert(
        "/tmp".to_owned(),
        format!("rw,noexec,nosuid,nodev,size={}", spec.scratch_bytes),
    );
    let device_requests = (spec.gpus > 0).then(|| {
        vec![DeviceRequest {
            driver: Some("nvidia".into()),
            count: Some(spec.gpus),
            capabilities: Some(vec![vec!["gpu".into()]]),
            ..Default::default()
        }]
    });
    ContainerCreateBody {
        image: Some(spec.image.clone()),
        cmd: spec.cmd.clone(),
        user: Some(spec.user.clone()),
        labels: Some(spec.labels.clone().into_iter().collect()),
        network_disabled: Some(true),
        working_dir: Some("/tmp".into()),
        host_config: Some(HostConfig {
            network_mode: Some("none".into()),
            readonly_rootfs: Some(true),
            cap_drop: Some(vec!["ALL".into()]),
            security_opt: Some(vec!["no-new-privileges".into()]),
            memory: Some(spec.memory_bytes),
            memory_swap: Some(spec.memory_bytes),
            nano_cpus: Some(spec.nano_cpus),
            pids_limit: Some(spec.pids),
            tmpfs: Some(tmpfs),
            binds: Some(vec![format!("{}:/out:rw", spec.output_dir.display())]),
            device_requests,
            init: Some(true),
            // The output quota as the kernel's file-size limit: one write past it fails
            // (and the process gets SIGXFSZ) however the file is written, sparse or not.
            ulimits: Some(vec![ResourcesUlimits {
                name: Some("fsize".into()),
                soft: Some(i64::try_from(spec.max_file_bytes).unwrap_or(i64::MAX)),
                hard: Some(i64::try_from(spec.max_file_bytes).unwrap_or(i64::MAX)),
            }]),
            // The job's stdout and stderr kept on disk: two rotated files of half the
            // quota each.
            log_config: Some(HostConfigLogConfig {
                typ: Some("json-file".into()),
                config: Some(HashMap::from([
                    (
                        "max-size".to_owned(),
                        (spec.log_max_bytes / 2).max(1024).to_string(),
                    ),
                    ("max-file".to_owned(), "2".to_owned()),
                ])),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

impl DockerRuntime {
    /// Commits `base` with `cmd` as its command under `repo:tag` (local only; for demos
    /// and tests, which cannot pull images).
    pub async fn derive_image(
        &self,
        base: &str,
        repo: &str,
        tag: &str,
        cmd: Vec<String>,
    ) -> Result<String, ContainerError> {
        // Per process: two processes deriving the same image at once do not collide.
        let name = format!("computestream-derive-{repo}-{tag}-{}", std::process::id())
            .replace(['/', ':'], "-");
        let _ = self.remove(&name).await;
        let created = self
            .docker
            .create_container(
                Some(CreateContainerOptionsBuilder::new().name(&name).build()),
                ContainerCreateBody {
                    image: Some(base.to_owned()),
                    cmd: Some(cmd.clone()),
                    ..Default::default()
                },
            )
            .await
            .map_err(classify)?;
        let committed = self
            .docker
            .commit_container(
                bollard::query_parameters::CommitContainerOptionsBuilder::new()
                    .container(&created.id)
                    .repo(repo)
                    .tag(tag)
                    .build(),
                bollard::models::ContainerConfig {
                    cmd: Some(cmd),
                    ..Default::default()
                },
            )
            .await
            .map_err(classify);
        self.remove(&created.id).await?;
        committed?;
        Ok(format!("{repo}:{tag}"))
    }
}

impl DockerRuntime {
    /// Creates and starts a container with no sandbox settings but `network none` (a
    /// bridged network costs the engine more than everything else together): the engine's
    /// own create-and-start cost, the raw limit the benchmark compares
    /// [`ContainerRuntime::run`] with. Never used for jobs.
    pub async fn run_unsandboxed(
        &self,
        name: &str,
        image: &str,
        cmd: Vec<String>,
    ) -> Result<String, ContainerError> {
        self.create_and_start(
            name,
            ContainerCreateBody {
                image: Some(image.to_owned()),
                cmd: Some(cmd),
                host_config: Some(HostConfig {
                    network_mode: Some("none".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
    }

    async fn create_and_start(
        &self,
        name: &str,
        body: ContainerCreateBody,
    ) -> Result<String, ContainerError> {
        let created = self
            .docker
            .create_container(
                Some(CreateContainerOptionsBuilder::new().name(name).build()),
                body,
            )
            .await
            .map_err(classify)?;
        self.docker
            .start_container(
                &created.id,
                None::<bollard::query_parameters::StartContainerOptions>,
            )
            .await
            .map_err(classify)?;
        Ok(created.id)
    }
}

impl ContainerRuntime for DockerRuntime {
    async fn start(&self, id: &str) -> Result<(), ContainerError> {
        self.docker
            .start_container(id, None::<bollard::query_parameters::StartContainerOptions>)
            .await
            .map_err(classify)
    }

    async fn image_present(&self, image: &str) -> Result<bool, ContainerError> {
        match self.docker.inspect_image(image).await.map_err(classify) {
            Ok(_) => Ok(true),
            Err(ContainerError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn run(&self, spec: &ContainerSpec) -> Result<String, ContainerError> {
        self.create_and_start(&spec.name, create_body(spec)).await
    }

    async fn wait(&self, id: &str) -> Result<Exit, ContainerError> {
        let mut wait = self
            .docker
            .wait_container(id, Some(WaitContainerOptionsBuilder::new().build()));
        // A non-zero exit arrives as an error carrying the code; the state has the truth.
        let _ = wait.next().await;
        let mut state = self.state(id).await?;
        // The engine records an OOM kill when the kernel's OOM event reaches it, which can be
        // after the exit: a SIGKILLed container (137) is looked at again for up to a second
        // before it counts as killed by something else.
        for _ in 0..10 {
            if state.exit_code != Some(137) || state.oom_killed == Some(true) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            state = self.state(id).await?;
        }
        Ok(Exit {
            code: state.exit_code.unwrap_or(-1),
            oom_killed: state.oom_killed.unwrap_or(false),
        })
    }

    async fn usage(&self, id: &str) -> Result<Option<Usage>, ContainerError> {
        let mut stats = self.docker.stats(
            id,
            Some(
                StatsOptionsBuilder::new()
                    .stream(false)
                    .one_shot(true)
                    .build(),
            ),
        );
        match stats.next().await {
            Some(Ok(s)) => {
                let cpu = s
                    .cpu_stats
                    .and_then(|c| c.cpu_usage)
                    .and_then(|u| u.total_usage);
                let mem = s.memory_stats.and_then(|m| m.usage);
                Ok(cpu.map(|cpu_total_ns| Usage {
                    cpu_total_ns,
                    memory_bytes: mem.unwrap_or(0),
                }))
            }
            Some(Err(e)) => match classify(e) {
                ContainerError::NotFound(_) => Ok(None),
                e => Err(e),
            },
            None => Ok(None),
        }
    }

    async fn stop(&self, id: &str, grace_secs: u32) -> Result<(), ContainerError> {
        match self
            .docker
            .stop_container(
                id,
                Some(
                    StopContainerOptionsBuilder::new()
                        .t(grace_secs as i32)
                        .build(),
                ),
            )
            .await
        {
            Ok(()) => Ok(()),
            // 304: already stopped.
            Err(BollardError::DockerResponseServerError {
                status_code: 304, ..
            }) => Ok(()),
            Err(e) => Err(classify(e)),
        }
    }

    async fn remove(&self, id: &str) -> Result<(), ContainerError> {
        match self
            .docker
            .remove_container(
                id,
                Some(RemoveContainerOptionsBuilder::new().force(true).build()),
            )
            .await
            .map_err(classify)
        {
            Ok(()) | Err(ContainerError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn list(&self, provider: &str) -> Result<Vec<Labelled>, ContainerError> {
        let mut filters = HashMap::new();
        filters.insert(
            "label".to_owned(),
            vec![format!("{PROVIDER_LABEL}={provider}")],
        );
        let found = self
            .docker
            .list_containers(Some(
                ListContainersOptionsBuilder::new()
                    .all(true)
                    .filters(&filters)
                    .build(),
            ))
            .await
            .map_err(classify)?;
        Ok(found
            .into_iter()
            .filter_map(|c| {
                let job_id = c.labels.as_ref()?.get(JOB_LABEL)?.parse().ok()?;
                Some(Labelled {
                    id: c.id?,
                    job_id,
                    running: matches!(c.state, Some(ContainerSummaryStateEnum::RUNNING)),
                    never_started: matches!(c.state, Some(ContainerSummaryStateEnum::CREATED)),
                })
            })
            .collect())
    }

    async fn logs(&self, id: &str, tail: usize) -> Result<String, ContainerError> {
        let mut logs = self.docker.logs(
            id,
            Some(
                LogsOptionsBuilder::new()
                    .stdout(true)
                    .stderr(true)
                    .tail(&tail.to_string())
                    .build(),
            ),
        );
        let mut out = String::new();
        while let Some(chunk) = logs.next().await {
            out.push_str(&chunk.map_err(classify)?.to_string());
            keep_tail(&mut out, LOG_TAIL_BYTES);
        }
        Ok(out)
    }
}

/// Most of a job's log read at once (the tail is kept): a job printing one endless line
/// costs the executor this much, not the line.
pub const LOG_TAIL_BYTES: usize = 64 * 1024;

/// Drops the front of `s` so at most `max` bytes remain (cut at a character boundary).
fn keep_tail(s: &mut String, max: usize) {
    if s.len() <= max {
        return;
    }
    let mut cut = s.len() - max;
    while !s.is_char_boundary(cut) {
        cut += 1;
    }
    s.drain(..cut);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn spec(gpus: i64) -> ContainerSpec {
        ContainerSpec {
            name: "n".into(),
            image: "i".into(),
            cmd: None,
            labels: Default::default(),
            user: "65534:65534".into(),
            memory_bytes: 64 << 20,
            nano_cpus: 1_000_000_000,
            pids: 32,
            scratch_bytes: 8 << 20,
            output_dir: PathBuf::from("/w/out"),
            gpus,
            max_file_bytes: 64 << 20,
            log_max_bytes: 16 << 20,
        }
    }

    #[test]
    fn the_sandbox_is_locked_down() {
        let b = create_body(&spec(0));
        let h = b.host_config.expect("host config");
        assert_eq!(b.network_disabled, Some(true));
        assert_eq!(h.network_mode.as_deref(), Some("none"));
        assert_eq!(h.readonly_rootfs, Some(true));
        assert_eq!(h.cap_drop, Some(vec!["ALL".to_owned()]));
        assert_eq!(h.security_opt, Some(vec!["no-new-privileges".to_owned()]));
        assert_eq!(h.memory, h.memory_swap, "no swap beyond the memory limit");
        assert_eq!(b.user.as_deref(), Some("65534:65534"));
        assert!(h.tmpfs.expect("tmpfs")["/tmp"].contains("size=8388608"));
        assert_eq!(h.binds, Some(vec!["/w/out:/out:rw".to_owned()]));
        assert!(h.device_requests.is_none(), "no GPUs unless asked");
        let fsize = &h.ulimits.expect("ulimits")[0];
        assert_eq!(fsize.name.as_deref(), Some("fsize"));
        assert_eq!(fsize.hard, Some(64 << 20));
        let logs = h.log_config.expect("log config").config.expect("options");
        assert_eq!(logs["max-size"], (8 << 20).to_string());
        assert_eq!(logs["max-file"], "2");
    }

    #[test]
    fn a_long_log_keeps_its_tail() {
        let mut s = "é".repeat(10);
        keep_tail(&mut s, 5);
        assert_eq!(s, "éé");
        let mut short = "abc".to_owned();
        keep_tail(&mut short, 5);
        assert_eq!(short, "abc");
    }

    #[test]
    fn gpus_become_nvidia_device_requests() {
        let h = create_body(&spec(2)).host_config.expect("host config");
        let d = &h.device_requests.expect("device requests")[0];
        assert_eq!(d.driver.as_deref(), Some("nvidia"));
        assert_eq!(d.count, Some(2));
        assert_eq!(d.capabilities, Some(vec![vec!["gpu".to_owned()]]));
    }
}
