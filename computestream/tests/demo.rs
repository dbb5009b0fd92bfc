//! The main job, `computestream demo`, end to end as a user runs it:
//!
//! - against a node given by URL with funded keys from a file (the Bardock testnet path; here
//!   the node is `computestream devnet` in its own process, reached only over REST), and
//! - interrupted with Ctrl-C (SIGINT) mid-run: the buyers cancel, every stream closes with
//!   its final voucher, the checks pass, and the process exits 0;
//! - on a busy machine (a thread spinning on every core) for ten minutes: every paying job
//!   completes.
//!
//! Each test uses its own account indices: tests share the Docker engine, whose job
//! containers are named per provider and job.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use computestream_devnet::load;
use computestream_domain::{ed25519_authentication_key, SigningKey};

const BIN: &str = env!("CARGO_BIN_EXE_computestream");

fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").to_string()
}

fn demo(kafka: &computestream_eventlog::KafkaSettings) -> Command {
    let mut c = Command::new(BIN);
    // A log of its own: a failure shows this run's warnings, not another test's.
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let log = std::env::temp_dir().join(format!("cs-demo-{}-{n}.log", std::process::id()));
    c.arg("demo")
        .arg("--log-file")
        .arg(log)
        .env("COMPUTESTREAM_KAFKA__BROKERS", &kafka.brokers)
        .env("COMPUTESTREAM_KAFKA__TOPIC_PREFIX", &kafka.topic_prefix)
        .env("COMPUTESTREAM_SIDE_PORT", "127.0.0.1:0")
        .env("COMPUTESTREAM_GATEWAY__LISTEN", "127.0.0.1:0")
        .env("COMPUTESTREAM_SETTLER__LISTEN", "127.0.0.1:0")
        .env("COMPUTESTREAM_DEVNET__LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        // Its error ends the output without a backtrace (the failure's reason stays in
        // sight in a CI excerpt).
        .env("RUST_LIB_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    c
}

/// `computestream demo ARGS` against `node` with its keys.
fn demo_against(
    kafka: &computestream_eventlog::KafkaSettings,
    node: &Node,
    args: &[&str],
) -> Child {
    demo(kafka)
        .args(args)
        .arg("--node-url")
        .arg(format!("{}/v1", node.base))
        .arg("--keys")
        .arg(&node.keys)
        .spawn()
        .expect("computestream demo")
}

/// Reads the child's stdout to its end, echoing it; calls `on_line` on each line.
fn output(child: &mut Child, mut on_line: impl FnMut(&str)) -> String {
    let out = child.stdout.take().expect("stdout");
    let mut all = String::new();
    for line in BufReader::new(out).lines() {
        let line = line.expect("line");
        println!("{line}");
        on_line(&line);
        all.push_str(&line);
        all.push('\n');
    }
    all
}

fn assert_checks_pass(out: &str) {
    require(
        out.contains("escrow conservation on chain: holds"),
        "the conservation line is missing",
        out,
    );
    require(
        out.contains("paid on chain = the newest voucher within the metered seconds plus the lead (cancelled: at most), stream closed: yes"),
        "the exactness line is missing",
        out,
    );
    for url in [
        "web app:",
        "dashboard:",
        "GraphQL:",
        "REST API:",
        "x402 facilitator:",
    ] {
        require(
            out.contains(url),
            &format!("the demo prints its {url} URL"),
            out,
        );
    }
}

/// Fails the test when `ok` is false, with `what` and the end of the demo's output (its final
/// checks and its error) as the last lines the test writes. The whole output was echoed as it
/// came; CI shows a run's head and tail, so the reason must come last, not before a backtrace.
fn require(ok: bool, what: &str, out: &str) {
    if ok {
        return;
    }
    let lines: Vec<&str> = out.lines().collect();
    let from = lines
        .iter()
        .rposition(|l| l.starts_with("Final"))
        .unwrap_or(lines.len().saturating_sub(20));
    eprintln!("\n=== the demo's end:");
    for l in lines.iter().skip(from) {
        eprintln!("{l}");
    }
    // Its services' warnings and errors (the path is the demo's first line).
    let log = lines
        .iter()
        .find_map(|l| l.strip_prefix("logs: "))
        .and_then(|p| std::fs::read_to_string(p.trim()).ok())
        .unwrap_or_default();
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
        .collect();
    eprintln!(
        "=== the demo's log: {} warnings and errors; the last 12:",
        warnings.len()
    );
    for l in warnings.iter().skip(warnings.len().saturating_sub(12)) {
        eprintln!("{}", l.chars().take(300).collect::<String>());
    }
    eprintln!("=== FAILED: {what}");
    std::panic::resume_unwind(Box::new(what.to_owned()));
}

/// A node in its own process (`computestream devnet`), known only by its URL, and a keys
/// file of accounts funded through its faucet: `providers` providers and `buyers` buyers
/// from account index `first`.
struct Node {
    child: Child,
    base: String,
    keys: std::path::PathBuf,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.keys);
    }
}

