//! The demo's chain: the in-process devnet (default), or any node given by URL — Bardock
//! testnet, say — with funded keys from a file. Either way the demo then only talks to the
//! node's REST API: setup transactions, view functions for the jobs, streams and escrows.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use aptos_sdk::aptos_bcs::to_bytes;
use computestream_chain::{parse_seed, Account, Caller, RestChain};
use computestream_devnet::load::{self, LoadPlan};
use computestream_devnet::{ChainIdentity, DevnetConfig, Running};
use computestream_domain::{ed25519_authentication_key, JobStatus, SigningKey, OCTAS_PER_MOVE};
use computestream_runtime::{now_ms, Shutdown};
use serde::Deserialize;
use serde_json::{json, Value};

/// The accounts the demo acts as (ed25519 private keys, 64 hex digits each). Job `i` is
/// bought by `buyers[i]` from `providers[i % providers.len()]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysFile {
    pub settler: String,
    pub providers: Vec<String>,
    pub buyers: Vec<String>,
}

#[derive(Clone)]
pub struct Keys {
    pub settler: [u8; 32],
    pub providers: Vec<[u8; 32]>,
    pub buyers: Vec<[u8; 32]>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Keys {{ {} providers, {} buyers, <redacted> }}",
            self.providers.len(),
            self.buyers.len()
        )
    }
}

/// The local demo's providers are the workload's accounts from this index on, apart from
/// those the tests use: the Docker engine names job containers per provider and job id, and
/// a fresh devnet numbers its jobs from 1 again, so a demo and a test sharing an engine must
/// not share a provider.
pub const DEMO_FIRST_PROVIDER: usize = 10_000;

impl Keys {
    /// The local workload's accounts (funded by the devnet setup).
    pub fn local(providers: usize, jobs: usize) -> Keys {
        Keys {
            settler: load::settler_seed(),
            providers: (DEMO_FIRST_PROVIDER..DEMO_FIRST_PROVIDER + providers)
                .map(load::provider_seed)
                .collect(),
            buyers: (0..jobs).map(load::buyer_seed).collect(),
        }
    }

    pub fn from_file(path: &Path) -> anyhow::Result<Keys> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the keys file {}", path.display()))?;
        let f: KeysFile = serde_json::from_str(&text).with_context(|| {
            format!(
                "the keys file {} (JSON: settler, providers, buyers)",
                path.display()
            )
        })?;
        anyhow::ensure!(
            !f.providers.is_empty() && !f.buyers.is_empty(),
            "the keys file needs at least one provider and one buyer"
        );
        let seed = |s: &str, what: &str| parse_seed(s).with_context(|| format!("{what} key"));
        Ok(Keys {
            settler: seed(&f.settler, "settler")?,
            providers: f
                .providers
                .iter()
                .map(|k| seed(k, "provider"))
                .collect::<anyhow::Result<_>>()?,
            buyers: f
                .buyers
                .iter()
                .map(|k| seed(k, "buyer"))
                .collect::<anyhow::Result<_>>()?,
        })
    }
}

/// One demo job: its id on chain and who buys and serves it.
#[derive(Debug, Clone, Copy)]
pub struct DemoJob {
    pub job_id: u64,
    pub buyer: usize,
    pub provider: usize,
}

pub struct DemoChain {
    pub node_url: String,
    /// The in-process devnet, when the demo runs its own chain.
    pub devnet: Option<Running>,
    pub keys: Keys,
    pub jobs: Vec<DemoJob>,
    /// The ledger version before the demo's first transaction (where indexing starts).
    pub start_version: u64,
    pub rest: RestChain,
    pub id: ChainIdentity,
}

fn bcs<T: serde::Serialize>(v: &T) -> anyhow::Result<Vec<u8>> {
    Ok(to_bytes(v)?)
}

