//! The running devnet: the node behind a lock, its clock, the block producer, the journal
//! and the faucet's funding account.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aptos_sdk::account::Ed25519Account;
use aptos_sdk::transaction::{EntryFunction, TransactionBuilder, TransactionPayload};
use aptos_sdk::types::ChainId;
use computestream_domain::{ed25519_authentication_key, AccountAddress, SigningKey};
use computestream_runtime::Shutdown;

use crate::config::{ChainIdentity, DevnetConfig};
use crate::journal::Journal;
use crate::node::{Node, Rejection};
use crate::DevnetError;

/// Octas the faucet's funding account starts with.
pub const ROOT_BALANCE: u64 = 1_000_000_000 * computestream_domain::OCTAS_PER_MOVE;
/// Most octas one faucet request may mint.
pub const FAUCET_MAX: u64 = 100_000 * computestream_domain::OCTAS_PER_MOVE;

pub struct Devnet {
    node: Mutex<Node>,
    journal: Option<Mutex<Journal>>,
    /// Seconds added to the wall clock (`/v1/-/devnet/advance_time`).
    offset_secs: AtomicU64,
    root: Ed25519Account,
    root_address: AccountAddress,
    chain_id: u8,
    config: DevnetConfig,
}

impl std::fmt::Debug for Devnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Devnet")
            .field("chain_id", &self.chain_id)
            .field("root", &self.root_address)
            .finish()
    }
}

fn wall_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

impl Devnet {
    /// Builds the devnet at genesis, then replays the journal if there is one.
    pub fn open(id: ChainIdentity, config: DevnetConfig) -> Result<Devnet, DevnetError> {
        config.validate().map_err(DevnetError::Config)?;
        let seed = SigningKey::from_hex(config.root_seed.expose())
            .map_err(|e| DevnetError::Config(e.to_string()))?;
        let root = Ed25519Account::from_private_key_bytes(&seed.seed())
            .map_err(|e| DevnetError::Config(e.to_string()))?;
        let root_address = ed25519_authentication_key(&seed.public_key());
        let (journal, blocks) = match &config.journal {
            Some(p) => {
                let (j, b) = Journal::open(p)?;
                (Some(j), b)
            }
            None => (None, Vec::new()),
        };
        // Genesis time is fixed so that a replayed journal reproduces every hash.
        let genesis_micros = blocks
            .first()
            .map(|b| b.t.saturating_sub(1))
            .unwrap_or_else(wall_micros);
        let mut node = Node::new(
            id.chain_id,
            id.package,
            genesis_micros,
            &[(root_address, ROOT_BALANCE)],
        );
        for (i, b) in blocks.iter().enumerate() {
            for hex_txn in &b.txns {
                let bytes = hex::decode(hex_txn)
                    .map_err(|e| DevnetError::Journal(format!("block {i}: {e}")))?;
                node.submit(&bytes, (b.t / 1_000_000).saturating_sub(1))
                    .map_err(|r| {
                        DevnetError::Journal(format!(
                            "block {i} does not replay: {}",
                            r.body.message
                        ))
                    })?;
            }
            let included = node.produce_block(b.t);
            if included.len() != b.txns.len() {
                return Err(DevnetError::Journal(format!(
                    "block {i} replayed {} of {} transactions",
                    included.len(),
                    b.txns.len()
                )));
            }
        }
        if !blocks.is_empty() {
            tracing::info!(
                blocks = blocks.len(),
                version = node.ledger_version(),
                "devnet journal replayed"
            );
        }
        Ok(Devnet {
            node: Mutex::new(node),
            journal: journal.map(Mutex::new),
            offset_secs: AtomicU64::new(0),
            root,
            root_address,
            chain_id: id.chain_id,
            config,
        })
    }

    /// A devnet around a node built elsewhere (benchmarks pre-fill one in-process). No
    /// journal: the node's history was not journaled.
    pub fn from_node(
        id: ChainIdentity,
        config: DevnetConfig,
        node: Node,
    ) -> Result<Devnet, DevnetError> {
        if config.journal.is_some() {
            return Err(DevnetError::Config(
                "a pre-built node cannot have a journal".into(),
            ));
        }
        config.validate().map_err(DevnetError::Config)?;
        let seed = SigningKey::from_hex(config.root_seed.expose())
            .map_err(|e| DevnetError::Config(e.to_string()))?;
        let root = Ed25519Account::from_private_key_bytes(&seed.seed())
            .map_err(|e| DevnetError::Config(e.to_string()))?;
        Ok(Devnet {
            node: Mutex::new(node),
            journal: None,
            offset_secs: AtomicU64::new(0),
            root,
            root_address: ed25519_authentication_key(&seed.public_key()),
            chain_id: id.chain_id,
            config,
        })
    }

