//! Issue 21 item 2: the REST contract. schemathesis (PyPI, pinned, in a virtualenv this test
//! creates or reuses under `${CS_STACK_DIR:-/var/lib/computestream-stack}/schemathesis-venv`)
//! runs every check it has against the served `/api/v1/openapi.json` of a gateway on real
//! read models, signed in as a provider, a few hundred cases, deterministic generation; any
//! finding fails the test with schemathesis's report. By hand, against a running gateway:
//!
//! ```text
//! CS_CONTRACT_ED25519_KEYS=<hex,...> CS_CONTRACT_SIGNED_TRANSACTIONS=<hex,...> \
//! SCHEMATHESIS_HOOKS=graphql/tests/schemathesis/hooks.py \
//! schemathesis --config-file schemathesis.toml run http://HOST/api/v1/openapi.json \
//!     -H 'Authorization: Bearer TOKEN' --checks all --max-examples 60 \
//!     --generation-deterministic --workers 1
//! ```
//!
//! with a `schemathesis.toml` like the one this test writes (warnings fail; the session's
//! address offered for `/providers/{id}/availability`).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use computestream_domain::SigningKey;
use computestream_runtime::Shutdown;
use support::{config, gateway, provider_of_job, seeded, sign_in, Client};

const SCHEMATHESIS: &str = "schemathesis==4.32.5";
/// Examples per operation and phase: with 9 operations, about a thousand requests in all,
/// under a minute here.
const MAX_EXAMPLES: &str = "60";

/// The virtualenv's `schemathesis`, installed on first use (under a lock: another checkout
/// may run this test at the same time).
fn schemathesis() -> PathBuf {
    let stack =
        std::env::var("CS_STACK_DIR").unwrap_or_else(|_| "/var/lib/computestream-stack".into());
    let venv = PathBuf::from(stack).join("schemathesis-venv");
    let pinned = venv.join(".installed");
    if std::fs::read_to_string(&pinned).ok().as_deref() != Some(SCHEMATHESIS) {
        // Debian's python3 (scripts/stack.sh installs python3-venv), else the PATH's.
        let python = if Path::new("/usr/bin/python3").exists() {
            "/usr/bin/python3"
        } else {
            "python3"
        };
        let script = format!(
            "test \"$(cat '{m}' 2>/dev/null)\" = '{SCHEMATHESIS}' && exit 0; \
             {python} -m venv --clear '{v}' && '{v}/bin/pip' install --quiet '{SCHEMATHESIS}' \
             && printf %s '{SCHEMATHESIS}' > '{m}'",
            m = pinned.display(),
            v = venv.display(),
        );
        let lock = venv.with_extension("lock");
        let ok = Command::new("flock")
            .arg(&lock)
            .args(["sh", "-c", &script])
            .status()
            .expect("flock sh")
            .success();
        assert!(ok, "installing {SCHEMATHESIS} into {}", venv.display());
    }
    venv.join("bin/schemathesis")
}