/// Starts the devnet and sets the workload up in a few batched phases (funding, providers,
/// jobs), as fast as the devnet commits them.
pub async fn local(
    id: ChainIdentity,
    devnet: &DevnetConfig,
    providers: usize,
    jobs: usize,
    image: &str,
    run_for: u64,
    shutdown: Shutdown,
) -> anyhow::Result<DemoChain> {
    let devnet_cfg = DevnetConfig {
        block_time_ms: 100,
        ..devnet.clone()
    };
    let root = SigningKey::from_hex(devnet_cfg.root_seed.expose())?.seed();
    let running = computestream_devnet::start(id, devnet_cfg, shutdown)
        .await
        .context("starting the devnet (devnet.listen in use?)")?;
    let expiry = now_ms() / 1000 + 24 * 3600;
    let w = load::build_at(
        LoadPlan {
            providers,
            jobs,
            deposits: 0,
            batch: jobs,
            // Jobs may run their whole `--seconds`, with room for the stall grace.
            max_job_secs: run_for.saturating_add(600),
        },
        id,
        root,
        expiry,
        image,
        DEMO_FIRST_PROVIDER,
    )
    .map_err(anyhow::Error::msg)?;
    for phase in &w.setup {
        let txns = phase
            .iter()
            .map(|t| t.to_bcs())
            .collect::<Result<Vec<_>, _>>()?;
        running.submit_all(txns).await.map_err(anyhow::Error::msg)?;
    }
    let node_url = running.rest_url();
    Ok(DemoChain {
        rest: RestChain::new(&node_url, id.package, Duration::from_secs(10))?,
        node_url,
        devnet: Some(running),
        keys: Keys::local(providers, jobs),
        // Stream ids are job ids 1..=M, in creation order.
        jobs: (0..jobs)
            .map(|i| DemoJob {
                job_id: i as u64 + 1,
                buyer: i,
                provider: i % providers,
            })
            .collect(),
        start_version: 0,
        id,
    })
}

/// Uses the node at `node_url` (its chain id must be `id.chain_id` and the package published
/// at `id.package`) with funded `keys`: registers the providers not registered yet and
/// creates one job per buyer, each through a signed transaction confirmed on chain.
pub async fn external(
    id: ChainIdentity,
    node_url: &str,
    keys: Keys,
    image: &str,
    max_duration_secs: u64,
) -> anyhow::Result<DemoChain> {
    let rest = RestChain::new(node_url, id.package, Duration::from_secs(15))?;
    let ledger = rest
        .ledger()
        .await
        .with_context(|| format!("the node at {node_url}"))?;
    anyhow::ensure!(
        ledger.chain_id == id.chain_id,
        "the node at {node_url} is chain {}, the configuration says chain_id = {}",
        ledger.chain_id,
        id.chain_id
    );
    let caller = |seed: [u8; 32]| -> anyhow::Result<Caller> {
        Ok(Caller::new(
            rest.clone(),
            Account::new(seed, id.chain_id, id.package)?,
            Duration::from_secs(60),
        ))
    };
    let price = load::PRICE_PER_SECOND;
    let mut providers = Vec::new();
    for seed in &keys.providers {
        let address = ed25519_authentication_key(&SigningKey::from_seed(*seed).public_key());
        let registered = rest
            .view(
                "provider_registry",
                "get_provider",
                vec![json!(address.to_long_string())],
            )
            .await
            .is_ok();
        if !registered {
            let c = caller(*seed)?
                .call(
                    "provider_registry",
                    "register_provider",
                    vec![
                        bcs(&"H100".to_owned())?,
                        bcs(&80u64)?,
                        bcs(&price)?,
                        bcs(&OCTAS_PER_MOVE)?,
                    ],
                )
                .await?;
            anyhow::ensure!(c.success, "registering provider {address}: {}", c.vm_status);
        }
        providers.push(address);
    }
    let mut jobs = Vec::new();
    for (i, seed) in keys.buyers.iter().enumerate() {
        let p = i % providers.len();
        let pk = SigningKey::from_seed(*seed).public_key().0.to_vec();
        let c = caller(*seed)?
            .call(
                "job_registry",
                "create_job",
                vec![
                    bcs(&providers[p].0)?,
                    bcs(&image.to_owned())?,
                    bcs(&max_duration_secs)?,
                    bcs(&load::ESCROW)?,
                    bcs(&pk)?,
                ],
            )
            .await?;
        anyhow::ensure!(c.success, "creating job {i}: {}", c.vm_status);
        let job_id = *c
            .jobs_created
            .first()
            .context("create_job committed without a JobCreated event")?;
        jobs.push(DemoJob {
            job_id,
            buyer: i,
            provider: p,
        });
    }
    Ok(DemoChain {
        node_url: node_url.to_owned(),
        devnet: None,
        keys,
        jobs,
        start_version: ledger.version,
        rest,
        id,
    })
}

