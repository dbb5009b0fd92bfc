//! `computestream-bench devnet`: what the devnet sustains, and what its own execution
//! allows, measured in the same run.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use aptos_sdk::api::FullnodeClient;
use aptos_sdk::transaction::SignedTransaction;
use aptos_sdk::AptosConfig;
use computestream_devnet::load::{self, LoadPlan, Workload};
use computestream_devnet::node::Node;
use computestream_devnet::{ChainIdentity, DevnetConfig, ROOT_BALANCE};
use computestream_domain::{ed25519_authentication_key, AccountAddress, SigningKey};
use computestream_runtime::Shutdown;

#[derive(Debug, clap::Args)]
pub struct DevnetBenchArgs {
    #[arg(long, default_value_t = 100)]
    providers: usize,
    #[arg(long, default_value_t = 1_000)]
    jobs: usize,
    /// Escrow deposits per job in the measured phase.
    #[arg(long, default_value_t = 5)]
    deposits: usize,
    /// Streams per settlement batch.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Concurrent REST clients.
    #[arg(long, default_value_t = 32)]
    clients: usize,
}

pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

struct Measured {
    txns: u64,
    events: u64,
    secs: f64,
}

pub async fn run(a: DevnetBenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        a.providers > 0 && a.jobs > 0 && a.batch > 0 && a.clients > 0,
        "all sizes must be positive"
    );
    let id = ChainIdentity {
        chain_id: 4,
        package: AccountAddress::new([0xc5; 32]),
    };
    let config = DevnetConfig {
        listen: "127.0.0.1:0".parse()?,
        block_time_ms: 20,
        ..DevnetConfig::default()
    };
    let seed = SigningKey::from_hex(config.root_seed.expose())?.seed();
    let plan = LoadPlan {
        providers: a.providers,
        jobs: a.jobs,
        deposits: a.deposits,
        batch: a.batch,
        max_job_secs: load::MAX_JOB_SECS,
    };
    println!(
        "building the workload: {} providers, {} jobs, {} deposits/job, batches of {}",
        a.providers, a.jobs, a.deposits, a.batch
    );
    let workload = load::build(plan, id, seed, now_secs() + 3600).map_err(anyhow::Error::msg)?;
    println!(
        "  {} setup and {} measured transactions, signed",
        workload.setup.iter().map(Vec::len).sum::<usize>(),
        workload.load.len()
    );

    let served = through_rest(&workload, id, config, a.clients).await?;
    let raw = raw_limit(&workload, id, &seed)?;

    let report = |name: &str, m: &Measured| {
        println!(
            "  {name:<28} {:>9.0} txn/s {:>10.0} events/s  ({} txns, {} events, {:.2} s)",
            m.txns as f64 / m.secs,
            m.events as f64 / m.secs,
            m.txns,
            m.events,
            m.secs
        );
    };
    println!("devnet under load:");
    report("REST API, concurrent clients", &served);
    report("raw limit: node in-process", &raw);
    println!(
        "  ratio (REST / in-process): {:.2} txn/s",
        (served.txns as f64 / served.secs) / (raw.txns as f64 / raw.secs)
    );
    Ok(())
}

fn bytes(t: &SignedTransaction) -> anyhow::Result<Vec<u8>> {
    t.to_bcs().context("bcs")
}

/// Submits into a node, producing blocks when a sender runs too far ahead.
pub(crate) fn feed(
    node: &mut Node,
    txns: &[SignedTransaction],
    clock: &mut u64,
) -> anyhow::Result<()> {
    for t in txns {
        let b = bytes(t)?;
        loop {
            match node.submit(&b, *clock / 1_000_000) {
                Ok(_) => break,
                Err(r) if r.body.vm_error_code == Some(4) => {
                    *clock += 1_000;
                    node.produce_block(*clock);
                }
                Err(r) => anyhow::bail!("workload transaction refused: {}", r.body.message),
            }
        }
        if node.mempool_len() >= 2_000 {
            *clock += 1_000;
            node.produce_block(*clock);
        }
    }
    while node.mempool_len() > 0 {
        *clock += 1_000;
        node.produce_block(*clock);
    }
    Ok(())
}

