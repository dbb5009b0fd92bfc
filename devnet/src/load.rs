//! A load generator: N providers and M concurrent jobs driven through real signed
//! transactions. Everything is signed up front, so what is measured is the chain, not the
//! client's signing.
//!
//! Phases, each of which must commit before the next: funding transfers from the funding
//! account; provider registrations; job creations (each deposits escrow and opens a stream);
//! then the measured load: per job, `deposits` escrow top-ups by its buyer, and settlement
//! batches of up to `batch` streams by a settler with the buyers' vouchers.

use aptos_sdk::account::Ed25519Account;
use aptos_sdk::aptos_bcs::to_bytes;
use aptos_sdk::transaction::{
    EntryFunction, SignedTransaction, TransactionBuilder, TransactionPayload,
};
use aptos_sdk::types::{ChainId, MoveModuleId};
use computestream_domain::{
    ed25519_authentication_key, AccountAddress, Octas, SigningKey, Voucher,
};

use crate::ChainIdentity;

#[derive(Debug, Clone, Copy)]
pub struct LoadPlan {
    pub providers: usize,
    pub jobs: usize,
    /// Escrow deposits per job in the measured phase.
    pub deposits: usize,
    /// Streams per settlement batch in the measured phase.
    pub batch: usize,
    /// Each job's `max_duration_secs` (`job_registry::create_job`); its escrow covers at
    /// least this many seconds at [`PRICE_PER_SECOND`].
    pub max_job_secs: u64,
}

/// Signed transactions, phase by phase.
#[derive(Debug)]
pub struct Workload {
    pub setup: Vec<Vec<SignedTransaction>>,
    pub load: Vec<SignedTransaction>,
}

struct Signer {
    account: Ed25519Account,
    key: SigningKey,
    address: AccountAddress,
    seq: u64,
}

impl Signer {
    fn new(tag: u8, i: usize) -> Result<Signer, String> {
        Signer::from_seed(seed(tag, i))
    }

    fn from_seed(seed: [u8; 32]) -> Result<Signer, String> {
        let key = SigningKey::from_seed(seed);
        let account = Ed25519Account::from_private_key_bytes(&seed).map_err(|e| e.to_string())?;
        Ok(Signer {
            address: ed25519_authentication_key(&key.public_key()),
            account,
            key,
            seq: 0,
        })
    }
}

struct Builder {
    id: ChainIdentity,
    expiration: u64,
}

impl Builder {
    fn call(
        &self,
        s: &mut Signer,
        module: &str,
        function: &str,
        args: Vec<Vec<u8>>,
    ) -> Result<SignedTransaction, String> {
        let addr = if module == "aptos_account" {
            AccountAddress::ONE
        } else {
            self.id.package
        };
        let module_id =
            MoveModuleId::from_str_strict(&format!("{}::{module}", addr.to_long_string()))
                .map_err(|e| e.to_string())?;
        let t = TransactionBuilder::new()
            .sender(s.account.address())
            .sequence_number(s.seq)
            .payload(TransactionPayload::EntryFunction(EntryFunction::new(
                module_id,
                function,
                vec![],
                args,
            )))
            .max_gas_amount(200_000)
            .gas_unit_price(crate::node::MIN_GAS_UNIT_PRICE)
            .expiration_timestamp_secs(self.expiration)
            .chain_id(ChainId::new(self.id.chain_id))
            .build_and_sign(&s.account)
            .map_err(|e| e.to_string())?;
        s.seq += 1;
        Ok(t)
    }
}

fn bcs<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, String> {
    to_bytes(v).map_err(|e| e.to_string())
}

/// Every provider's price per second in the workload (octas).
pub const PRICE_PER_SECOND: u64 = 1_000;
/// Every job's escrow in the workload (octas): 10,000 seconds at the price.
pub const ESCROW: u64 = 10_000_000;
/// The jobs' `max_duration_secs` in the benchmarks and tests: an hour.
pub const MAX_JOB_SECS: u64 = 3600;

/// A job's status change signed by its provider (`sequence_number` follows the provider's
/// registration, its first transaction) or, for a cancellation, by its buyer (whose
/// `create_job` was its first).
pub fn job_status_call(
    id: ChainIdentity,
    job_index: usize,
    providers: usize,
    status: computestream_domain::JobStatus,
    sequence_number: u64,
    expiration: u64,
) -> Result<SignedTransaction, String> {
    let seed = match status {
        computestream_domain::JobStatus::Cancelled => buyer_seed(job_index),
        _ => provider_seed(job_index % providers.max(1)),
    };
    let args = vec![bcs(&(job_index as u64 + 1))?, bcs(&(status as u8))?];
    sign_call(
        id,
        seed,
        sequence_number,
        "job_registry",
        "update_job_status",
        args,
        expiration,
    )
}

/// The seeds the workload derives its accounts from: provider `i`, buyer (job) `i`, the
/// settler.
pub fn provider_seed(i: usize) -> [u8; 32] {
    seed(0xe1, i)
}

pub fn buyer_seed(i: usize) -> [u8; 32] {
    seed(0xe2, i)
}

pub fn settler_seed() -> [u8; 32] {
    seed(0xe3, 0)
}

