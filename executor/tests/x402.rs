//! The x402 v2 HTTP handshake with the executor, end to end: 402 with `PAYMENT-REQUIRED`
//! (base64 JSON, the batch-settlement offer for the job's stream), a voucher in
//! `PAYMENT-SIGNATURE` answered with `PAYMENT-RESPONSE` and the job's progress, the
//! voucher stored in the metering topic; and every rejection (wrong network, bad signature,
//! decreasing or skipping cumulative amount, above escrow, another stream's voucher,
//! malformed header, a closed stream) answered with its reason and nothing stored.

mod support;

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use computestream_devnet::load;
use computestream_domain::{Octas, SigningKey, Voucher};
use computestream_runtime::Shutdown;
use computestream_schemas::x402::{
    header, reason, BatchPayload, PaymentPayload, PaymentRequired, SettleResponse, VoucherPayload,
};
use computestream_schemas::{topics, Event};
use computestream_testkit::chain::{create_job, identity};
use computestream_testkit::job_image;
use support::{Rig, RATE};

fn b64<T: serde::Serialize>(v: &T) -> String {
    STANDARD.encode(serde_json::to_vec(v).expect("json"))
}

fn unb64<T: serde::de::DeserializeOwned>(h: &reqwest::header::HeaderValue) -> T {
    serde_json::from_slice(&STANDARD.decode(h.as_bytes()).expect("base64")).expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_x402_handshake_and_every_rejection() {
    let rig = Rig::start("x402", 2).await;
    let image = job_image("idle", "exec sleep 600").await;
    let escrow = 100 * RATE;
    create_job(&rig.running, 0, rig.provider, &image, 600, escrow, 0).await;
    let mut cfg = rig.config();
    cfg.grace_secs = 3_600; // this test pays by hand
    let stop = Shutdown::new();
    let exec = rig.executor(cfg, stop.clone()).await;
    let url = format!("http://{}/jobs/1", exec.endpoint);
    let http = reqwest::Client::new();

    // 402 until the job's stream is known; then the offer.
    let mut required: Option<PaymentRequired> = None;
    for _ in 0..300 {
        let r = http.get(&url).send().await.expect("get");
        if r.status() == reqwest::StatusCode::PAYMENT_REQUIRED {
            required = Some(unb64(
                r.headers().get(header::PAYMENT_REQUIRED).expect("header"),
            ));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let required = required.expect("a 402");
    assert_eq!(required.x402_version, 2);

    // A browser pays too: the preflight for PAYMENT-SIGNATURE is allowed, and the answer's
    // x402 headers are exposed to the page.
    let origin = "http://marketplace.example";
    let pre = http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "payment-signature")
        .send()
        .await
        .expect("preflight");
    assert!(pre.status().is_success(), "preflight: {}", pre.status());
    let allowed = pre
        .headers()
        .get("access-control-allow-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        allowed.contains("payment-signature"),
        "allow-headers: {allowed}"
    );
    let r = http
        .get(&url)
        .header("origin", origin)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), reqwest::StatusCode::PAYMENT_REQUIRED);
    let exposed = r
        .headers()
        .get("access-control-expose-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        exposed.contains("payment-required") && exposed.contains("payment-response"),
        "expose-headers: {exposed}"
    );
    assert!(required.resource.url.ends_with("/jobs/1"));
    let offer = required.accepts[0].clone();
    assert_eq!(offer.scheme, "batch-settlement");
    assert_eq!(offer.network, "movement:4");
    assert_eq!(offer.amount, RATE.to_string());
    assert_eq!(offer.asset, "0x1::aptos_coin::AptosCoin");
    assert_eq!(offer.pay_to, rig.provider.to_long_string());
    assert_eq!(offer.extra.stream_id, "1");
    assert_eq!(offer.extra.charged_cumulative_amount.as_deref(), Some("0"));

    let buyer = SigningKey::from_seed(load::buyer_seed(0));
    let voucher = |chain_id: u8, stream_id: u64, amount: u64, key: &SigningKey| {
        Voucher {
            chain_id,
            package: identity().package,
            stream_id,
            cumulative_amount: Octas(amount),
        }
        .sign(key)
    };
    let pay = |v: computestream_domain::SignedVoucher| PaymentPayload {
        x402_version: 2,
        resource: None,
        accepted: offer.clone(),
        payload: BatchPayload {
            kind: "voucher".into(),
            voucher: VoucherPayload::from_signed(&v),
        },
    };
    let send = |h: String| {
        let http = http.clone();
        let url = url.clone();
        async move {
            http.get(&url)
                .header(header::PAYMENT_SIGNATURE, h)
                .send()
                .await
                .expect("get")
        }
    };

    // A good payment for the first second.
    let first = voucher(4, 1, RATE, &buyer);
    let r = send(b64(&pay(first))).await;
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let settled: SettleResponse =
        unb64(r.headers().get(header::PAYMENT_RESPONSE).expect("response"));
    assert!(settled.success);
    assert_eq!(settled.network, "movement:4");
    assert_eq!(settled.transaction, "");
    assert_eq!(
        settled.extra.as_ref().expect("extra")["commitmentId"],
        first.voucher.commitment_id().as_str()
    );
    let body: serde_json::Value = r.json().await.expect("body");
    assert_eq!(body["jobId"], "1");

    // One voucher sent eight times at once: served once (requests are serialised per
    // stream); the others are refused as busy or as no longer advancing the amount.
    let twice = b64(&pay(voucher(4, 1, 2 * RATE, &buyer)));
    let answers = futures::future::join_all((0..8).map(|_| send(twice.clone()))).await;
    let ok = answers
        .iter()
        .filter(|r| r.status() == reqwest::StatusCode::OK)
        .count();
    let statuses: Vec<_> = answers
        .iter()
        .map(|r| {
            let why = r
                .headers()
                .get(header::PAYMENT_RESPONSE)
                .map(|h| unb64::<SettleResponse>(h).error_reason);
            (r.status().as_u16(), why)
        })
        .collect();
    assert_eq!(
        ok, 1,
        "exactly one of eight identical payments is served: {statuses:?}"
    );
    for r in answers
        .iter()
        .filter(|r| r.status() != reqwest::StatusCode::OK)
    {
        assert_eq!(r.status(), reqwest::StatusCode::PAYMENT_REQUIRED);
        let f: SettleResponse = unb64(r.headers().get(header::PAYMENT_RESPONSE).expect("response"));
        let why = f.error_reason.unwrap_or_default();
        assert!(
            why == reason::CHANNEL_BUSY || why == reason::CUMULATIVE_AMOUNT_MISMATCH,
            "{why}"
        );
    }
    let charged = 2 * RATE;

    // The furthest a voucher may go now: what was served plus the executor's lead.
    let r = http.get(&url).send().await.expect("get");
    let now: PaymentRequired = unb64(r.headers().get(header::PAYMENT_REQUIRED).expect("required"));
    let max: u64 = now.accepts[0]
        .extra
        .max_cumulative_amount
        .as_deref()
        .expect("maxCumulativeAmount")
        .parse()
        .expect("u64");
    assert!(
        max + 20 * RATE < escrow,
        "served {:?}",
        now.accepts[0].extra.served_seconds
    );

    // Rejections, each with its reason; the cumulative amount due next is 3 * RATE.
    let mallory = SigningKey::from_seed([0x66; 32]);
    let mut tampered = voucher(4, 1, 3 * RATE, &buyer);
    tampered.voucher.cumulative_amount = Octas(4 * RATE);
    let mut wrong_network = pay(voucher(4, 1, 3 * RATE, &buyer));
    wrong_network.accepted.network = "movement:126".into();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "replayed",
            b64(&pay(first)),
            reason::CUMULATIVE_AMOUNT_MISMATCH,
        ),
        (
            "further ahead than served plus the lead",
            b64(&pay(voucher(4, 1, max + 20 * RATE, &buyer))),
            reason::CUMULATIVE_AMOUNT_MISMATCH,
        ),
        (
            "decreasing",
            b64(&pay(voucher(4, 1, RATE / 2, &buyer))),
            reason::CUMULATIVE_AMOUNT_MISMATCH,
        ),
        ("tampered", b64(&pay(tampered)), reason::INVALID_SIGNATURE),
        (
            "another signer",
            b64(&pay(voucher(4, 1, 3 * RATE, &mallory))),
            reason::INVALID_SIGNATURE,
        ),
        (
            "voucher for another chain",
            b64(&pay(voucher(126, 1, 3 * RATE, &buyer))),
            reason::INVALID_NETWORK,
        ),
        (
            "offer for another network",
            b64(&wrong_network),
            reason::INVALID_NETWORK,
        ),
        (
            "another stream's voucher",
            b64(&pay(voucher(4, 2, 3 * RATE, &buyer))),
            reason::STREAM_MISMATCH,
        ),
        (
            "above escrow",
            b64(&pay(voucher(4, 1, escrow + 1, &buyer))),
            reason::INSUFFICIENT_FUNDS,
        ),
    ];
    for (what, h, why) in &cases {
        let r = send(h.clone()).await;
        assert_eq!(r.status(), reqwest::StatusCode::PAYMENT_REQUIRED, "{what}");
        let failure: SettleResponse =
            unb64(r.headers().get(header::PAYMENT_RESPONSE).expect("response"));
        assert!(!failure.success, "{what}");
        assert_eq!(failure.error_reason.as_deref(), Some(*why), "{what}");
        let again: PaymentRequired =
            unb64(r.headers().get(header::PAYMENT_REQUIRED).expect("required"));
        assert_eq!(
            again.accepts[0].extra.charged_cumulative_amount.as_deref(),
            Some(charged.to_string().as_str()),
            "{what}: a corrective 402 says what was charged"
        );
    }
    let r = send("not base64 at all".into()).await;
    assert_eq!(r.status(), reqwest::StatusCode::BAD_REQUEST);

    // The buyer client pays what was served plus its lead, in one voucher, once more than it
    // already paid was served (nothing is due before).
    let client = rig.buyer(0);
    let mut paid = None;
    for _ in 0..100 {
        match client
            .pay_due(&format!("http://{}", exec.endpoint), 1)
            .await
            .expect("the client pays")
        {
            computestream_executor::Payment::Paid(p) => {
                paid = Some(p);
                break;
            }
            computestream_executor::Payment::NothingDue => {
                tokio::time::sleep(Duration::from_millis(200)).await
            }
            computestream_executor::Payment::Ended(b) => panic!("ended: {b}"),
        }
    }
    let paid = paid.expect("something became due");
    assert!(paid.cumulative > Octas(charged), "{}", paid.cumulative);

    // The buyer closes the stream early (refund); afterwards vouchers are refused.
    let close = load::sign_call(
        identity(),
        load::buyer_seed(0),
        1,
        "payment_stream",
        "close_stream",
        vec![
            aptos_sdk::aptos_bcs::to_bytes(&1u64).expect("bcs"),
            aptos_sdk::aptos_bcs::to_bytes(&0u64).expect("bcs"),
            aptos_sdk::aptos_bcs::to_bytes(&Vec::<u8>::new()).expect("bcs"),
        ],
        computestream_testkit::chain::expiry(),
    )
    .expect("sign");
    rig.running
        .submit_all(vec![close.to_bcs().expect("bcs")])
        .await
        .expect("close");
    // Until the executor reads the close from the log, a voucher may still be accepted
    // (and stored; the chain will not redeem it: the stream is closed).
    let mut accepted = vec![RATE, charged, paid.cumulative.get()];
    let mut last = None;
    for _ in 0..100 {
        let next = accepted.last().copied().unwrap_or(0) + RATE;
        let r = send(b64(&pay(voucher(4, 1, next, &buyer)))).await;
        if r.status() == reqwest::StatusCode::OK {
            accepted.push(next);
        } else {
            let f: SettleResponse =
                unb64(r.headers().get(header::PAYMENT_RESPONSE).expect("response"));
            last = f.error_reason;
            if last.as_deref() == Some(reason::STREAM_CLOSED) {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last.as_deref(), Some(reason::STREAM_CLOSED));

    // Stored: exactly the accepted vouchers.
    stop.trigger();
    exec.task.await.expect("join").expect("executor");
    let stored: Vec<u64> = rig
        .events(topics::METERING)
        .await
        .into_iter()
        .filter_map(|e| match e.event {
            Event::VoucherReceived(v) => Some(v.voucher.voucher.cumulative_amount.get()),
            _ => None,
        })
        .collect();
    assert_eq!(stored, accepted);
    rig.stop.trigger();
    rig.devnet_stop.trigger();
}

/// Issue 24 item 4, the executor's part: slow headers, a stalled body and a declared 2 MiB
/// body cannot hold the buyers' endpoint; it answers others meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_cannot_hold_the_endpoint() {
    use computestream_testkit::slow_client;
    let rig = Rig::start("x402-slow", 3).await;
    let mut cfg = rig.config();
    cfg.http.header_read_timeout_ms = 300;
    cfg.http.body_timeout_ms = 300;
    let stop = Shutdown::new();
    let exec = rig.executor(cfg, stop.clone()).await;
    let head = "GET /jobs/1 HTTP/1.1\r\nHost: x\r\ncontent-length: 2097152\r\n\r\nxx";
    let mut big = slow_client::stalled(exec.endpoint, head.as_bytes()).await;
    slow_client::assert_slow_headers_cut_off(exec.endpoint, "/jobs/1").await;
    let r = reqwest::get(format!("http://{}/jobs/999", exec.endpoint))
        .await
        .expect("get");
    assert!(r.status().is_client_error(), "answers others meanwhile");
    let answer = slow_client::until_closed(&mut big).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    stop.trigger();
    let _ = exec.task.await;
    rig.stop.trigger();
    rig.devnet_stop.trigger();
}
