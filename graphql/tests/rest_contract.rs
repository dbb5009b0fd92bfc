//! Issue 21 item 2: the REST contract. schemathesis (PyPI, in a virtualenv this test creates
//! or reuses under `${CS_STACK_DIR:-/var/lib/computestream-stack}`) runs every check it has
//! against the served `/api/v1/openapi.json` of a gateway on real read models, a few
//! hundred cases with a fixed seed, and any finding fails the test.

mod support;

use std::path::PathBuf;
use std::process::Command;

use computestream_runtime::Shutdown;
use support::{config, gateway, seeded};

const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// The virtualenv's `schemathesis`, installed on first use.
fn schemathesis() -> PathBuf {
    let stack =
        std::env::var("CS_STACK_DIR").unwrap_or_else(|_| "/var/lib/computestream-stack".into());
    let venv = PathBuf::from(stack).join("schemathesis-venv");
    let bin = venv.join("bin/schemathesis");
    let pinned = venv.join(".installed");
    if std::fs::read_to_string(&pinned).ok().as_deref() != Some(SCHEMATHESIS) {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 -m venv")
            .success();
        assert!(ok, "creating the virtualenv {}", venv.display());
        let ok = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", SCHEMATHESIS])
            .status()
            .expect("pip")
            .success();
        assert!(ok, "installing {SCHEMATHESIS}");
        std::fs::write(&pinned, SCHEMATHESIS).expect("mark the install");
    }
    bin
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_against_the_served_document() {
    let st = schemathesis();
    let s = seeded(10, 5).await;
    let stop = Shutdown::new();
    let mut cfg = config();
    cfg.rate_limit_per_minute = 1_000_000;
    let gw = gateway(&s, cfg, None, stop.clone()).await;
    let url = format!("http://{}/api/v1/openapi.json", gw.addr);
    let out = tokio::task::spawn_blocking(move || {
        Command::new(st)
            .args([
                "run",
                &url,
                "--checks",
                "all",
                "--max-examples",
                "40",
                "--seed",
                "2026",
            ])
            .args(["--generation-deterministic", "--workers", "2", "--no-color"])
            .env("SCHEMATHESIS_HOOKS", "")
            .output()
            .expect("schemathesis")
    })
    .await
    .expect("join");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    stop.trigger();
    let _ = gw.task.await;
    s.db.drop_now().await;
    assert!(out.status.success(), "schemathesis found problems:\n{text}");
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
        assert_eq!(r.status().as_u16(), status);
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
