//! `computestream-bench executor`: sandboxed containers started per minute through the
//! executor's runtime adapter, against the engine's own create-and-start of the same image
//! with no sandbox settings, in the same run; and the CPU the executor spends per metered
//! second (container stats, signing the hash-chained record, producing it to the broker),
//! with the Docker engine's share measured beside it.

use std::path::Path;
use std::time::{Duration, Instant};

use computestream_devnet::load;
use computestream_domain::{
    ed25519_authentication_key, AccountAddress, MeteringRecord, SigningKey, METERING_GENESIS_HASH,
};
use computestream_eventlog::{admin, EnvelopeProducer};
use computestream_executor::container::ContainerRuntime;
use computestream_executor::sandbox::{container_spec, JobRequest};
use computestream_executor::{DockerRuntime, SandboxPolicy};
use computestream_schemas::events::MeteringTick;
use computestream_schemas::{topics, Envelope};

use computestream::config::AppConfig;

#[derive(Debug, clap::Args)]
pub struct ExecutorBenchArgs {
    /// Containers started in each of the two start runs.
    #[arg(long, default_value_t = 40)]
    containers: usize,
    /// Concurrent jobs metered in the metering run.
    #[arg(long, default_value_t = 20)]
    jobs: usize,
    /// Seconds the metering run lasts.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
}

/// CPU time (user + system) of a process so far, from /proc, in microseconds.
fn cpu_micros(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks * 10_000) // USER_HZ = 100
}

fn dockerd_pid() -> Option<String> {
    for entry in std::fs::read_dir("/proc").ok()? {
        let entry = entry.ok()?;
        let name = entry.file_name().to_string_lossy().to_string();
        if name.chars().all(|c| c.is_ascii_digit()) {
            if let Ok(comm) = std::fs::read_to_string(entry.path().join("comm")) {
                if comm.trim() == "dockerd" {
                    return Some(name);
                }
            }
        }
    }
    None
}

async fn start_many(
    rt: &DockerRuntime,
    n: usize,
    image: &str,
    tag: &str,
    sandboxed: bool,
    dir: &Path,
) -> anyhow::Result<(f64, Vec<String>)> {
    let provider = format!("0xbench{tag}");
    let t = Instant::now();
    let mut ids = Vec::new();
    for i in 0..n {
        let job = JobRequest {
            job_id: 1_000_000 + i as u64,
            image: image.to_owned(),
            max_duration_secs: 600,
        };
        let name = format!("cs-bench-{tag}-{i}-{}", std::process::id());
        let cmd = vec!["sleep".to_owned(), "600".to_owned()];
        let id = if sandboxed {
            let mut spec = container_spec(&job, &provider, &SandboxPolicy::default(), dir);
            spec.name = name;
            spec.cmd = Some(cmd);
            rt.run(&spec).await?
        } else {
            rt.run_unsandboxed(&name, image, cmd).await?
        };
        ids.push(id);
    }
    Ok((n as f64 * 60.0 / t.elapsed().as_secs_f64(), ids))
}

pub async fn run(cfg: &AppConfig, a: ExecutorBenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(a.containers > 0 && a.jobs > 0 && a.seconds > 0);
    let rt = DockerRuntime::connect().await?;
    let image = std::env::var("CS_TEST_IMAGE").unwrap_or_else(|_| load::DEFAULT_IMAGE.into());
    let dir = std::env::temp_dir().join(format!("cs-bench-exec-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;

    // A warm-up, then raw, then sandboxed; each run's containers are removed before the
    // next.
    let (_, ids) = start_many(&rt, 5, &image, "warmup", false, &dir).await?;
    for id in ids {
        rt.remove(&id).await?;
    }
    let (raw, ids) = start_many(&rt, a.containers, &image, "raw", false, &dir).await?;
    for id in ids {
        rt.remove(&id).await?;
    }
    let (ours, ids) = start_many(&rt, a.containers, &image, "sandbox", true, &dir).await?;
    for id in ids {
        rt.remove(&id).await?;
    }
    // Raw again after, so that order does not favour either; the faster raw run counts.
    let (raw_after, ids) = start_many(&rt, a.containers, &image, "raw2", false, &dir).await?;
    for id in ids {
        rt.remove(&id).await?;
    }
    println!("raw runs: {raw:.0}/min before, {raw_after:.0}/min after");
    let raw = raw.max(raw_after);
    println!(
        "starts: {ours:.0} sandboxed containers/min through the runtime adapter; raw create+start of the same image with no sandbox (network none): {raw:.0}/min; ratio {:.2}",
        ours / raw
    );

    // Metering: `jobs` containers, one signed record each per second, for `seconds`.
    let stamp = computestream_runtime::now_ms() / 1000;
    let kafka = cfg
        .kafka
        .clone()
        .with_topic_prefix(format!("bench{stamp}exec."));
    admin::ensure_topics(&kafka, &[topics::METERING]).await?;
    let producer = EnvelopeProducer::new(&kafka, "bench-executor")?;
    let (_, ids) = start_many(&rt, a.jobs, &image, "meter", true, &dir).await?;
    let key = SigningKey::from_seed(load::provider_seed(0));
    let provider: AccountAddress = ed25519_authentication_key(&key.public_key());
    let mut heads = vec![(0u64, METERING_GENESIS_HASH, 0u64); ids.len()];
    let me = std::process::id().to_string();
    let dockerd = dockerd_pid();
    let (cpu0, d0) = (
        cpu_micros(&me).unwrap_or(0),
        dockerd.as_deref().and_then(cpu_micros).unwrap_or(0),
    );
    let t = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut metered = 0u64;
    for _ in 0..a.seconds {
        tick.tick().await;
        let usages = futures::future::join_all(ids.iter().map(|id| rt.usage(id))).await;
        let mut envs = Vec::new();
        for (i, u) in usages.into_iter().enumerate() {
            let u = u?.unwrap_or_default();
            let (second, prev, last_cpu) = heads[i];
            let r = MeteringRecord {
                chain_id: cfg.chain_id,
                package: cfg.package,
                stream_id: 1_000_000 + i as u64,
                provider,
                second: second + 1,
                prev_hash: prev,
                observed_at_ms: computestream_runtime::now_ms(),
                cpu_usage_micros: u.cpu_total_ns.saturating_sub(last_cpu) / 1000,
                memory_bytes: u.memory_bytes,
                gpu: None,
            };
            heads[i] = (r.second, r.hash(), u.cpu_total_ns);
            envs.push(Envelope::metering_tick(MeteringTick {
                record: r.sign(&key),
            }));
        }
        for r in futures::future::join_all(envs.iter().map(|e| producer.send(e))).await {
            r?;
        }
        metered += ids.len() as u64;
    }
    let wall = t.elapsed();
    let ours = cpu_micros(&me).unwrap_or(0).saturating_sub(cpu0);
    let engine = dockerd
        .as_deref()
        .and_then(cpu_micros)
        .unwrap_or(0)
        .saturating_sub(d0);
    for id in ids {
        rt.remove(&id).await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "metering: {metered} metered seconds ({} jobs x {} s, {:.1} s wall): executor CPU {:.0} us per metered second ({:.2}% of one core per job); the Docker engine's stats work {:.0} us per metered second",
        a.jobs,
        a.seconds,
        wall.as_secs_f64(),
        ours as f64 / metered as f64,
        ours as f64 / metered as f64 / 10_000.0,
        engine as f64 / metered as f64
    );
    Ok(())
}
