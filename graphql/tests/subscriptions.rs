//! Subscriptions end to end over `graphql-transport-ws` with a real WebSocket client: an
//! event produced to the broker reaches a subscriber; two gateway replicas on the same log
//! both deliver every update to their own subscribers; job status changes arrive too.

mod support;

use computestream_domain::{MeteringRecord, Octas, Voucher, METERING_GENESIS_HASH};
use computestream_eventlog::EnvelopeProducer;
use computestream_runtime::Shutdown;
use computestream_schemas::events::{
    JobStatusChanged, MeteringTick, StreamSettled, VoucherReceived,
};
use computestream_schemas::Envelope;
use serde_json::json;
use support::{
    buyer_of_job, config, gateway, next_json, provider_of_job, seeded, sign_in, subscribe,
    subscribe_as, Client,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_both_deliver_every_update() {
    // Job 1's history has 30 s; the live events below continue its metering chain's
    // numbering (the gateway does not verify; the settler does).
    let s = seeded(10, 30).await;
    let stop = Shutdown::new();
    let a = gateway(&s, config(), None, stop.clone()).await;
    let b = gateway(&s, config(), None, stop.clone()).await;
    let q = "subscription($j: ID!) { paymentStream(jobId: $j) { kind jobId attestedSeconds accrued vouchered settled atMs } }";
    // The buyer of job 1 on replica a, its provider on replica b (a session is valid on
    // the replica that opened it); a watcher without a session sees no off-chain update.
    let buyer = sign_in(&Client::new(a.addr), &buyer_of_job(1)).await;
    let provider_token = sign_in(&Client::new(b.addr), &provider_of_job(1)).await;
    let mut wa = subscribe_as(a.addr, q, json!({"j": "1"}), Some(&buyer)).await;
    let mut wb = subscribe_as(b.addr, q, json!({"j": "1"}), Some(&provider_token)).await;
    let mut public = subscribe(a.addr, q, json!({"j": "1"})).await;
    let mut status = subscribe(
        a.addr,
        "subscription { jobStatus(jobId: \"2\") { jobId from to reason } }",
        json!({}),
    )
    .await;
    // Let the server register the subscriptions before producing.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let producer = EnvelopeProducer::new(&s.kafka, "gw-test").expect("producer");
    let provider = provider_of_job(1);
    let provider_addr = computestream_domain::ed25519_authentication_key(&provider.public_key());
    let record = MeteringRecord {
        chain_id: 4,
        package: computestream_domain::AccountAddress::new([0xc5; 32]),
        stream_id: 1,
        provider: provider_addr,
        second: 31,
        prev_hash: METERING_GENESIS_HASH,
        observed_at_ms: computestream_runtime::now_ms(),
        cpu_usage_micros: 1,
        memory_bytes: 1,
        gpu: None,
    };
    producer
        .send(&Envelope::metering_tick(MeteringTick {
            record: record.sign(&provider),
        }))
        .await
        .expect("tick");
    let voucher = Voucher {
        chain_id: 4,
        package: computestream_domain::AccountAddress::new([0xc5; 32]),
        stream_id: 1,
        cumulative_amount: Octas(31_000),
    }
    .sign(&buyer_of_job(1));
    producer
        .send(&Envelope::voucher(
            provider_addr,
            computestream_runtime::now_ms(),
            VoucherReceived {
                voucher,
                second: 31,
                commitment_id: voucher.voucher.commitment_id(),
            },
        ))
        .await
        .expect("voucher");

    for ws in [&mut wa, &mut wb] {
        let tick = next_json(ws).await;
        assert_eq!(tick["type"], "next", "{tick}");
        let u = &tick["payload"]["data"]["paymentStream"];
        assert_eq!(u["kind"], "tick");
        assert_eq!(u["jobId"], "1");
        assert_eq!(u["attestedSeconds"], "31");
        assert_eq!(u["accrued"], "31000");
        let v = next_json(ws).await;
        assert_eq!(v["payload"]["data"]["paymentStream"]["kind"], "voucher");
        assert_eq!(v["payload"]["data"]["paymentStream"]["vouchered"], "31000");
    }

    producer
        .send(&Envelope::chain(
            4,
            999_999,
            0,
            computestream_runtime::now_ms(),
            JobStatusChanged {
                job_id: 2,
                from: computestream_domain::JobStatus::Running,
                to: computestream_domain::JobStatus::Failed,
                actor: provider_addr,
                exit_code: Some(1),
                reason: "exited with code 1".into(),
                output_url: None,
                output_cid: None,
            },
        ))
        .await
        .expect("status");
    let st = next_json(&mut status).await;
    assert_eq!(st["payload"]["data"]["jobStatus"]["to"], "failed", "{st}");
    assert_eq!(
        st["payload"]["data"]["jobStatus"]["reason"],
        "exited with code 1"
    );

    // A settlement is a chain fact: the watcher without a session gets it (its first
    // message: no tick or voucher reached it), with the off-chain fields null.
    producer
        .send(&Envelope::chain(
            4,
            1_000_000,
            0,
            computestream_runtime::now_ms(),
            StreamSettled {
                stream_id: 1,
                cumulative_amount: Octas(31_000),
                paid_now: Octas(1_000),
                paid_total: Octas(31_000),
            },
        ))
        .await
        .expect("settled");
    let p = next_json(&mut public).await;
    let u = &p["payload"]["data"]["paymentStream"];
    assert_eq!(u["kind"], "settled", "{p}");
    assert_eq!(u["settled"], "31000");
    assert!(u["attestedSeconds"].is_null() && u["accrued"].is_null() && u["vouchered"].is_null());
    let u = next_json(&mut wa).await;
    assert_eq!(u["payload"]["data"]["paymentStream"]["kind"], "settled");
    assert_eq!(u["payload"]["data"]["paymentStream"]["accrued"], "31000");

    stop.trigger();
    let _ = a.task.await;
    let _ = b.task.await;
    s.db.drop_now().await;
}
