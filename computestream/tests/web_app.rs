//! The marketplace web app in a real browser against the real pipeline: the devnet, then
//! `computestream index`, `project`, `settle`, `serve` (serving `web/out` and its
//! `/config.json`) and `execute` for the provider's key, as separate processes. Debian's
//! chromium, driven by playwright-core, runs `web/e2e/marketplace.spec.mjs`: two AIP-62 test
//! wallets (ed25519 keys, no prompts); the provider registers and goes unavailable and
//! available from its console; the buyer finds it in the marketplace, rents it with one
//! signature, pays per second over x402 from the page (the executor's CORS), watches the
//! payment chart rise and a settlement land, cancels, and sees escrow = settled + refunded;
//! the provider's console lists the job. Screenshots go to `web/e2e/artifacts/marketplace`.
//!
//! The web app is built from its lockfile by `scripts/web.sh build` when it is missing or
//! stale (CI builds it before the tests).

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use computestream_domain::{ed25519_authentication_key, SigningKey};
use computestream_schemas::topics;
use computestream_testkit::chain::devnet;
use computestream_testkit::{job_image, TestDatabase};
use support::processes::{base, OwnBroker, Service};

const SCHEMA: &str = "web";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_and_a_buyer_use_the_marketplace_in_a_browser() {
    let root = repo();
    let built = Command::new(root.join("scripts/web.sh"))
        .arg("build")
        .output()
        .expect("run scripts/web.sh");
    assert!(
        built.status.success(),
        "scripts/web.sh build failed:\n{}\n{}",
        String::from_utf8_lossy(&built.stdout),
        String::from_utf8_lossy(&built.stderr)
    );

    let db = TestDatabase::fresh().await;
    let dir = std::env::temp_dir().join(format!("cs-web-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let broker = OwnBroker::start(&dir);
    let kafka = broker.kafka.clone();
    computestream_eventlog::admin::ensure_topics(&kafka, &topics::ALL)
        .await
        .expect("topics");
    let (running, devnet_stop) = devnet().await;
    let image = job_image(
        "web",
        "i=0; while true; do i=$((i+1)); echo step $i; sleep 1; done",
    )
    .await;
    let provider_key = SigningKey::from_seed(rand_seed());
    computestream_testkit::remove_job_containers(
        &ed25519_authentication_key(&provider_key.public_key()).to_long_string(),
    )
    .await;

    // The settler pays for its transactions: fund it at the faucet, as an operator would.
    computestream_chain::install_tls_provider();
    let http = reqwest::Client::new();
    let settler = ed25519_authentication_key(
        &SigningKey::from_seed(computestream_devnet::load::settler_seed()).public_key(),
    );
    let minted = http
        .post(format!(
            "{}/mint?address={}&amount=1000000000000",
            running.rest_url().trim_end_matches("/v1"),
            settler.to_long_string()
        ))
        .send()
        .await
        .expect("faucet");
    assert!(minted.status().is_success(), "mint: {}", minted.status());

    let node_url = running.rest_url();
    let faucet_url = node_url.trim_end_matches("/v1").to_owned();
    let url = db.url.clone();
    let gateway = format!("127.0.0.1:{}", computestream_testkit::free_port());
    let x402 = format!("127.0.0.1:{}", computestream_testkit::free_port());
    let web_dir = root.join("web/out");
    let provider_hex = hex::encode(provider_key.seed());
    let mut services = vec![
        {
            let (k, u, n) = (kafka.clone(), url.clone(), node_url.clone());
            Service::new("indexer", &dir, move || {
                let mut c = base("index", &k, &u, SCHEMA);
                c.env("COMPUTESTREAM_INDEXER__NODE_URL", &n)
                    .env("COMPUTESTREAM_INDEXER__POLL_INTERVAL_MS", "100");
                c
            })
        },
        {
            let (k, u) = (kafka.clone(), url.clone());
            Service::new("projector", &dir, move || {
                let mut c = base("project", &k, &u, SCHEMA);
                c.env("COMPUTESTREAM_PROJECTOR__LINGER_MS", "20");
                c
            })
        },
        {
            let (k, u, n) = (kafka.clone(), url.clone(), node_url.clone());
            Service::new("settler", &dir, move || {
                let mut c = base("settle", &k, &u, SCHEMA);
                c.env("COMPUTESTREAM_SETTLER__NODE_URL", &n)
                    .env(
                        "COMPUTESTREAM_SETTLER__PRIVATE_KEY",
                        hex::encode(computestream_devnet::load::settler_seed()),
                    )
                    .env("COMPUTESTREAM_SETTLER__INTERVAL_SECS", "3")
                    .env("COMPUTESTREAM_SETTLER__LISTEN", "127.0.0.1:0");
                c
            })
        },
        {
            let (k, u, n, g, f, w) = (
                kafka.clone(),
                url.clone(),
                node_url.clone(),
                gateway.clone(),
                faucet_url.clone(),
                web_dir.clone(),
            );
            Service::new("gateway", &dir, move || {
                let mut c = base("serve", &k, &u, SCHEMA);
                c.env("COMPUTESTREAM_GATEWAY__LISTEN", &g)
                    .env("COMPUTESTREAM_GATEWAY__NODE_URL", &n)
                    .env("COMPUTESTREAM_GATEWAY__WEB__DIR", w.display().to_string())
                    .env("COMPUTESTREAM_GATEWAY__WEB__FAUCET_URL", &f);
                c
            })
        },
        {
            let (k, u, n, l, key) = (
                kafka.clone(),
                url.clone(),
                node_url.clone(),
                x402.clone(),
                provider_hex.clone(),
            );
            let work = dir.join("provider");
            let artifacts = format!("file://{}", dir.join("artifacts").display());
            Service::new("executor", &dir, move || {
                let mut c = base("execute", &k, &u, SCHEMA);
                c.env("COMPUTESTREAM_EXECUTOR__NODE_URL", &n)
                    .env("COMPUTESTREAM_EXECUTOR__PRIVATE_KEY", &key)
                    .env("COMPUTESTREAM_EXECUTOR__LISTEN", &l)
                    .env(
                        "COMPUTESTREAM_EXECUTOR__WORK_DIR",
                        work.display().to_string(),
                    )
                    .env("COMPUTESTREAM_EXECUTOR__ARTIFACTS_URL", &artifacts)
                    .env("COMPUTESTREAM_EXECUTOR__HEARTBEAT_SECS", "2")
                    .env("COMPUTESTREAM_EXECUTOR__SANDBOX__MEMORY_MB", "32");
                c
            })
        },
    ];
    for s in services.iter_mut() {
        s.start();
    }
    // The gateway answers before the browser starts.
    let config_url = format!("http://{gateway}/config.json");
    let mut up = false;
    for _ in 0..300 {
        if let Ok(r) = http.get(&config_url).send().await {
            if r.status().is_success() {
                up = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let logs = |services: &[Service]| {
        services
            .iter()
            .map(|s| format!("--- {} ---\n{}", s.name, s.tail()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        up,
        "the gateway never served /config.json\n{}",
        logs(&services)
    );
    let page = http
        .get(format!("http://{gateway}/"))
        .send()
        .await
        .expect("GET /");
    assert!(page.status().is_success());
    let html = page.text().await.unwrap_or_default();
    assert!(
        html.contains("/_next/static/"),
        "/ is the web app's index.html"
    );

    let (base_url, key, img) = (
        format!("http://{gateway}"),
        format!("0x{provider_hex}"),
        image.clone(),
    );
    let web = root.join("web");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .current_dir(web)
            .args(["--test", "--test-reporter=spec", "e2e/marketplace.spec.mjs"])
            .env("BASE_URL", base_url)
            .env("PROVIDER_KEY", key)
            .env("JOB_IMAGE", img)
            .env("PAY_SECONDS", "10")
            // A fresh devnet: the buyer's job is job 1 (a watcher opens its page first).
            .env("NEXT_JOB_ID", "1")
            .output()
    })
    .await
    .expect("join")
    .expect("run node");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{report}");
    assert!(
        out.status.success(),
        "the browser test failed:\n{report}\nservice logs in {}:\n{}",
        dir.display(),
        logs(&services)
    );

    // Anyone can check job 1's evidence (docs/DISPUTES.md): from the log, then offline from
    // the bundle it wrote; a bundle whose history was rewritten is refused at its second.
    let bundle = dir.join("job-1.json");
    let verify = |args: &[&str]| {
        let mut c = base("verify", &kafka, &url, SCHEMA);
        c.args(args).stdout(std::process::Stdio::piped());
        c.output().expect("run computestream verify")
    };
    let mut verdict = verify(&["1", "--out", &bundle.display().to_string()]);
    for _ in 0..100 {
        if verdict.status.success() {
            break;
        }
        // The provider's commitment may still be on its way into the log.
        std::thread::sleep(Duration::from_millis(200));
        verdict = verify(&["1", "--out", &bundle.display().to_string()]);
    }
    let text = String::from_utf8_lossy(&verdict.stdout).into_owned();
    assert!(verdict.status.success(), "verify 1:\n{text}");
    assert!(text.contains("the evidence holds"), "{text}");
    let offline = verify(&["--bundle", &bundle.display().to_string()]);
    assert!(
        offline.status.success(),
        "{}",
        String::from_utf8_lossy(&offline.stdout)
    );
    let mut b: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&bundle).expect("bundle")).expect("json");
    // The gateway shows the same commitment and the same verdict (job.evidence).
    let mut shown = serde_json::Value::Null;
    for _ in 0..100 {
        let r: serde_json::Value = http
            .post(format!("http://{gateway}/graphql"))
            .json(&serde_json::json!({
                "query": "{ job(id: \"1\") { evidence { meteringHead meteredSeconds version verification { holds signedSeconds head } } } }"
            }))
            .send()
            .await
            .expect("graphql")
            .json()
            .await
            .expect("json");
        shown = r["data"]["job"]["evidence"].clone();
        if !shown.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(shown["meteringHead"], b["commitment"]["metering_head"]);
    assert_eq!(
        shown["meteredSeconds"],
        serde_json::json!(b["commitment"]["metered_seconds"].to_string())
    );
    assert_eq!(shown["verification"]["holds"], true, "{shown}");
    assert_eq!(
        shown["verification"]["head"],
        b["commitment"]["metering_head"]
    );
    assert_eq!(
        shown["verification"]["signedSeconds"],
        shown["meteredSeconds"]
    );
    let records = b["records"].as_array_mut().expect("records");
    assert!(records.len() >= 10, "the job was metered");
    records[4]["record"]["cpu_usage_micros"] = serde_json::json!(123_456_789u64);
    std::fs::write(&bundle, serde_json::to_vec(&b).expect("json")).expect("write");
    let tampered = verify(&["--bundle", &bundle.display().to_string()]);
    let text = String::from_utf8_lossy(&tampered.stdout).into_owned();
    assert_eq!(tampered.status.code(), Some(1), "{text}");
    assert!(
        text.contains("second 5"),
        "the rewritten second is named: {text}"
    );

    // `computestream buy` finds the provider's endpoint through the gateway (no --executor):
    // job 1 has ended, so it learns that from the executor and stops.
    let bought = base("buy", &kafka, &url, SCHEMA)
        .args(["--job", "1"])
        .env(
            "COMPUTESTREAM_BUYER__GATEWAY_URL",
            format!("http://{gateway}/graphql"),
        )
        .env("COMPUTESTREAM_BUYER__KEY", "11".repeat(32))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("run computestream buy");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&bought.stdout),
        String::from_utf8_lossy(&bought.stderr)
    );
    assert!(bought.status.success(), "buy: {text}");
    assert!(
        text.contains(&format!("paying job 1 at http://{x402}")),
        "{text}"
    );
    assert!(text.contains("job 1 ended"), "{text}");

    for mut s in services {
        s.stop();
    }
    devnet_stop.trigger();
    drop(broker);
    db.drop_now().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh provider key per run (its containers and its registration are its own).
fn rand_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    seed[..16].copy_from_slice(&nanos.to_le_bytes());
    seed[16..20].copy_from_slice(&std::process::id().to_le_bytes());
    seed[31] = 0x5e;
    seed
}