fn seed(tag: u8, i: usize) -> [u8; 32] {
    let mut s = [tag; 32];
    s[..8].copy_from_slice(&(i as u64).to_le_bytes());
    s
}

/// One signed entry-function call of the package (or of `0x1::aptos_account`).
pub fn sign_call(
    id: ChainIdentity,
    seed: [u8; 32],
    sequence_number: u64,
    module: &str,
    function: &str,
    args: Vec<Vec<u8>>,
    expiration: u64,
) -> Result<SignedTransaction, String> {
    let mut s = Signer::from_seed(seed)?;
    s.seq = sequence_number;
    Builder { id, expiration }.call(&mut s, module, function, args)
}

/// The image every workload job runs unless told otherwise.
pub const DEFAULT_IMAGE: &str = "computestream/busybox:latest";

/// Builds the workload. `root_seed` is the devnet's funding account; `expiration` the
/// transactions' expiry (unix seconds).
pub fn build(
    plan: LoadPlan,
    id: ChainIdentity,
    root_seed: [u8; 32],
    expiration: u64,
) -> Result<Workload, String> {
    build_with_image(plan, id, root_seed, expiration, DEFAULT_IMAGE)
}

/// [`build`], with every job running `image`.
pub fn build_with_image(
    plan: LoadPlan,
    id: ChainIdentity,
    root_seed: [u8; 32],
    expiration: u64,
    image: &str,
) -> Result<Workload, String> {
    build_at(plan, id, root_seed, expiration, image, 0)
}

/// [`build_with_image`], with the providers `provider_seed(first_provider ..)`: runs that
/// share one Docker engine (whose containers are named per provider and job) use disjoint
/// providers.
pub fn build_at(
    plan: LoadPlan,
    id: ChainIdentity,
    root_seed: [u8; 32],
    expiration: u64,
    image: &str,
    first_provider: usize,
) -> Result<Workload, String> {
    let b = Builder { id, expiration };
    let mut root = Signer::from_seed(root_seed)?;
    let mut providers = (first_provider..first_provider + plan.providers)
        .map(|i| Signer::new(0xe1, i))
        .collect::<Result<Vec<_>, _>>()?;
    let mut buyers = (0..plan.jobs)
        .map(|i| Signer::new(0xe2, i))
        .collect::<Result<Vec<_>, _>>()?;
    let mut settler = Signer::new(0xe3, 0)?;
    let price = PRICE_PER_SECOND;
    let escrow = PRICE_PER_SECOND
        .checked_mul(plan.max_job_secs)
        .ok_or("max_job_secs: the escrow overflows u64")?
        .max(ESCROW);
    let fund = 100 * computestream_domain::OCTAS_PER_MOVE;

    let mut funding = Vec::new();
    for a in providers
        .iter()
        .chain(buyers.iter())
        .map(|s| s.address)
        .chain([settler.address])
    {
        funding.push(b.call(
            &mut root,
            "aptos_account",
            "transfer",
            vec![bcs(&a.0)?, bcs(&fund)?],
        )?);
    }
    let mut registrations = Vec::new();
    for p in providers.iter_mut() {
        let args = vec![
            bcs(&"H100".to_owned())?,
            bcs(&80u64)?,
            bcs(&price)?,
            bcs(&computestream_domain::OCTAS_PER_MOVE)?,
        ];
        registrations.push(b.call(p, "provider_registry", "register_provider", args)?);
    }
    let mut jobs = Vec::new();
    for (i, buyer) in buyers.iter_mut().enumerate() {
        let provider = providers[i % providers.len().max(1)].address;
        let pk = buyer.key.public_key().0.to_vec();
        let args = vec![
            bcs(&provider.0)?,
            bcs(&image.to_owned())?,
            bcs(&plan.max_job_secs)?,
            bcs(&escrow)?,
            bcs(&pk)?,
        ];
        jobs.push(b.call(buyer, "job_registry", "create_job", args)?);
    }
    let mut load = Vec::new();
    for _ in 0..plan.deposits {
        for (i, buyer) in buyers.iter_mut().enumerate() {
            load.push(b.call(
                buyer,
                "escrow",
                "deposit",
                vec![bcs(&(i as u64 + 1))?, bcs(&1u64)?],
            )?);
        }
    }
    // Stream ids are job ids 1..=M, in creation order.
    for chunk in (1..=plan.jobs as u64)
        .collect::<Vec<_>>()
        .chunks(plan.batch.max(1))
    {
        let amounts: Vec<u64> = chunk.iter().map(|_| 5 * price).collect();
        let sigs = chunk
            .iter()
            .map(|&stream| {
                let v = Voucher {
                    chain_id: id.chain_id,
                    package: id.package,
                    stream_id: stream,
                    cumulative_amount: Octas(5 * price),
                };
                v.sign(&buyers[(stream - 1) as usize].key)
                    .signature
                    .0
                    .to_vec()
            })
            .collect::<Vec<_>>();
        load.push(b.call(
            &mut settler,
            "payment_stream",
            "settle_batch",
            vec![bcs(&chunk.to_vec())?, bcs(&amounts)?, bcs(&sigs)?],
        )?);
    }
    Ok(Workload {
        setup: vec![funding, registrations, jobs],
        load,
    })
}