async fn node_with_keys(first: usize, providers: usize, buyers: usize) -> Node {
    // The node: a devnet in its own process, known only by its URL.
    let listen = free_addr();
    let child = Command::new(BIN)
        .arg("devnet")
        .env("COMPUTESTREAM_DEVNET__LISTEN", &listen)
        .env("COMPUTESTREAM_DEVNET__BLOCK_TIME_MS", "100")
        .env("COMPUTESTREAM_SIDE_PORT", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("computestream devnet");
    let keys =
        std::env::temp_dir().join(format!("cs-demo-keys-{first}-{}.json", std::process::id()));
    // Killed and cleaned up however the test ends.
    let node = Node {
        child,
        base: format!("http://{listen}"),
        keys: keys.clone(),
    };
    let base = node.base.clone();
    computestream_chain::install_tls_provider();
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..300 {
        if http.get(format!("{base}/v1")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the devnet did not come up on {listen}");

    // Funded keys, as an operator would prepare them on a testnet.
    let providers: Vec<[u8; 32]> = (first..first + providers)
        .map(load::provider_seed)
        .collect();
    for seed in &providers {
        let address = ed25519_authentication_key(&SigningKey::from_seed(*seed).public_key());
        computestream_testkit::remove_job_containers(&address.to_long_string()).await;
    }
    let buyers: Vec<[u8; 32]> = (first..first + buyers).map(load::buyer_seed).collect();
    let settler = load::provider_seed(first + 9);
    for seed in providers.iter().chain(&buyers).chain([&settler]) {
        let address = ed25519_authentication_key(&SigningKey::from_seed(*seed).public_key());
        let r = http
            .post(format!(
                "{base}/mint?address={}&amount=10000000000",
                address.to_long_string()
            ))
            .send()
            .await
            .expect("faucet");
        assert!(r.status().is_success(), "faucet: {}", r.status());
    }
    std::fs::write(
        &keys,
        serde_json::json!({
            "settler": hex::encode(settler),
            "providers": providers.iter().map(hex::encode).collect::<Vec<_>>(),
            "buyers": buyers.iter().map(hex::encode).collect::<Vec<_>>(),
        })
        .to_string(),
    )
    .expect("keys file");

    node
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_against_a_node_given_by_url_with_funded_keys() {
    let kafka = computestream_testkit::kafka();
    let node = node_with_keys(60, 2, 3).await;
    let mut child = demo_against(
        &kafka,
        &node,
        &[
            "--seconds",
            "6",
            "--settle-every",
            "3",
            "--schema",
            "demo_by_url",
        ],
    );
    let out = tokio::task::spawn_blocking(move || {
        let out = output(&mut child, |_| {});
        (out, child.wait().expect("wait"))
    })
    .await
    .expect("join");
    drop(node);
    require(
        out.1.success(),
        &format!("the demo failed ({})", out.1),
        &out.0,
    );
    assert_checks_pass(&out.0);
    require(
        out.0.contains("2 providers, 3 jobs"),
        "the demo's header",
        &out.0,
    );
    require(
        out.0.contains("3 of 3 jobs completed"),
        "3 of 3 jobs completed",
        &out.0,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_winds_the_demo_down_cleanly() {
    let kafka = computestream_testkit::kafka();
    let node = node_with_keys(70, 1, 2).await;
    let mut child = demo_against(
        &kafka,
        &node,
        &[
            "--seconds",
            "0",
            "--settle-every",
            "2",
            "--schema",
            "demo_ctrl_c",
        ],
    );
    let pid = child.id();
    let out = tokio::task::spawn_blocking(move || {
        let mut sent = false;
        let out = output(&mut child, |line| {
            // Interrupt once money has moved: a few seconds served and vouchered.
            let settled = line
                .split("settlement txns=")
                .nth(1)
                .and_then(|n| n.trim().parse::<u64>().ok())
                .unwrap_or(0);
            if !sent && line.contains("jobs running=2") && settled >= 1 {
                let status = Command::new("kill")
                    .args(["-INT", &pid.to_string()])
                    .status()
                    .expect("kill -INT");
                assert!(status.success());
                sent = true;
            }
        });
        (out, child.wait().expect("wait"), sent)
    })
    .await
    .expect("join");
    drop(node);
    let (out, status, sent) = out;
    require(sent, "the demo never reached a settlement", &out);
    require(
        status.success(),
        &format!("the demo did not exit cleanly ({status})"),
        &out,
    );
    require(
        out.contains("stopping: the buyers cancel their running jobs"),
        "the buyers cancel their running jobs",
        &out,
    );
    require(out.contains("2 jobs cancelled"), "2 jobs cancelled", &out);
    assert_checks_pass(&out);
}

/// The jobs of the busy-machine test run this long: a buyer that cannot keep up falls behind
/// a little more each second, so a short run would not show it (issue #21: every job was
/// stopped after ~500 s).
const BUSY_SECONDS: u64 = 600;

/// Spins one thread per core at normal priority until dropped: the machine is busy.
struct CpuHog {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<u64>>,
}

impl CpuHog {
    fn start() -> CpuHog {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let threads = (0..cores)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut spins = 0u64;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        spins = std::hint::black_box(spins.wrapping_add(1));
                    }
                    spins
                })
            })
            .collect();
        CpuHog { stop, threads }
    }
}

impl Drop for CpuHog {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_machine_stops_no_paying_job() {
    let kafka = computestream_testkit::kafka();
    let node = node_with_keys(80, 2, 8).await;
    let hog = CpuHog::start();
    let seconds = BUSY_SECONDS.to_string();
    let mut child = demo_against(
        &kafka,
        &node,
        &[
            "--seconds",
            &seconds,
            "--settle-every",
            "10",
            "--schema",
            "demo_busy",
        ],
    );
    let out = tokio::task::spawn_blocking(move || {
        let out = output(&mut child, |_| {});
        (out, child.wait().expect("wait"))
    })
    .await
    .expect("join");
    drop(hog);
    drop(node);
    require(
        out.1.success(),
        &format!("the demo failed ({})", out.1),
        &out.0,
    );
    // A job stopped for want of payment ends failed, not completed.
    require(
        out.0.contains("8 of 8 jobs completed"),
        "8 of 8 jobs completed",
        &out.0,
    );
    assert_checks_pass(&out.0);
}