fn u64_at(v: &[Value], i: usize) -> anyhow::Result<u64> {
    v.get(i)
        .and_then(|x| match x {
            Value::String(s) => s.parse().ok(),
            Value::Number(n) => n.as_u64(),
            _ => None,
        })
        .with_context(|| format!("view result {i}: {v:?}"))
}

/// Runs `call` until it succeeds, fails for good, or failed 6 times over ~30 s: a timeout or
/// an unavailable node (a busy machine) is tried again. The demo's checks read the chain, and
/// one slow answer must not fail a run whose money is right.
async fn retrying<T, F, Fut>(what: &str, mut call: F) -> Result<T, computestream_chain::ChainError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, computestream_chain::ChainError>>,
{
    let mut wait = Duration::from_millis(500);
    let mut tries = 1;
    loop {
        match call().await {
            Err(e) if e.is_retryable() && tries < 6 => {
                tracing::warn!(call = what, error = %e, "the node did not answer; trying again");
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2);
                tries += 1;
            }
            done => return done,
        }
    }
}

impl DemoChain {
    pub fn chain_id(&self) -> u8 {
        self.id.chain_id
    }

    /// A view function's result, tried again while the node is slow or away ([`retrying`]).
    async fn view(
        &self,
        module: &str,
        function: &str,
        args: Vec<Value>,
    ) -> Result<Vec<Value>, computestream_chain::ChainError> {
        retrying(function, || self.rest.view(module, function, args.clone())).await
    }

    /// The ledger's newest version, tried again while the node is slow or away.
    pub async fn head_version(&self) -> Result<u64, computestream_chain::ChainError> {
        retrying("ledger", || async { Ok(self.rest.ledger().await?.version) }).await
    }

    /// The job's status code on chain.
    pub async fn job_status(&self, job_id: u64) -> anyhow::Result<u8> {
        let v = self
            .view("job_registry", "get_job", vec![json!(job_id.to_string())])
            .await?;
        Ok(u64_at(&v, 6)? as u8)
    }

    /// `(paid, open)` of a stream.
    pub async fn stream(&self, stream_id: u64) -> anyhow::Result<(u64, bool)> {
        let v = self
            .view(
                "payment_stream",
                "get_stream",
                vec![json!(stream_id.to_string())],
            )
            .await?;
        let open = v
            .get(4)
            .and_then(Value::as_bool)
            .context("get_stream: open")?;
        Ok((u64_at(&v, 3)?, open))
    }

    /// `(deposited, released, refunded, locked)` of a job's escrow.
    pub async fn escrow(&self, job_id: u64) -> anyhow::Result<[u64; 4]> {
        let v = self
            .view("escrow", "get_escrow", vec![json!(job_id.to_string())])
            .await?;
        Ok([
            u64_at(&v, 0)?,
            u64_at(&v, 1)?,
            u64_at(&v, 2)?,
            u64_at(&v, 3)?,
        ])
    }

    /// Whether every job has ended (completed, failed or cancelled).
    pub async fn all_ended(&self) -> bool {
        for j in &self.jobs {
            match self.job_status(j.job_id).await {
                Ok(s) if s >= JobStatus::Completed as u8 => {}
                _ => return false,
            }
        }
        true
    }

    pub async fn all_closed(&self) -> bool {
        for j in &self.jobs {
            match self.stream(j.job_id).await {
                Ok((_, false)) => {}
                _ => return false,
            }
        }
        true
    }

    /// The buyers cancel their jobs that still run (Ctrl-C).
    pub async fn cancel_running(&self) -> anyhow::Result<usize> {
        let mut cancelled = 0;
        for j in &self.jobs {
            if self.job_status(j.job_id).await? >= JobStatus::Completed as u8 {
                continue;
            }
            let c = Caller::new(
                self.rest.clone(),
                Account::new(self.keys.buyers[j.buyer], self.id.chain_id, self.id.package)?,
                Duration::from_secs(60),
            )
            .call(
                "job_registry",
                "update_job_status",
                vec![bcs(&j.job_id)?, bcs(&(JobStatus::Cancelled as u8))?],
            )
            .await?;
            if c.success {
                cancelled += 1;
            }
        }
        Ok(cancelled)
    }
}
