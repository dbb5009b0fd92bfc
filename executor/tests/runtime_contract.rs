//! The container-runtime port's contract, run against its adapter (`DockerRuntime`,
//! bollard) on the real engine: images present or not, run, usage, logs, the job label
//! listing, refusing a second container with the same name, stop, exit codes, removal; and a
//! container created but never started (an executor stopped between the two) is listed as
//! such and can be started.

use std::time::Duration;

use computestream_executor::container::{ContainerError, ContainerRuntime, ContainerSpec};
use computestream_executor::sandbox::{container_spec, JobRequest};
use computestream_executor::{DockerRuntime, SandboxPolicy};
use computestream_testkit::test_image;

async fn contract<R: ContainerRuntime>(rt: &R) {
    let provider = format!("0xcontract{}", std::process::id());
    let dir = std::env::temp_dir().join(format!("cs-rt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    assert!(rt.image_present(&test_image()).await.expect("inspect"));
    assert!(!rt
        .image_present("computestream/absent:0")
        .await
        .expect("inspect"));

    let job = JobRequest {
        job_id: 900_000 + u64::from(std::process::id()),
        image: test_image(),
        max_duration_secs: 60,
    };
    let mut spec: ContainerSpec = container_spec(&job, &provider, &SandboxPolicy::default(), &dir);
    spec.cmd = Some(vec![
        "sh".into(),
        "-c".into(),
        "echo started; yes > /dev/null & sleep 30".into(),
    ]);
    let id = rt.run(&spec).await.expect("run");
    assert!(
        matches!(rt.run(&spec).await, Err(ContainerError::Conflict(_))),
        "one container per job"
    );
    let listed = rt.list(&provider).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].job_id, job.job_id);
    assert!(listed[0].running);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let usage = rt.usage(&id).await.expect("usage").expect("running");
    assert!(usage.cpu_total_ns > 0);
    assert!(rt.logs(&id, 10).await.expect("logs").contains("started"));
    rt.stop(&id, 1).await.expect("stop");
    let exit = rt.wait(&id).await.expect("wait");
    assert_ne!(exit.code, 0, "stopped, not exited by itself");
    rt.stop(&id, 1)
        .await
        .expect("stopping a stopped container is fine");
    rt.remove(&id).await.expect("remove");
    rt.remove(&id).await.expect("removing twice is fine");
    assert!(rt.list(&provider).await.expect("list").is_empty());
    assert!(matches!(
        rt.wait("no-such-container").await,
        Err(ContainerError::NotFound(_))
    ));

    // An exit code travels back.
    let mut spec = container_spec(
        &JobRequest {
            job_id: job.job_id + 1,
            ..job
        },
        &provider,
        &SandboxPolicy::default(),
        &dir,
    );
    spec.cmd = Some(vec!["sh".into(), "-c".into(), "exit 3".into()]);
    let id = rt.run(&spec).await.expect("run");
    assert_eq!(rt.wait(&id).await.expect("wait").code, 3);
    rt.remove(&id).await.expect("remove");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_runtime_keeps_the_ports_contract() {
    let rt = DockerRuntime::connect().await.expect("docker");
    contract(&rt).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_created_but_never_started_is_listed_so_and_starts() {
    let rt = DockerRuntime::connect().await.expect("docker");
    let provider = format!("0xcreated{}", std::process::id());
    let dir = std::env::temp_dir().join(format!("cs-rt-created-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let job = JobRequest {
        job_id: 950_000 + u64::from(std::process::id()),
        image: test_image(),
        max_duration_secs: 60,
    };
    let mut spec = container_spec(&job, &provider, &SandboxPolicy::default(), &dir);
    spec.cmd = Some(vec!["sh".into(), "-c".into(), "sleep 30".into()]);
    // Created the way `run` creates it, then left unstarted (as a crash would leave it).
    let docker = computestream_testkit::docker().await;
    let created = docker
        .create_container(
            Some(
                bollard::query_parameters::CreateContainerOptionsBuilder::new()
                    .name(&spec.name)
                    .build(),
            ),
            computestream_executor::create_body(&spec),
        )
        .await
        .expect("create");
    let listed = rt.list(&provider).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].never_started && !listed[0].running);
    rt.start(&created.id).await.expect("start");
    let listed = rt.list(&provider).await.expect("list");
    assert!(listed[0].running && !listed[0].never_started);
    rt.stop(&created.id, 1).await.expect("stop");
    rt.remove(&created.id).await.expect("remove");
    let _ = std::fs::remove_dir_all(&dir);
}
