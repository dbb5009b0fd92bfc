//! The devnet against the official Aptos TypeScript SDK (`@aptos-labs/ts-sdk`, pinned in
//! `devnet/conformance/package-lock.json`): starts a devnet on a free port, installs the
//! packages from the lockfile when `node_modules` is missing or was installed from another
//! lockfile (`npm ci`), runs `node --test` in `devnet/conformance/` with the devnet's URL, and
//! fails with the suite's output when the suite fails. Needs Node.js (≥ 20) and npm on the
//! PATH, and the npm registry for the first install.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use computestream_devnet::{ChainIdentity, DevnetConfig, LOCAL_PACKAGE};
use computestream_runtime::Shutdown;
use sha3::{Digest, Sha3_256};

/// Written into `node_modules` after a successful `npm ci`: the SHA3-256 of the lockfile it
/// installed.
const STAMP: &str = ".computestream-lockfile-sha3";

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

fn text(o: &Output) -> String {
    format!(
        "--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `npm ci` unless `node_modules` holds exactly what the lockfile pins.
fn install(dir: &Path) {
    let lock = std::fs::read(dir.join("package-lock.json")).expect("package-lock.json");
    let want = hex::encode(Sha3_256::digest(&lock));
    let stamp = dir.join("node_modules").join(STAMP);
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(want.as_str()) {
        return;
    }
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .output()
        .expect("npm must be on the PATH to run the SDK conformance suite");
    assert!(out.status.success(), "npm ci failed\n{}", text(&out));
    std::fs::write(&stamp, want).expect("write the install stamp");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_typescript_sdk_works_against_the_devnet() {
    let dir = conformance_dir();
    let install_dir = dir.clone();
    tokio::task::spawn_blocking(move || install(&install_dir))
        .await
        .expect("install");

    let id = ChainIdentity {
        chain_id: 4,
        package: LOCAL_PACKAGE,
    };
    let config = DevnetConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        block_time_ms: 20,
        idle_block_ms: 500,
        ..DevnetConfig::default()
    };
    let shutdown = Shutdown::new();
    let running = computestream_devnet::start(id, config, shutdown.clone())
        .await
        .expect("devnet");
    let url = format!("http://{}", running.addr);
    let package = format!("0x{}", hex::encode(LOCAL_PACKAGE.0));

    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args(["--test", "--test-reporter=spec"])
            .current_dir(&dir)
            .env("DEVNET_URL", url)
            .env("DEVNET_PACKAGE", package)
            .env("DEVNET_CHAIN_ID", "4")
            .env("NO_COLOR", "1")
            .output()
            .expect("node must be on the PATH to run the SDK conformance suite")
    })
    .await
    .expect("node --test");
    shutdown.trigger();
    // Shown with `--no-capture`: which SDK calls ran.
    println!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "the SDK conformance suite failed\n{}",
        text(&out)
    );
}