    pub fn node(&self) -> Result<MutexGuard<'_, Node>, DevnetError> {
        self.node.lock().map_err(|_| DevnetError::Poisoned)
    }

    pub fn now_micros(&self) -> u64 {
        wall_micros() + self.offset_secs.load(Ordering::Relaxed) * 1_000_000
    }

    /// Moves the devnet clock forward (tests of expiry and timeouts).
    pub fn advance_time(&self, secs: u64) {
        self.offset_secs.fetch_add(secs, Ordering::Relaxed);
    }

    pub fn root_address(&self) -> AccountAddress {
        self.root_address
    }

    pub fn submit(
        &self,
        bytes: &[u8],
    ) -> Result<computestream_nodeapi::PendingTransaction, SubmitError> {
        let now = self.now_micros() / 1_000_000;
        self.node()
            .map_err(SubmitError::Internal)?
            .submit(bytes, now)
            .map_err(SubmitError::Rejected)
    }

    /// Funds `to` with `amount` octas: a real transfer signed by the funding account.
    pub fn fund(&self, to: AccountAddress, amount: u64) -> Result<String, SubmitError> {
        if amount == 0 || amount > FAUCET_MAX {
            return Err(SubmitError::Rejected(Rejection {
                status: 400,
                body: computestream_nodeapi::ApiError::new(
                    "invalid_input",
                    format!("amount must be 1..={FAUCET_MAX} octas"),
                ),
            }));
        }
        let internal = |e: String| SubmitError::Internal(DevnetError::Faucet(e));
        let mut node = self.node().map_err(SubmitError::Internal)?;
        let seq = node
            .next_sequence_number(&self.root_address)
            .ok_or_else(|| internal("funding account missing".into()))?;
        let to_sdk = aptos_sdk::types::AccountAddress::from_bytes(to.0)
            .map_err(|e| internal(e.to_string()))?;
        let payload =
            EntryFunction::apt_transfer(to_sdk, amount).map_err(|e| internal(e.to_string()))?;
        let txn = TransactionBuilder::new()
            .sender(self.root.address())
            .sequence_number(seq)
            .payload(TransactionPayload::EntryFunction(payload))
            .max_gas_amount(10_000)
            .gas_unit_price(crate::node::MIN_GAS_UNIT_PRICE)
            .expiration_timestamp_secs(self.now_micros() / 1_000_000 + 600)
            .chain_id(ChainId::new(self.chain_id))
            .build_and_sign(&self.root)
            .map_err(|e| internal(e.to_string()))?;
        let bytes = txn.to_bcs().map_err(|e| internal(e.to_string()))?;
        let pending = node
            .submit(&bytes, self.now_micros() / 1_000_000)
            .map_err(SubmitError::Rejected)?;
        Ok(pending.hash)
    }

    /// Produces a block if one is due; journals it first, so nothing acknowledged as
    /// committed can be lost.
    fn tick(&self, last_block: &mut u64) -> Result<(), DevnetError> {
        let now = self.now_micros();
        let mut node = self.node()?;
        let idle_due = now.saturating_sub(*last_block) >= self.config.idle_block_ms * 1_000;
        if node.mempool_len() == 0 && !idle_due {
            return Ok(());
        }
        // The block is journaled before the node lock is released, so no client can observe
        // a block the journal does not hold.
        let included = node.produce_block(now);
        let t = node.last_block_micros();
        if let Some(j) = &self.journal {
            j.lock()
                .map_err(|_| DevnetError::Poisoned)?
                .append(t, &included)?;
        }
        *last_block = t;
        Ok(())
    }

    /// The block producer: runs until `shutdown`.
    pub async fn produce_blocks(&self, shutdown: Shutdown) -> Result<(), DevnetError> {
        let mut interval = tokio::time::interval(Duration::from_millis(self.config.block_time_ms));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_block = 0u64;
        loop {
            tokio::select! {
                _ = shutdown.wait() => return Ok(()),
                _ = interval.tick() => self.tick(&mut last_block)?,
            }
        }
    }
}

/// A submission that did not enter the mempool.
#[derive(Debug)]
pub enum SubmitError {
    Rejected(Rejection),
    Internal(DevnetError),
}
