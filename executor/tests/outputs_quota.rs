//! Issue 24 item 5: a job's outputs cannot take down its provider. On the real Docker
//! engine, under a small quota (8 MiB, 50 entries):
//! - the example, one sparse file of 256 MiB (`dd ... seek=268435455`: 4 KiB on
//!   disk), is refused by the kernel's file-size limit and the job fails with the reason;
//! - a job that creates too many files, and one whose files pass the byte quota together
//!   (each under the file-size limit), are stopped while they run, with the reason;
//! - every second served before is metered and kept, and the same executor then runs a job
//!   within its quota to completion.

mod support;

use computestream_domain::JobStatus;
use computestream_executor::SandboxPolicy;
use computestream_runtime::Shutdown;
use computestream_testkit::chain::create_job;
use computestream_testkit::job_image;
use support::Rig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outputs_past_the_quota_fail_their_job_and_nothing_else() {
    let rig = Rig::start("quota", 4).await;
    let sparse = job_image(
        "sparse",
        "sleep 2; exec dd if=/dev/zero of=/out/big bs=1 count=1 seek=268435455",
    )
    .await;
    let many = job_image(
        "many-files",
        "sleep 2; i=0; while [ $i -lt 200 ]; do : > /out/f$i; i=$((i+1)); done; exec sleep 600",
    )
    .await;
    let bulky = job_image(
        "bulky",
        "sleep 2; for i in 1 2 3; do dd if=/dev/zero of=/out/f$i bs=1048576 count=6; done; exec sleep 600",
    )
    .await;
    let fine = job_image("fine", "echo within > /out/result.txt").await;
    for (buyer, image) in [&sparse, &many, &bulky].into_iter().enumerate() {
        create_job(&rig.running, buyer, rig.provider, image, 600, 1_000_000, 0).await;
    }
    let mut cfg = rig.config();
    cfg.sandbox = SandboxPolicy {
        output_max_mb: 8,
        output_max_files: 50,
        ..cfg.sandbox
    };
    let stop = Shutdown::new();
    let exec = rig.executor(cfg, stop.clone()).await;
    let url = format!("http://{}", exec.endpoint);
    let payers: Vec<_> = (0..3)
        .map(|b| rig.pay_until_done(b, b as u64 + 1, url.clone()))
        .collect();

    for (job, why) in [
        (1, "past its output quota of 8 MiB (SIGXFSZ)"),
        (2, "more than 50 files and directories"),
        (3, "more than 8388608 bytes"),
    ] {
        let (status, _, cid) = rig.wait_terminal(job, 120).await;
        assert_eq!(status, JobStatus::Failed as u8, "job {job}");
        assert_eq!(cid, None, "job {job} stores nothing");
        // The chain has it; wait until the indexer put the failure in the log too.
        let mut reason = String::new();
        for _ in 0..300 {
            if let Some(e) = rig
                .status_events(job)
                .await
                .into_iter()
                .find(|e| e.to == JobStatus::Failed)
            {
                reason = e.reason;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(reason.contains(why), "job {job}: {reason:?}");
        assert!(
            rig.verified_metering(job).await >= 2,
            "job {job}'s served seconds are metered"
        );
    }
    for p in payers {
        assert!(p.await.expect("payer") >= 1, "each job was paid");
    }

    // The same executor, still up, runs a job within its quota.
    create_job(&rig.running, 3, rig.provider, &fine, 60, 1_000_000, 0).await;
    let payer = rig.pay_until_done(3, 4, url.clone());
    let (status, _, cid) = rig.wait_terminal(4, 120).await;
    assert_eq!(status, JobStatus::Completed as u8);
    assert_eq!(
        cid.as_deref(),
        Some(computestream_executor::cid::cid_v1_raw(b"within\n").as_str())
    );
    let _ = payer.await;
    stop.trigger();
    let _ = exec.task.await;
    rig.stop.trigger();
    rig.devnet_stop.trigger();
}