fn raw_limit(w: &Workload, id: ChainIdentity, seed: &[u8; 32]) -> anyhow::Result<Measured> {
    let root = ed25519_authentication_key(&SigningKey::from_seed(*seed).public_key());
    let mut clock = now_secs() * 1_000_000;
    let mut node = Node::new(id.chain_id, id.package, clock, &[(root, ROOT_BALANCE)]);
    for phase in &w.setup {
        feed(&mut node, phase, &mut clock)?;
    }
    let (t0, e0) = node.committed_counts();
    let start = Instant::now();
    feed(&mut node, &w.load, &mut clock)?;
    let secs = start.elapsed().as_secs_f64();
    let (t1, e1) = node.committed_counts();
    anyhow::ensure!(
        t1 - t0 == w.load.len() as u64,
        "in-process run committed {} of {}",
        t1 - t0,
        w.load.len()
    );
    Ok(Measured {
        txns: t1 - t0,
        events: e1 - e0,
        secs,
    })
}

async fn through_rest(
    w: &Workload,
    id: ChainIdentity,
    config: DevnetConfig,
    clients: usize,
) -> anyhow::Result<Measured> {
    let shutdown = Shutdown::new();
    let running = computestream_devnet::start(id, config, shutdown.clone()).await?;
    // Setup is not measured: straight into the node.
    for phase in &w.setup {
        let target = running.devnet.node()?.committed_counts().0 + phase.len() as u64;
        for t in phase {
            let b = bytes(t)?;
            loop {
                match running.devnet.submit(&b) {
                    Ok(_) => break,
                    Err(computestream_devnet::SubmitError::Rejected(r))
                        if r.body.vm_error_code == Some(4) =>
                    {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    Err(e) => anyhow::bail!("setup transaction refused: {e:?}"),
                }
            }
        }
        wait_for(&running, target).await?;
    }
    let client = FullnodeClient::new(AptosConfig::custom(&running.rest_url())?)?;
    // One queue per sender keeps each sender's transactions in order.
    let mut by_sender: std::collections::BTreeMap<[u8; 32], Vec<SignedTransaction>> =
        Default::default();
    for t in &w.load {
        by_sender
            .entry(t.raw_txn.sender.to_bytes())
            .or_default()
            .push(t.clone());
    }
    let queues: Vec<Vec<SignedTransaction>> = by_sender.into_values().collect();
    let (t0, e0) = running.devnet.node()?.committed_counts();
    let target = t0 + w.load.len() as u64;
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..clients {
        let mine: Vec<Vec<SignedTransaction>> = queues
            .iter()
            .skip(worker)
            .step_by(clients)
            .cloned()
            .collect();
        let client = client.clone();
        tasks.spawn(async move {
            for queue in mine {
                for t in queue {
                    loop {
                        match client.submit_transaction(&t).await {
                            Ok(_) => break,
                            Err(e) if e.to_string().contains("SEQUENCE_NUMBER_TOO_NEW") => {
                                tokio::time::sleep(Duration::from_millis(5)).await;
                            }
                            Err(e) => return Err(anyhow::anyhow!("submit: {e}")),
                        }
                    }
                }
            }
            Ok::<(), anyhow::Error>(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    wait_for(&running, target).await?;
    let secs = start.elapsed().as_secs_f64();
    let (t1, e1) = running.devnet.node()?.committed_counts();
    shutdown.trigger();
    let _ = running.task.await;
    Ok(Measured {
        txns: t1 - t0,
        events: e1 - e0,
        secs,
    })
}

async fn wait_for(running: &computestream_devnet::Running, target: u64) -> anyhow::Result<()> {
    for _ in 0..60_000 {
        if running.devnet.node()?.committed_counts().0 >= target {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    anyhow::bail!("the devnet did not commit the workload")
}
