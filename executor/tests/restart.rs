//! The executor crashes mid-job (its task is dropped at an arbitrary await point, as a
//! kill -9 would leave things: the container running, the log and the chain as they were)
//! and a new executor takes over: it re-adopts the running container, continues the
//! metering chain without a gap or a fork, and reports the outcome once. No job is started
//! twice.

mod support;

use std::time::Duration;

use computestream_domain::JobStatus;
use computestream_runtime::Shutdown;
use computestream_testkit::chain::create_job;
use computestream_testkit::job_image;
use support::Rig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_executor_readopts_its_running_job() {
    let rig = Rig::start("restart", 1).await;
    let image = job_image("slow", "sleep 8; echo finished > /out/done.txt").await;
    create_job(&rig.running, 0, rig.provider, &image, 120, 1_000_000, 0).await;

    let (first, crash, thread) = rig.crashable_executor(rig.config());
    let payer = rig.pay_until_done(0, 1, format!("http://{first}"));
    // Let it run a few seconds, then crash it.
    for _ in 0..200 {
        if rig.job_status(1) == JobStatus::Running as u8 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    crash.send(()).expect("crash");
    tokio::task::spawn_blocking(move || thread.join())
        .await
        .expect("join")
        .expect("crashed");
    payer.abort();

    // The second executor, on a new port; the buyer follows it.
    let stop = Shutdown::new();
    let second = rig.executor(rig.config(), stop.clone()).await;
    let payer = rig.pay_until_done(0, 1, format!("http://{}", second.endpoint));
    let (status, _, cid) = rig.wait_terminal(1, 120).await;
    assert_eq!(status, JobStatus::Completed as u8);
    assert!(cid.is_some(), "its output was stored");
    payer.await.expect("payer");

    let changes = rig.status_events(1).await;
    let started = changes
        .iter()
        .filter(|c| c.to == JobStatus::Running)
        .count();
    assert_eq!(started, 1, "started exactly once: {changes:?}");
    assert_eq!(
        changes.iter().filter(|c| c.to.is_terminal()).count(),
        1,
        "one outcome"
    );

    // The metering chain spans both executors without a gap, a repeat or a fork; seconds
    // while no executor watched are not metered (nor billed).
    assert!(rig.verified_metering(1).await >= 4);
    stop.trigger();
    second
        .task
        .await
        .expect("join")
        .expect("executor stopped cleanly");
    rig.stop.trigger();
    rig.devnet_stop.trigger();
}