/// Valid samples of the document's two formats that no pattern can state (see
/// `tests/schemathesis/hooks.py`): full-order ed25519 keys, and signed transactions (of
/// other accounts than the session's: the gateway answers them 403 without a node).
fn format_samples() -> (String, String) {
    let keys: Vec<String> = (1..=16u8)
        .map(|i| SigningKey::from_seed([i; 32]).public_key().to_string())
        .collect();
    let calls: [(&str, &str, Vec<Vec<u8>>); 2] = [
        (
            "provider_registry",
            "update_availability",
            vec![aptos_sdk::aptos_bcs::to_bytes(&true).expect("bcs")],
        ),
        (
            "escrow",
            "deposit",
            vec![
                aptos_sdk::aptos_bcs::to_bytes(&1u64).expect("bcs"),
                aptos_sdk::aptos_bcs::to_bytes(&5u64).expect("bcs"),
            ],
        ),
    ];
    let mut txns = Vec::new();
    for seed in [0x51u8, 0x52, 0x53] {
        for (i, (module, function, args)) in calls.iter().enumerate() {
            let signed = computestream_devnet::load::sign_call(
                computestream_testkit::chain::identity(),
                [seed; 32],
                i as u64,
                module,
                function,
                args.clone(),
                computestream_testkit::chain::expiry(),
            )
            .expect("sign");
            txns.push(hex::encode(signed.to_bcs().expect("bcs")));
        }
    }
    (keys.join(","), txns.join(","))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_against_the_served_document() {
    let st = schemathesis();
    let s = seeded(10, 5).await;
    let stop = Shutdown::new();
    let mut cfg = config();
    cfg.rate_limit_per_minute = 1_000_000;
    let gw = gateway(&s, cfg, None, stop.clone()).await;
    // Signed in as a provider, so the writes answer past their session check.
    let me = provider_of_job(1);
    let token = sign_in(&Client::new(gw.addr), &me).await;
    let my_address =
        computestream_domain::ed25519_authentication_key(&me.public_key()).to_long_string();
    let url = format!("http://{}/api/v1/openapi.json", gw.addr);
    // What is served is what schemas/ holds (openapi_drift keeps that file current).
    let served: serde_json::Value = reqwest::get(&url)
        .await
        .expect("GET the document")
        .json()
        .await
        .expect("json");
    let checked_in: serde_json::Value =
        serde_json::from_str(&computestream_graphql::openapi_json()).expect("json");
    assert_eq!(
        served, checked_in,
        "the served document is the generated one"
    );
    let hooks = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis/hooks.py");
    let (keys, txns) = format_samples();
    // schemathesis keeps a cache (`.schemathesis/`) in its working directory.
    let work = std::env::temp_dir().join(format!("cs-schemathesis-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("a working directory for schemathesis");
    // Every warning fails the run (one means part of the API went untested); a provider
    // changes only its own availability, so the session's address is drawn for that path's
    // `id` half of the time (a dictionary), the generated addresses the other half.
    let config = work.join("schemathesis.toml");
    std::fs::write(
        &config,
        format!(
            "[warnings]\nfail-on = true\n\n\
             [dictionaries.session]\nvalues = [\"{my_address}\"]\n\n\
             [[operations]]\ninclude-path = \"/providers/{{id}}/availability\"\n\
             parameters = {{ \"path.id\" = {{ dictionary = \"session\", probability = 0.5 }} }}\n"
        ),
    )
    .expect("write schemathesis.toml");
    let run_in = work.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(st)
            .current_dir(&run_in)
            .arg("--config-file")
            .arg(&config)
            .args(["run", &url, "-H", &format!("Authorization: Bearer {token}")])
            .args(["--checks", "all", "--max-examples", MAX_EXAMPLES])
            // One worker: CPython 3.11's `ast.parse` is not safe across threads, and
            // hypothesis calls it while it builds strategies ("AST constructor recursion
            // depth mismatch" with two).
            .args(["--generation-deterministic", "--workers", "1", "--no-color"])
            .env("SCHEMATHESIS_HOOKS", &hooks)
            .env("CS_CONTRACT_ED25519_KEYS", keys)
            .env("CS_CONTRACT_SIGNED_TRANSACTIONS", txns)
            .output()
            .expect("schemathesis")
    })
    .await
    .expect("join");
    let _ = std::fs::remove_dir_all(&work);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    stop.trigger();
    let _ = gw.task.await;
    s.db.drop_now().await;
    assert!(out.status.success(), "schemathesis found problems:\n{text}");
    assert!(!text.contains("WARNINGS"), "schemathesis warned:\n{text}");
    println!("{text}");
}

/// The report's examples: the framework's rejections come back in the one JSON error
/// shape, with their statuses (all documented), and what the document allows is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rejection_is_the_json_error_shape() {
    let s = seeded(2, 5).await;
    let stop = Shutdown::new();
    let mut cfg = config();
    cfg.max_body_bytes = 4096;
    let gw = gateway(&s, cfg, None, stop.clone()).await;
    let http = reqwest::Client::new();
    let base = format!("http://{}/api/v1", gw.addr);
    let cases = [
        (
            http.get(format!("{base}/providers/available?minVramGb=17179869183")),
            400,
            "BAD_USER_INPUT",
        ),
        (
            http.get(format!("{base}/providers/available?limit=0")),
            400,
            "BAD_USER_INPUT",
        ),
        (
            http.get(format!("{base}/jobs/history?buyer=")),
            400,
            "BAD_USER_INPUT",
        ),
        (
            http.get(format!("{base}/jobs/+7/status")),
            400,
            "BAD_USER_INPUT",
        ),
        (
            http.get(format!("{base}/jobs/999/status")),
            404,
            "NOT_FOUND",
        ),
        (http.get(format!("{base}/no/such/route")), 404, "NOT_FOUND"),
        (http.get(base.clone()), 404, "NOT_FOUND"),
        (
            http.get(format!("{base}/jobs/%FF/status")),
            400,
            "BAD_USER_INPUT",
        ),
        (
            http.get(format!("{base}/jobs/history?limit=abc")),
            400,
            "BAD_USER_INPUT",
        ),
        (
            http.get(format!("{base}/jobs/history?status=lost")),
            400,
            "BAD_USER_INPUT",
        ),
        (
            http.post(format!("{base}/openapi.json")),
            405,
            "METHOD_NOT_ALLOWED",
        ),
        (
            http.post(format!("{base}/escrow/deposit"))
                .header("content-type", "text/plain")
                .body("{}"),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            http.post(format!("{base}/escrow/deposit"))
                .header("content-type", "application/json")
                .body("{"),
            400,
            "BAD_USER_INPUT",
        ),
        (
            http.delete(format!("{base}/jobs/history")),
            405,
            "METHOD_NOT_ALLOWED",
        ),
        (
            http.post(format!("{base}/escrow/deposit")).body("{}"),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            http.post(format!("{base}/escrow/deposit"))
                .header("content-type", "application/json")
                .body(r#"{"jobId": 1}"#),
            422,
            "UNPROCESSABLE_ENTITY",
        ),
        (
            http.post(format!("{base}/escrow/deposit"))
                .header("content-type", "application/json")
                .body("x".repeat(8192)),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
    ];
    for (req, status, code) in cases {
        let r = req.send().await.expect("send");
        let url = r.url().to_string();
        assert_eq!(r.status().as_u16(), status, "{url}");
        assert_eq!(
            r.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
        let v: serde_json::Value = r.json().await.expect("json");
        assert_eq!(v["error"]["code"], code, "{v}");
        assert!(v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    stop.trigger();
    let _ = gw.task.await;
    s.db.drop_now().await;
}
