//! `computestream-bench load`: the demo at scale. A devnet with `--providers` providers and
//! `--streams` open streams; the indexer, projector, settler and gateway as separate
//! `computestream` processes (as deployed); a simulated fleet writing every stream's second
//! (a provider-signed metering record and a buyer voucher, as the executors write them) for
//! `--seconds`. Sampled every 10 s: each service's resident memory and CPU (from /proc) and
//! its lag metrics (from its /metrics). The raw limit is the fleet's own produce rate to the
//! broker, measured first.
//!
//! The executors are the part replaced: one container per stream is 10,000 containers, and
//! metering costs ~650 µs of executor CPU per job-second (`bench executor`), 6.5 cores for
//! 10,000 streams on a machine that has 2.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use computestream_devnet::paying::PayingStream;
use computestream_devnet::ChainIdentity;
use computestream_eventlog::{admin, EnvelopeProducer};
use computestream_runtime::{now_ms, Shutdown};
use computestream_schemas::topics;

use crate::fleet::{chain_with_streams, second_of, send_all};
use computestream::config::AppConfig;

#[derive(Debug, clap::Args)]
pub struct LoadBenchArgs {
    #[arg(long, default_value_t = 1_000)]
    providers: usize,
    #[arg(long, default_value_t = 10_000)]
    streams: usize,
    /// How long the fleet pays, in seconds.
    #[arg(long, default_value_t = 600)]
    seconds: u64,
    /// The settler's interval.
    #[arg(long, default_value_t = 30)]
    interval: u64,
}

struct Proc {
    name: &'static str,
    child: Child,
    side: String,
    peak_rss_kb: u64,
    cpu_ticks_start: u64,
    cpu_ticks: u64,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_addr() -> anyhow::Result<String> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .to_string())
}

/// `(VmRSS kB, utime + stime ticks)` of a process.
fn proc_usage(pid: u32) -> (u64, u64) {
    let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0);
    let cpu = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // Fields after the command name (which is in parentheses): utime is 14th, stime 15th.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0);
    (rss, cpu)
}

