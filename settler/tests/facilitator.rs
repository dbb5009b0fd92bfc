//! The x402 facilitator against the v2 field names: `/supported`, `/verify` and `/settle`
//! for a valid voucher, and each rejection case with its reason and nothing stored.

mod support;

use std::time::Duration;

use computestream_devnet::load;
use computestream_domain::{
    ed25519_authentication_key, AccountAddress, Octas, SigningKey, Voucher,
};
use computestream_runtime::Shutdown;
use computestream_schemas::x402::{reason, FacilitatorRequest, PaymentRequirements};
use computestream_schemas::{topics, Envelope, Event};
use computestream_testkit::chain::identity;
use serde_json::{json, Value};
use support::{settler_config, Pipeline};

const RATE: u64 = load::PRICE_PER_SECOND;

async fn post(http: &reqwest::Client, url: &str, body: &Value) -> Value {
    let r = http.post(url).json(body).send().await.expect("post");
    assert!(r.status().is_success(), "{url}: HTTP {}", r.status());
    r.json().await.expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facilitator_speaks_x402_v2_and_rejects_bad_payments() {
    let mut p = Pipeline::start(2).await;
    let stop = Shutdown::new();
    let mut cfg = settler_config(&p.running.rest_url());
    cfg.interval_secs = 3_600; // nothing is redeemed during this test
    let settler = p.settler(cfg, stop.clone()).await;
    p.pay_seconds(1).await;
    let base = format!("http://{}", settler.facilitator);
    let http = reqwest::Client::new();
    let s = p.streams[0].clone();
    let reqs = || {
        PaymentRequirements::for_stream(
            identity().chain_id,
            identity().package,
            s.stream_id,
            s.rate,
            s.provider_address(),
        )
    };
    let body = |v: &computestream_domain::SignedVoucher| {
        serde_json::to_value(FacilitatorRequest::voucher(reqs(), v)).expect("json")
    };

    let supported: Value = http
        .get(format!("{base}/supported"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(supported["kinds"][0]["x402Version"], 2);
    assert_eq!(supported["kinds"][0]["scheme"], "batch-settlement");
    assert_eq!(supported["kinds"][0]["network"], "movement:4");

    // The stream becomes known once the settler has read its opening from the log.
    let good = s.voucher(Octas(2 * RATE));
    let mut verdict = Value::Null;
    for _ in 0..300 {
        verdict = post(&http, &format!("{base}/verify"), &body(&good)).await;
        if verdict["isValid"] == true {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(verdict["isValid"], true, "{verdict}");
    let buyer = ed25519_authentication_key(&s.buyer.public_key()).to_long_string();
    assert_eq!(verdict["payer"], buyer.as_str());

    let settled = post(&http, &format!("{base}/settle"), &body(&good)).await;
    assert_eq!(settled["success"], true, "{settled}");
    assert_eq!(settled["transaction"], "");
    assert_eq!(settled["amount"], "");
    assert_eq!(settled["network"], "movement:4");
    assert_eq!(settled["payer"], buyer.as_str());
    let commitment = good.voucher.commitment_id();
    assert_eq!(settled["extra"]["commitmentId"], commitment.as_str());

    // The response was lost: the same request again, at once from eight clients and in
    // another JSON layout, gets the original answer back (the same commitment id), and the
    // commitment is stored once.
    let settle_url = format!("{base}/settle");
    let good_body = body(&good);
    let again =
        futures::future::join_all((0..8).map(|_| post(&http, &settle_url, &good_body))).await;
    for a in &again {
        assert_eq!(a, &settled, "a repeated /settle gets the original answer");
    }
    let spaced = serde_json::to_string_pretty(&body(&good)).expect("json");
    let r: Value = http
        .post(format!("{base}/settle"))
        .header("content-type", "application/json")
        .body(spaced)
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(r, settled, "whitespace does not make another request");
    let v = post(&http, &format!("{base}/verify"), &body(&good)).await;
    assert_eq!(v, verdict, "a repeated /verify gets the original answer");

    // Each rejection, with its reason.
    let mallory = SigningKey::from_seed([0x66; 32]);
    let voucher_for = |chain_id: u8, stream_id: u64, amount: u64, key: &SigningKey| {
        Voucher {
            chain_id,
            package: identity().package,
            stream_id,
            cumulative_amount: Octas(amount),
        }
        .sign(key)
    };
    let mut tampered = s.voucher(Octas(3 * RATE));
    tampered.voucher.cumulative_amount = Octas(4 * RATE);
    // The settled voucher in another request (not a repetition): it no longer advances.
    let mut replayed = body(&good);
    replayed["paymentPayload"]["resource"] = json!({"url": "http://elsewhere/jobs/1"});
    let mut cases: Vec<(&str, Value, &str)> = vec![
        ("replayed", replayed, reason::CUMULATIVE_AMOUNT_MISMATCH),
        (
            "decreasing",
            body(&s.voucher(Octas(RATE + 1))),
            reason::CUMULATIVE_AMOUNT_MISMATCH,
        ),
        ("tampered", body(&tampered), reason::INVALID_SIGNATURE),
        (
            "another signer",
            body(&voucher_for(4, s.stream_id, 3 * RATE, &mallory)),
            reason::INVALID_SIGNATURE,
        ),
        (
            "voucher for another chain",
            body(&voucher_for(126, s.stream_id, 3 * RATE, &s.buyer)),
            reason::INVALID_NETWORK,
        ),
        (
            "above escrow",
            body(&s.voucher(Octas(load::ESCROW + 1))),
            reason::INSUFFICIENT_FUNDS,
        ),
    ];
    let mut wrong_network = body(&s.voucher(Octas(3 * RATE)));
    wrong_network["paymentRequirements"]["network"] = json!("movement:126");
    wrong_network["paymentPayload"]["accepted"]["network"] = json!("movement:126");
    cases.push(("wrong network", wrong_network, reason::INVALID_NETWORK));
    let mut unknown = body(&voucher_for(4, 999, 3 * RATE, &s.buyer));
    unknown["paymentRequirements"]["extra"]["streamId"] = json!("999");
    cases.push(("unknown stream", unknown, reason::STREAM_NOT_FOUND));
    let mut other_stream = body(&s.voucher(Octas(3 * RATE)));
    other_stream["paymentRequirements"]["extra"]["streamId"] = json!("2");
    cases.push(("stream mismatch", other_stream, reason::STREAM_MISMATCH));
    let mut pay_to = body(&s.voucher(Octas(3 * RATE)));
    pay_to["paymentRequirements"]["payTo"] = json!(AccountAddress::new([9; 32]).to_long_string());
    cases.push(("receiver mismatch", pay_to, reason::RECEIVER_MISMATCH));
    let mut version = body(&s.voucher(Octas(3 * RATE)));
    version["x402Version"] = json!(1);
    cases.push(("x402 v1", version, reason::INVALID_X402_VERSION));
    let mut scheme = body(&s.voucher(Octas(3 * RATE)));
    scheme["paymentRequirements"]["scheme"] = json!("exact");
    cases.push(("scheme exact", scheme, reason::UNSUPPORTED_SCHEME));
    let mut asset = body(&s.voucher(Octas(3 * RATE)));
    asset["paymentRequirements"]["asset"] = json!("0x1::fake::Coin");
    cases.push(("asset", asset, reason::ASSET_MISMATCH));
    let mut garbage = body(&s.voucher(Octas(3 * RATE)));
    garbage["paymentPayload"]["payload"]["voucher"]["signature"] = json!("0xzz");
    cases.push(("malformed signature", garbage, reason::INVALID_PAYLOAD));
    cases.push((
        "not a payment",
        json!({"hello": "world"}),
        reason::INVALID_PAYLOAD,
    ));

    for (what, case, why) in &cases {
        let v = post(&http, &format!("{base}/verify"), case).await;
        assert_eq!(v["isValid"], false, "{what}: {v}");
        assert_eq!(v["invalidReason"], *why, "{what}: {v}");
        let r = post(&http, &format!("{base}/settle"), case).await;
        assert_eq!(r["success"], false, "{what}: {r}");
        assert_eq!(r["errorReason"], *why, "{what}: {r}");
    }

    // Stored: the initial vouchers and the one settled commitment, nothing rejected.
    stop.trigger();
    settler.task.await.expect("join").expect("settler");
    let records = computestream_testkit::read_topic(
        &p.kafka,
        topics::METERING.name,
        topics::METERING.partitions,
    )
    .await;
    let vouchers: Vec<_> = records
        .iter()
        .filter_map(
            |r| match Envelope::from_json(&r.payload).expect("envelope").event {
                Event::VoucherReceived(v) => Some(v),
                _ => None,
            },
        )
        .collect();
    assert_eq!(
        vouchers.len(),
        3,
        "2 from the setup and 1 settled commitment"
    );
    assert!(vouchers.iter().any(|v| v.commitment_id == commitment));
    p.stop.trigger();
    p.devnet_stop.trigger();
}

/// Issue 24 item 4's example: 40 half-sent 2 MiB bodies held the facilitator's connections
/// and memory with no end. Each is refused before its body is read (`413`, the JSON error
/// shape), slow headers and a stalled small body are cut off, and the facilitator answers
/// others all along.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_bodies_and_slow_headers_cannot_hold_the_facilitator() {
    use computestream_testkit::slow_client;
    let p = Pipeline::start(1).await;
    let stop = Shutdown::new();
    let mut cfg = settler_config(&p.running.rest_url());
    cfg.http.header_read_timeout_ms = 300;
    cfg.http.body_timeout_ms = 300;
    let settler = p.settler(cfg, stop.clone()).await;
    let addr = settler.facilitator;
    let head = "POST /settle HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 2097152\r\n\r\n{\"x402Version\":2,";
    let mut held = Vec::new();
    for _ in 0..40 {
        held.push(slow_client::stalled(addr, head.as_bytes()).await);
    }
    let http = reqwest::Client::new();
    let supported = http
        .get(format!("http://{addr}/supported"))
        .send()
        .await
        .expect("get");
    assert_eq!(supported.status(), 200, "answers others meanwhile");
    for mut c in held {
        let answer = slow_client::until_closed(&mut c).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("\"payload_too_large\""), "{answer}");
    }
    slow_client::assert_slow_headers_cut_off(addr, "/supported").await;
    let half = slow_client::assert_half_body_cut_off(addr, "/verify", 1000).await;
    assert!(half.starts_with("HTTP/1.1 408"), "{half}");
    stop.trigger();
    settler.task.await.expect("join").expect("settler");
    p.stop.trigger();
    p.devnet_stop.trigger();
}
