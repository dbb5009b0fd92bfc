//! Jobs on the real Docker engine, started from the chain and reported back to it: one runs
//! to completion and its output's CID matches the bytes; one exceeding its max duration is
//! stopped; one exceeding its memory limit fails with that reason; the sandbox holds (the
//! network, the root filesystem and privileges are each refused); one whose buyer does not
//! pay is stopped after the grace period; one whose image is missing fails without running.
//! Every metered second is signed and hash-chained without gaps.

mod support;

use computestream_domain::JobStatus;
use computestream_executor::cid::cid_v1_raw;
use computestream_executor::ArtifactStore;
use computestream_runtime::Shutdown;
use computestream_testkit::chain::create_job;
use computestream_testkit::job_image;
use support::Rig;

const SANDBOX: &str = r#"r=/out/report.txt
if busybox wget -q -T 3 -O /dev/null http://93.184.216.34/ 2>/dev/null; then echo "network: OPEN" >> $r; else echo "network: blocked" >> $r; fi
if touch /written-to-root 2>/dev/null; then echo "rootfs: WRITABLE" >> $r; else echo "rootfs: blocked" >> $r; fi
if busybox mknod /tmp/null c 1 3 2>/dev/null; then echo "mknod: ALLOWED" >> $r; else echo "privileges: blocked" >> $r; fi
echo "uid: $(id -u)" >> $r"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_run_sandboxed_and_report_their_outcomes() {
    let rig = Rig::start("jobs", 0).await;
    let done = job_image(
        "done",
        "echo computing; sleep 2; echo hello world > /out/result.txt",
    )
    .await;
    let forever = job_image("forever", "exec sleep 600").await;
    let hog = job_image("hog", "exec dd if=/dev/zero of=/dev/null bs=256M count=1").await;
    let sandbox = job_image("sandbox", SANDBOX).await;
    // Jobs 1..=6, in creation order, each by its own buyer.
    create_job(&rig.running, 0, rig.provider, &done, 60, 1_000_000, 0).await;
    create_job(&rig.running, 1, rig.provider, &forever, 3, 1_000_000, 0).await;
    create_job(&rig.running, 2, rig.provider, &hog, 60, 1_000_000, 0).await;
    create_job(&rig.running, 3, rig.provider, &sandbox, 60, 1_000_000, 0).await;
    create_job(&rig.running, 4, rig.provider, &forever, 600, 1_000_000, 0).await;
    create_job(
        &rig.running,
        5,
        rig.provider,
        "computestream/not-here:1",
        60,
        1_000_000,
        0,
    )
    .await;
    // Job 7: paid, then cancelled by its buyer.
    create_job(&rig.running, 6, rig.provider, &forever, 600, 1_000_000, 0).await;

    let stop = Shutdown::new();
    let exec = rig.executor(rig.config(), stop.clone()).await;
    let url = format!("http://{}", exec.endpoint);
    let payers: Vec<_> = [(0, 1), (1, 2), (2, 3), (3, 4), (6, 7)]
        .into_iter()
        .map(|(buyer, job)| rig.pay_until_done(buyer, job, url.clone()))
        .collect();

    let completed = rig.wait_terminal(1, 120).await;
    assert_eq!(completed.0, JobStatus::Completed as u8);
    let cid = completed.2.expect("an output CID on chain");
    assert_eq!(cid, cid_v1_raw(b"hello world\n"), "the CID is the output's");
    let store = ArtifactStore::open(&rig.config().artifacts_url, &rig.config().s3).expect("store");
    assert_eq!(store.fetch(&cid).await.expect("stored"), b"hello world\n");
    assert!(completed.1.expect("url").ends_with(&cid));
    // Its buyer downloads the outputs from the provider's endpoint, checked against the
    // CID on chain; anyone else is refused, and so is a job without outputs.
    let got = rig
        .buyer(0)
        .download_outputs(&url, 1, &cid)
        .await
        .expect("the buyer downloads job 1's outputs");
    assert_eq!(got, b"hello world\n");
    let stranger = rig.buyer(1).download_outputs(&url, 1, &cid).await;
    assert!(
        matches!(&stranger, Err(e) if e.to_string().contains("401")),
        "{stranger:?}"
    );
    // The ended job's final state is free; its logs are its buyer's only.
    let ended = |auth: Option<String>| {
        let mut r = reqwest::Client::new().get(format!("{url}/jobs/1"));
        if let Some(a) = auth {
            r = r.header(computestream_executor::outputs_http::AUTHORIZATION, a);
        }
        async move {
            r.send()
                .await
                .expect("get")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    let sign = |buyer: usize| {
        computestream_domain::outputs_access::sign_outputs_access(
            computestream_domain::VoucherContext {
                chain_id: computestream_testkit::chain::identity().chain_id,
                package: computestream_testkit::chain::identity().package,
            },
            1,
            &computestream_domain::SigningKey::from_seed(computestream_devnet::load::buyer_seed(
                buyer,
            )),
            computestream_runtime::now_ms() + 60_000,
        )
    };
    let public = ended(None).await;
    assert_eq!(public["status"], "completed", "{public}");
    assert!(public["logs"].is_null(), "{public}");
    assert!(ended(Some(sign(1))).await["logs"].is_null(), "another key");
    assert!(ended(Some(sign(0))).await["logs"].is_string(), "its buyer");
    let mismatch = rig.buyer(0).download_outputs(&url, 1, "bafkreinot").await;
    assert!(
        matches!(
            mismatch,
            Err(computestream_executor::BuyerError::OutputsMismatch { .. })
        ),
        "{mismatch:?}"
    );

    assert_eq!(rig.wait_terminal(2, 120).await.0, JobStatus::Failed as u8);
    let none = rig.buyer(1).download_outputs(&url, 2, "bafkrei").await;
    assert!(
        matches!(&none, Err(e) if e.to_string().contains("404")),
        "a failed job has no outputs: {none:?}"
    );
    assert_eq!(rig.wait_terminal(3, 120).await.0, JobStatus::Failed as u8);
    let sandboxed = rig.wait_terminal(4, 120).await;
    assert_eq!(sandboxed.0, JobStatus::Completed as u8);
    let report = store
        .fetch(&sandboxed.2.expect("report cid"))
        .await
        .expect("report");
    let report = String::from_utf8_lossy(&report);
    for line in [
        "network: blocked",
        "rootfs: blocked",
        "privileges: blocked",
        "uid: 65534",
    ] {
        assert!(
            report.contains(line),
            "sandbox report lacks {line:?}:\n{report}"
        );
    }
    assert_eq!(rig.wait_terminal(5, 120).await.0, JobStatus::Failed as u8);
    assert_eq!(rig.wait_terminal(6, 60).await.0, JobStatus::Failed as u8);
    // Job 7 runs a few seconds, then its buyer cancels it.
    for _ in 0..300 {
        if rig.verified_metering_or_zero(7).await >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let cancel = computestream_devnet::load::sign_call(
        computestream_testkit::chain::identity(),
        computestream_devnet::load::buyer_seed(6),
        1,
        "job_registry",
        "update_job_status",
        vec![
            aptos_sdk::aptos_bcs::to_bytes(&7u64).expect("bcs"),
            aptos_sdk::aptos_bcs::to_bytes(&(JobStatus::Cancelled as u8)).expect("bcs"),
        ],
        computestream_testkit::chain::expiry(),
    )
    .expect("sign");
    rig.running
        .submit_all(vec![cancel.to_bcs().expect("bcs")])
        .await
        .expect("cancel");
    assert_eq!(rig.wait_terminal(7, 60).await.0, JobStatus::Cancelled as u8);
    for p in payers {
        p.await.expect("payer");
    }

    // Reasons and exit codes, from the indexed status changes.
    let mut reasons = Vec::new();
    for job in 1..=6u64 {
        let mut events = Vec::new();
        for _ in 0..100 {
            events = rig.status_events(job).await;
            if events.iter().any(|e| e.to.is_terminal()) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let last = events.last().cloned().expect("status events");
        reasons.push((job, last.exit_code, last.reason));
    }
    println!("{reasons:#?}");
    assert_eq!(reasons[0].1, Some(0));
    assert!(reasons[1].2.contains("max duration"), "{:?}", reasons[1]);
    assert!(reasons[2].2.contains("out of memory"), "{:?}", reasons[2]);
    assert!(reasons[4].2.contains("payment stopped"), "{:?}", reasons[4]);
    assert!(reasons[5].2.contains("not present"), "{:?}", reasons[5]);
    // A job never started is never marked running.
    assert!(rig
        .status_events(6)
        .await
        .iter()
        .all(|e| e.to != JobStatus::Running));

    // Metering: job 2 ran about 3 seconds; every record verifies and chains.
    assert!(rig.verified_metering(2).await >= 3);

    // Evidence (docs/DISPUTES.md): every job that ran committed the head of its metering
    // chain and its seconds on chain, with its outcome or after its cancellation (job 7);
    // the job that never started (6) committed nothing.
    for job in [1u64, 2, 3, 4, 5] {
        let committed = rig
            .committed_evidence(job)
            .await
            .unwrap_or_else(|| panic!("job {job}: no evidence committed"));
        let (head, seconds) = rig.metering_head(job).await;
        assert_eq!(
            committed.metering_head, head,
            "job {job}: the committed head"
        );
        assert_eq!(
            committed.metered_seconds, seconds,
            "job {job}: the committed seconds"
        );
        assert_eq!(committed.provider, rig.provider);
    }
    // The cancelled job commits too, exactly the log's chain of records.
    let committed = rig
        .committed_evidence(7)
        .await
        .expect("job 7: evidence committed");
    let (head, seconds) = rig.metering_head(7).await;
    assert!(rig.verified_metering(7).await >= 3);
    assert_eq!(
        (committed.metering_head, committed.metered_seconds),
        (head, seconds),
        "job 7: the committed head is the log's (docs/DISPUTES.md)"
    );
    assert!(rig.committed_evidence(6).await.is_none());
    stop.trigger();
    exec.task
        .await
        .expect("join")
        .expect("executor stopped cleanly");
    rig.stop.trigger();
    rig.devnet_stop.trigger();
}
