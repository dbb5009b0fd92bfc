//! The sandbox a job runs in, decided from the job and the provider's policy: no network,
//! read-only root filesystem with a size-limited scratch tmpfs, every capability dropped,
//! `no-new-privileges`, a non-root user, memory / CPU / process limits, GPUs only when the
//! provider gives them.

use std::collections::BTreeMap;
use std::path::Path;

use crate::container::{ContainerSpec, JOB_LABEL, PROVIDER_LABEL};
use crate::SandboxPolicy;

/// What a job asks to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRequest {
    pub job_id: u64,
    pub image: String,
    pub max_duration_secs: u64,
}

/// `computestream-job-<provider prefix>-<job id>`: unique per job of a provider, so the
/// engine refuses to create a job's container twice.
pub fn container_name(provider: &str, job_id: u64) -> String {
    let p = provider.trim_start_matches("0x");
    format!("computestream-job-{}-{job_id}", &p[..p.len().min(16)])
}

pub fn container_spec(
    job: &JobRequest,
    provider: &str,
    policy: &SandboxPolicy,
    output_dir: &Path,
) -> ContainerSpec {
    let mib = 1024 * 1024;
    let mut labels = BTreeMap::new();
    labels.insert(JOB_LABEL.to_owned(), job.job_id.to_string());
    labels.insert(PROVIDER_LABEL.to_owned(), provider.to_owned());
    ContainerSpec {
        name: container_name(provider, job.job_id),
        image: job.image.clone(),
        cmd: None,
        labels,
        user: policy.user.clone(),
        memory_bytes: (policy.memory_mb * mib) as i64,
        nano_cpus: (policy.cpus * 1e9) as i64,
        pids: policy.pids,
        scratch_bytes: policy.scratch_mb * mib,
        output_dir: output_dir.to_path_buf(),
        gpus: policy.gpus_per_job,
        max_file_bytes: policy.output_max_mb.saturating_mul(mib),
        log_max_bytes: policy.log_max_mb.saturating_mul(mib),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_becomes_the_containers_limits() {
        let policy = SandboxPolicy {
            memory_mb: 256,
            cpus: 0.5,
            pids: 64,
            scratch_mb: 16,
            user: "1000:1000".into(),
            gpus_per_job: 2,
            output_max_mb: 8,
            output_max_files: 10,
            log_max_mb: 4,
        };
        let job = JobRequest {
            job_id: 7,
            image: "img:1".into(),
            max_duration_secs: 60,
        };
        let s = container_spec(&job, "0xabc", &policy, Path::new("/w/7/out"));
        assert_eq!(s.name, "computestream-job-abc-7");
        assert_eq!(s.memory_bytes, 256 << 20);
        assert_eq!(s.nano_cpus, 500_000_000);
        assert_eq!(s.pids, 64);
        assert_eq!(s.scratch_bytes, 16 << 20);
        assert_eq!(s.user, "1000:1000");
        assert_eq!(s.gpus, 2);
        assert_eq!(s.max_file_bytes, 8 << 20);
        assert_eq!(s.log_max_bytes, 4 << 20);
        assert_eq!(s.labels[JOB_LABEL], "7");
        assert_eq!(s.labels[PROVIDER_LABEL], "0xabc");
    }
}
