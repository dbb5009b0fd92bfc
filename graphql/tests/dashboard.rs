//! The dashboard in headless Chromium (Debian's chromium, driven through chromedriver over
//! the W3C WebDriver protocol): the page served by the gateway subscribes to a job's payment
//! stream and shows its accrued amount rise while the job's seconds are metered.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use computestream_domain::{MeteringRecord, SigningKey, METERING_GENESIS_HASH};
use computestream_eventlog::EnvelopeProducer;
use computestream_runtime::Shutdown;
use computestream_schemas::events::MeteringTick;
use computestream_schemas::Envelope;
use serde_json::{json, Value};
use support::{config, gateway, seeded};

struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start() -> Driver {
        let port = computestream_testkit::free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian's chromium-driver; scripts/stack.sh up installs it)");
        let d = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        for _ in 0..100 {
            if d.http
                .get(format!("{}/status", d.base))
                .send()
                .await
                .is_ok()
            {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start");
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut r = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            r = r.json(&b);
        }
        let v: Value = r
            .send()
            .await
            .expect("webdriver")
            .json()
            .await
            .expect("json");
        v["value"].clone()
    }
}

fn chrome_args(profile: &std::path::Path) -> Vec<String> {
    [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_the_accrued_amount_rise() {
    let s = seeded(10, 30).await;
    let stop = Shutdown::new();
    let gw = gateway(&s, config(), None, stop.clone()).await;

    // The page watches as the job's buyer (its metering is private to buyer and provider).
    let token = support::sign_in(&support::Client::new(gw.addr), &support::buyer_of_job(1)).await;
    let driver = Driver::start().await;
    let profile = std::env::temp_dir().join(format!("cs-chromium-{}", std::process::id()));
    let session = driver
        .call(
            reqwest::Method::POST,
            "/session",
            Some(json!({"capabilities": {"alwaysMatch": {"browserName": "chrome",
                "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": chrome_args(&profile)}}}})),
        )
        .await;
    let sid = session["sessionId"]
        .as_str()
        .expect("a browser session")
        .to_owned();
    driver
        .call(
            reqwest::Method::POST,
            &format!("/session/{sid}/url"),
            Some(json!({"url": format!("http://{}/dashboard?job=1&token={token}", gw.addr)})),
        )
        .await;
    // Job 1 keeps being metered from now on (the browser is up: its start-up time on a
    // busy machine must not use up the stream's escrow before the page watches):
    // one record every 300 ms.
    let producer = EnvelopeProducer::new(&s.kafka, "dashboard-test").expect("producer");
    let mut seed = [0x1a; 32];
    seed[..8].copy_from_slice(&0u64.to_le_bytes());
    let provider = SigningKey::from_seed(seed);
    let provider_addr = computestream_domain::ed25519_authentication_key(&provider.public_key());
    let ticking = Shutdown::new();
    let ticker_stop = ticking.clone();
    let ticker = tokio::spawn(async move {
        let mut second = 30u64;
        while !ticker_stop.is_triggered() {
            second += 1;
            let r = MeteringRecord {
                chain_id: 4,
                package: computestream_domain::AccountAddress::new([0xc5; 32]),
                stream_id: 1,
                provider: provider_addr,
                second,
                prev_hash: METERING_GENESIS_HASH,
                observed_at_ms: computestream_runtime::now_ms(),
                cpu_usage_micros: 1,
                memory_bytes: 1,
                gpu: None,
            };
            let _ = producer
                .send(&Envelope::metering_tick(MeteringTick {
                    record: r.sign(&provider),
                }))
                .await;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });

    let mut readings: Vec<u64> = Vec::new();
    for _ in 0..300 {
        let el = driver
            .call(
                reqwest::Method::POST,
                &format!("/session/{sid}/element"),
                Some(json!({"using": "css selector", "value": "#accrued"})),
            )
            .await;
        if let Some(eid) = el
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
        {
            let text = driver
                .call(
                    reqwest::Method::GET,
                    &format!("/session/{sid}/element/{eid}/text"),
                    None,
                )
                .await;
            if let Some(v) = text.as_str().and_then(|t| t.parse::<u64>().ok()) {
                if readings.last() != Some(&v) {
                    readings.push(v);
                }
            }
        }
        if readings.iter().filter(|v| **v > 0).count() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = driver
        .call(reqwest::Method::DELETE, &format!("/session/{sid}"), None)
        .await;
    ticking.trigger();
    let _ = ticker.await;
    println!("accrued readings on the page: {readings:?}");
    let rising: Vec<&u64> = readings.iter().filter(|v| **v > 0).collect();
    assert!(
        rising.len() >= 2 && rising.windows(2).all(|w| w[0] < w[1]),
        "the page's accrued amount did not rise: {readings:?}"
    );
    stop.trigger();
    let _ = gw.task.await;
    let _ = std::fs::remove_dir_all(&profile);
    s.db.drop_now().await;
}