/// The values of the metric `name` (any labels; summaries: the `quantile` given) on a side
/// port, summed.
async fn metric(http: &reqwest::Client, side: &str, name: &str, quantile: Option<&str>) -> f64 {
    let Ok(r) = http.get(format!("http://{side}/metrics")).send().await else {
        return f64::NAN;
    };
    let text = r.text().await.unwrap_or_default();
    text.lines()
        .filter(|l| {
            let Some(rest) = l.strip_prefix(name) else {
                return false;
            };
            (rest.starts_with(' ') || rest.starts_with('{'))
                && quantile.is_none_or(|q| rest.contains(&format!("quantile=\"{q}\"")))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

pub async fn run(cfg: &AppConfig, a: LoadBenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(a.streams > 0 && a.providers > 0 && a.seconds > 0);
    computestream_chain::install_tls_provider();
    let stamp = now_ms() / 1000;
    let id = ChainIdentity {
        chain_id: cfg.chain_id,
        package: cfg.package,
    };
    let kafka = cfg
        .kafka
        .clone()
        .with_topic_prefix(format!("bench{stamp}load."));
    admin::ensure_topics(&kafka, &topics::ALL).await?;
    let stop = Shutdown::new();
    let running = chain_with_streams(id, a.providers, a.streams, stop.child()).await?;
    let schema = format!("load{stamp}");

    // The services, each its own process.
    let exe = crate::services_binary()?;
    let db = cfg.database.url.expose().to_owned();
    let spawn = |name: &'static str, sub: &str, extra: &[(&str, String)]| -> anyhow::Result<Proc> {
        let side = free_addr()?;
        let mut c = Command::new(&exe);
        c.arg(sub)
            .env("COMPUTESTREAM_KAFKA__BROKERS", &kafka.brokers)
            .env("COMPUTESTREAM_KAFKA__TOPIC_PREFIX", &kafka.topic_prefix)
            .env("COMPUTESTREAM_DATABASE__URL", &db)
            .env("COMPUTESTREAM_PROJECTOR__SCHEMA", &schema)
            .env("COMPUTESTREAM_SIDE_PORT", &side)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null());
        for (k, v) in extra {
            c.env(k, v);
        }
        let child = c.spawn()?;
        let (_, cpu) = proc_usage(child.id());
        Ok(Proc {
            name,
            child,
            side,
            peak_rss_kb: 0,
            cpu_ticks_start: cpu,
            cpu_ticks: cpu,
        })
    };
    let node = running.rest_url();
    let mut procs = vec![
        spawn(
            "indexer",
            "index",
            &[("COMPUTESTREAM_INDEXER__NODE_URL", node.clone())],
        )?,
        spawn("projector", "project", &[])?,
        spawn(
            "settler",
            "settle",
            &[
                ("COMPUTESTREAM_SETTLER__NODE_URL", node.clone()),
                (
                    "COMPUTESTREAM_SETTLER__PRIVATE_KEY",
                    hex::encode(computestream_devnet::load::settler_seed()),
                ),
                (
                    "COMPUTESTREAM_SETTLER__INTERVAL_SECS",
                    a.interval.to_string(),
                ),
                ("COMPUTESTREAM_SETTLER__LISTEN", "127.0.0.1:0".into()),
            ],
        )?,
        spawn(
            "gateway",
            "serve",
            &[
                ("COMPUTESTREAM_GATEWAY__LISTEN", free_addr()?),
                ("COMPUTESTREAM_GATEWAY__NODE_URL", node.clone()),
            ],
        )?,
    ];

    // The raw limit: the fleet producing one second of every stream as fast as it can.
    let producer = EnvelopeProducer::new(&kafka, "bench-load-fleet")?;
    let mut streams: Vec<PayingStream> = (0..a.streams)
        .map(|i| PayingStream::for_job(id, i, a.providers))
        .collect();
    let t = Instant::now();
    let first = second_of(&mut streams, now_ms());
    send_all(&producer, &first).await?;
    let raw_rate = first.len() as f64 / t.elapsed().as_secs_f64();
    let offered = (a.streams * 2) as f64;
    println!(
        "fleet: {} messages/s offered (2 per stream-second); raw produce rate {raw_rate:.0} messages/s",
        offered
    );

    // The load: one second of every stream every second.
    let http = reqwest::Client::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let started = Instant::now();
    let projected_start = metric(
        &http,
        &procs[1].side,
        "computestream_projector_events_total",
        None,
    )
    .await;
    let mut behind_seconds = 0u64;
    let mut samples: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    // For `--seconds` of wall-clock time: one second of every stream per tick; when the
    // broker takes longer than a second for it, the fleet falls behind (counted).
    let mut s = 0u64;
    while started.elapsed() < Duration::from_secs(a.seconds) {
        s += 1;
        tick.tick().await;
        let envs = second_of(&mut streams, now_ms());
        let t = Instant::now();
        send_all(&producer, &envs).await?;
        if t.elapsed() > Duration::from_secs(1) {
            behind_seconds += 1;
        }
        if s.is_multiple_of(10) {
            for p in procs.iter_mut() {
                let (rss, cpu) = proc_usage(p.child.id());
                p.peak_rss_kb = p.peak_rss_kb.max(rss);
                p.cpu_ticks = cpu;
            }
            let lag = [
                (
                    "indexer head lag s",
                    &procs[0].side,
                    "computestream_indexer_head_lag_seconds",
                    None,
                ),
                (
                    "projector lag s",
                    &procs[1].side,
                    "computestream_projector_lag_seconds",
                    None,
                ),
                (
                    "settlement lag p99 s",
                    &procs[2].side,
                    "computestream_settler_settlement_lag_seconds",
                    Some("0.99"),
                ),
                (
                    "unsettled octas",
                    &procs[2].side,
                    "computestream_settler_unsettled_octas",
                    None,
                ),
            ];
            for (label, side, name, q) in lag {
                let v = metric(&http, side, name, q).await;
                if v.is_finite() {
                    samples.entry(label).or_default().push(v);
                }
            }
            println!(
                "t={s:>4}s  {}",
                samples
                    .iter()
                    .map(|(k, v)| format!("{k}={:.1}", v.last().copied().unwrap_or(f64::NAN)))
                    .collect::<Vec<_>>()
                    .join("  ")
            );
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let projected = metric(
        &http,
        &procs[1].side,
        "computestream_projector_events_total",
        None,
    )
    .await
        - projected_start;
    let ticks_per_sec = 100.0; // USER_HZ on Linux
    let produced = s as f64 * offered / elapsed;
    println!(
        "\nload: {} providers, {} streams, {elapsed:.0} s; {s} seconds of every stream produced ({produced:.0} messages/s; the fleet fell behind real time in {behind_seconds} of them)",
        a.providers, a.streams
    );
    println!(
        "projector: {:.0} events/s committed; produced {produced:.0} messages/s (ratio {:.2}); offered {offered:.0}",
        projected / elapsed,
        projected / elapsed / produced
    );
    for (label, v) in &samples {
        let mut sorted = v.clone();
        sorted.sort_by(|a, b| a.total_cmp(b));
        let max = sorted.last().copied().unwrap_or(f64::NAN);
        let p50 = sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN);
        println!("{label}: median {p50:.1}, max {max:.1} (samples every 10 s)");
    }
    for p in &procs {
        let cpu_s = (p.cpu_ticks - p.cpu_ticks_start) as f64 / ticks_per_sec;
        println!(
            "{}: peak RSS {:.0} MiB, CPU {:.2} cores on average",
            p.name,
            p.peak_rss_kb as f64 / 1024.0,
            cpu_s / elapsed
        );
    }
    drop(procs);
    stop.trigger();
    let _ = running.task.await;
    Ok(())
}
