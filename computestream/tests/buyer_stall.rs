//! Buyers that stall: two `computestream buy` processes pay two jobs of one executor
//! (grace 10 s). One is stopped with SIGSTOP for 8 s, the other for 15 s, then both are
//! continued. The first catches up in one voucher and its job completes; the second's job is
//! stopped by its executor with the unpaid reason (a buyer that stalls past the grace loses
//! its job; one that stalls within it does not — a busy machine kills no paid job).

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use computestream_chain::{Account, Caller, RestChain};
use computestream_devnet::load;
use computestream_domain::{JobStatus, SigningKey};
use computestream_executor::{DockerRuntime, Executor, ExecutorConfig, SandboxPolicy};
use computestream_runtime::{Health, Secret, Shutdown};
use computestream_schemas::{topics, Event};
use computestream_testkit::chain::{create_job, devnet, identity, indexer, register_provider};

const JOB_SECONDS: u64 = 45;
const GRACE: u64 = 10;

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok, "kill {sig} {}", child.id());
}

/// A `computestream buy` process; what it prints goes to `log`.
fn buyer(endpoint: &str, job: u64, buyer: usize, log: &std::path::Path) -> Child {
    let out = std::fs::File::create(log).expect("buyer log");
    let err = out.try_clone().expect("buyer log");
    Command::new(env!("CARGO_BIN_EXE_computestream"))
        .args(["buy", "--executor", endpoint, "--job", &job.to_string()])
        .env(
            "COMPUTESTREAM_BUYER__KEY",
            hex::encode(load::buyer_seed(buyer)),
        )
        .env("COMPUTESTREAM_SIDE_PORT", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .expect("spawn computestream buy")
}

fn status(running: &computestream_devnet::Running, job: u64) -> Option<u8> {
    computestream_testkit::chain::job_on_chain(running, job).map(|(s, _, _)| s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_that_stalls_within_the_grace_keeps_its_job_and_one_past_it_loses_it() {
    let (running, devnet_stop) = devnet().await;
    let kafka = computestream_testkit::kafka();
    computestream_eventlog::admin::ensure_topics(&kafka, &topics::ALL)
        .await
        .expect("topics");
    let stop = Shutdown::new();
    let index = tokio::spawn(indexer(&running, &kafka).run(None, stop.child()));

    let provider_index = 40;
    let provider = register_provider(&running, provider_index).await;
    computestream_testkit::remove_job_containers(&provider.to_long_string()).await;
    let image = computestream_testkit::job_image(
        "stall",
        &format!("i=0; while [ $i -lt {JOB_SECONDS} ]; do i=$((i+1)); echo step $i; sleep 1; done"),
    )
    .await;
    let rate = load::PRICE_PER_SECOND;
    create_job(&running, 40, provider, &image, 600, 600 * rate, 0).await;
    create_job(&running, 41, provider, &image, 600, 600 * rate, 0).await;

    let seed = load::provider_seed(provider_index);
    let work = std::env::temp_dir().join(format!("cs-stall-{}", std::process::id()));
    let config = ExecutorConfig {
        node_url: running.rest_url(),
        private_key: Some(Secret::new(hex::encode(seed))),
        listen: "127.0.0.1:0".parse().expect("addr"),
        work_dir: work.join("jobs"),
        artifacts_url: format!("file://{}", work.join("artifacts").display()),
        grace_secs: GRACE,
        payment_ahead_secs: 3,
        heartbeat_secs: 1,
        sandbox: SandboxPolicy {
            memory_mb: 64,
            ..SandboxPolicy::default()
        },
        ..ExecutorConfig::default()
    };
    let caller = Caller::new(
        RestChain::new(
            &running.rest_url(),
            identity().package,
            Duration::from_secs(5),
        )
        .expect("chain"),
        Account::new(seed, identity().chain_id, identity().package).expect("key"),
        Duration::from_secs(20),
    );
    let exec = Executor::new(
        Arc::new(DockerRuntime::connect().await.expect("docker")),
        Arc::new(caller),
        kafka.clone(),
        config,
        SigningKey::from_seed(seed),
        identity().voucher_context(),
        Health::new(),
    )
    .start(None, stop.child())
    .await
    .expect("executor");
    let endpoint = format!("http://{}", exec.endpoint);

    // Both jobs running, both buyers paying.
    std::fs::create_dir_all(&work).expect("work dir");
    let logs = [work.join("buyer-1.log"), work.join("buyer-2.log")];
    let mut steady = buyer(&endpoint, 1, 40, &logs[0]);
    let mut late = buyer(&endpoint, 2, 41, &logs[1]);
    for _ in 0..600 {
        if status(&running, 1) == Some(JobStatus::Running as u8)
            && status(&running, 2) == Some(JobStatus::Running as u8)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;

    // Both buyers stall; one comes back after 8 s, the other after 15 s.
    signal(&steady, "-STOP");
    signal(&late, "-STOP");
    tokio::time::sleep(Duration::from_secs(8)).await;
    signal(&steady, "-CONT");
    tokio::time::sleep(Duration::from_secs(7)).await;
    signal(&late, "-CONT");

    // Job 1 completes (its buyer caught up); job 2 was stopped for want of payment.
    for _ in 0..1200 {
        if status(&running, 1).is_some_and(|s| s >= 2)
            && status(&running, 2).is_some_and(|s| s >= 2)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status(&running, 1),
        Some(JobStatus::Completed as u8),
        "the buyer stalled 8 s of a 10 s grace"
    );
    assert_eq!(
        status(&running, 2),
        Some(JobStatus::Failed as u8),
        "the buyer stalled 15 s"
    );
    let events = computestream_testkit::read_topic(
        &kafka,
        topics::CHAIN_EVENTS.name,
        topics::CHAIN_EVENTS.partitions,
    )
    .await;
    let reason = events
        .iter()
        .filter_map(|r| computestream_schemas::Envelope::from_json(&r.payload).ok())
        .find_map(|e| match e.event {
            Event::JobStatusChanged(c) if c.job_id == 2 && c.to == JobStatus::Failed => {
                Some(c.reason)
            }
            _ => None,
        })
        .expect("job 2's failure in the log");
    assert!(
        reason.starts_with("payment stopped: vouchers pay for")
            && reason.ends_with(&format!("(grace {GRACE} s)")),
        "{reason}"
    );

    for child in [&mut steady, &mut late] {
        let _ = child.kill();
        let _ = child.wait();
    }
    stop.trigger();
    let _ = exec.task.await;
    let _ = index.await;
    devnet_stop.trigger();
    let _ = running.task.await;
    let _ = std::fs::remove_dir_all(&work);
}
