//! The devnet node: admission of signed transactions (the mempool's validation), blocks,
//! execution through [`crate::vm`], and the committed ledger in the node's JSON shapes (on
//! disk: [`Ledger`]).
//!
//! Kept in one file past ~600 lines on purpose: admission, block production and the ledger's
//! reads share one lock and one state, and read best side by side; what stands alone is
//! already apart (`blocks.rs`, `simulate.rs`).

use std::collections::HashMap;

use aptos_sdk::transaction::{SignedTransaction, TransactionAuthenticator, TransactionPayload};
use computestream_domain::AccountAddress;
use computestream_nodeapi::{
    ApiError, BlockMetadataTransaction, EntryFunctionPayload, Event, EventGuid, LedgerInfo,
    PendingTransaction, StateCheckpointTransaction, Transaction, TransactionSignature,
    UserTransaction,
};
use serde_json::{json, Value};
use sha3::{Digest, Sha3_256};

use crate::abi;
use crate::vm::{self, ChainState, ExecFailure};
use crate::DevnetError;

mod blocks;
mod ledger;
mod simulate;

pub use blocks::BlockInfo;
pub use ledger::Ledger;
pub use simulate::SimulateOptions;

/// Largest signed transaction accepted, bytes (Aptos: 64 KiB for regular transactions).
pub const MAX_TRANSACTION_BYTES: usize = 64 * 1024;
/// Largest `max_gas_amount` accepted.
pub const MAX_GAS_UNITS: u64 = 2_000_000;
/// Smallest gas unit price accepted, octas.
pub const MIN_GAS_UNIT_PRICE: u64 = 100;
/// How far ahead of the account's sequence number a transaction may be parked.
const MAX_SEQUENCE_AHEAD: u64 = 100;
/// Most user transactions in one block.
const MAX_BLOCK_TRANSACTIONS: usize = 2_000;

/// A refusal at submission: HTTP status and the node's error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub status: u16,
    pub body: ApiError,
}

impl Rejection {
    fn vm(code: u64, name: &str) -> Self {
        Rejection {
            status: 400,
            body: ApiError {
                message: format!("Invalid transaction: Type: Validation Code: {name}"),
                error_code: "vm_error".into(),
                vm_error_code: Some(code),
            },
        }
    }

    fn input(message: impl Into<String>) -> Self {
        Rejection {
            status: 400,
            body: ApiError::new("invalid_input", message),
        }
    }
}

struct Pending {
    txn: SignedTransaction,
    hash: String,
    json: PendingTransaction,
}

/// The node: state, mempool and ledger.
pub struct Node {
    pub state: ChainState,
    /// On disk, as a node's (`ledger.rs`): the history does not grow the devnet's memory.
    ledger: Ledger,
    committed_by_hash: HashMap<String, u64>,
    mempool: Vec<Pending>,
    pending_by_hash: HashMap<String, usize>,
    block_height: u64,
    last_block_micros: u64,
    user_transactions: u64,
    events: u64,
    /// Every block, by height (height 0: genesis).
    blocks: Vec<BlockInfo>,
    /// The versions of each sender's committed user transactions, in sequence-number order.
    by_sender: HashMap<AccountAddress, Vec<u64>>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("ledger_version", &self.ledger_version())
            .field("mempool", &self.mempool.len())
            .finish()
    }
}

fn sha3_hex(parts: &[&[u8]]) -> String {
    let mut h = Sha3_256::new();
    for p in parts {
        h.update(p);
    }
    format!("0x{}", hex::encode(h.finalize()))
}

impl Node {
    /// A node at genesis (version 0) with `genesis` balances minted.
    pub fn new(
        chain_id: u8,
        package: AccountAddress,
        genesis_micros: u64,
        genesis: &[(AccountAddress, u64)],
    ) -> Self {
        let mut state = ChainState::new(chain_id, package);
        state.now_micros = genesis_micros;
        state.ensure_account(package);
        for (a, amount) in genesis {
            state.mint(*a, *amount);
        }
        let genesis_txn = Transaction::Other {
            type_: "genesis_transaction".into(),
            version: Some("0".into()),
            raw: json!({
                "version": "0", "hash": sha3_hex(&[b"genesis", &[chain_id]]),
                "state_change_hash": sha3_hex(&[b"genesis-state"]), "event_root_hash": sha3_hex(&[b"genesis-events"]),
                "state_checkpoint_hash": null, "gas_used": "0", "success": true,
                "vm_status": "Executed successfully", "accumulator_root_hash": sha3_hex(&[b"genesis-acc"]),
                "changes": [], "payload": {"write_set": {"type": "direct_write_set", "changes": [], "events": []}, "type": "write_set_payload"},
                "events": [], "type": "genesis_transaction",
            }),
        };
        let genesis_hash = genesis_txn
            .to_value()
            .get("hash")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut ledger = Ledger::new();
        ledger.push(&genesis_txn);
        let mut node = Node {
            state,
            ledger,
            committed_by_hash: HashMap::new(),
            mempool: Vec::new(),
            pending_by_hash: HashMap::new(),
            block_height: 0,
            last_block_micros: genesis_micros,
            user_transactions: 0,
            events: 0,
            blocks: vec![BlockInfo {
                height: 0,
                hash: sha3_hex(&[b"block", &0u64.to_le_bytes()]),
                timestamp_micros: genesis_micros,
                first_version: 0,
                last_version: 0,
            }],
            by_sender: HashMap::new(),
        };
        if let Some(h) = genesis_hash {
            node.committed_by_hash.insert(h, 0);
        }
        node
    }

    pub fn ledger_version(&self) -> u64 {
        (self.ledger.len() as u64).saturating_sub(1)
    }

    pub fn block_height(&self) -> u64 {
        self.block_height
    }

    pub fn last_block_micros(&self) -> u64 {
        self.last_block_micros
    }

    /// User transactions and their events committed since genesis (load measurement).
    pub fn committed_counts(&self) -> (u64, u64) {
        (self.user_transactions, self.events)
    }

    pub fn mempool_len(&self) -> usize {
        self.mempool.len()
    }

    pub fn ledger_info(&self) -> LedgerInfo {
        LedgerInfo {
            chain_id: self.state.chain_id,
            epoch: "1".into(),
            ledger_version: self.ledger_version().to_string(),
            oldest_ledger_version: "0".into(),
            ledger_timestamp: self.last_block_micros.to_string(),
            node_role: "full_node".into(),
            oldest_block_height: "0".into(),
            block_height: self.block_height.to_string(),
            git_hash: None,
        }
    }

    /// The committed transaction at `version`; `None` above the latest version.
    ///
    /// Errors: [`DevnetError::Ledger`] when the ledger's file cannot be read back.
    pub fn transaction(&self, version: u64) -> Result<Option<Transaction>, DevnetError> {
        self.ledger.transaction(version)
    }

    /// The node's JSON of the committed transaction at `version`; `None` above the latest.
    ///
    /// Errors: as [`Node::transaction`].
    pub fn transaction_value(&self, version: u64) -> Result<Option<Value>, DevnetError> {
        self.ledger.value(version)
    }

    /// The node's JSON of committed transactions `start..start+limit` (those that exist).
    ///
    /// Errors: as [`Node::transaction`].
    pub fn transactions(&self, start: u64, limit: usize) -> Result<Vec<Value>, DevnetError> {
        self.ledger.values(start, limit)
    }

    /// A committed or pending transaction by hash.
    ///
    /// Errors: as [`Node::transaction`].
    pub fn by_hash(&self, hash: &str) -> Result<Option<Transaction>, DevnetError> {
        let hash = hash.to_ascii_lowercase();
        if let Some(v) = self.committed_by_hash.get(&hash) {
            return self.transaction(*v);
        }
        Ok(self
            .pending_by_hash
            .get(&hash)
            .and_then(|i| self.mempool.get(*i))
            .map(|p| Transaction::Pending(p.json.clone())))
    }

    /// Validates a BCS signed transaction and parks it in the mempool (the node's 202).
    /// Submitting the same transaction again returns the same pending transaction.
    pub fn submit(&mut self, bytes: &[u8], now_secs: u64) -> Result<PendingTransaction, Rejection> {
        if bytes.len() > MAX_TRANSACTION_BYTES {
            return Err(Rejection::vm(10, "EXCEEDED_MAX_TRANSACTION_SIZE"));
        }
        let txn: SignedTransaction = aptos_sdk::aptos_bcs::from_bytes(bytes).map_err(|e| {
            Rejection::input(format!(
                "Failed to deserialize input into SignedTransaction: {e}"
            ))
        })?;
        let hash = txn
            .hash()
            .map(|h| format!("0x{}", hex::encode(h.as_bytes())))
            .map_err(|e| Rejection::input(format!("cannot hash transaction: {e}")))?;
        if let Some(i) = self.pending_by_hash.get(&hash) {
            if let Some(p) = self.mempool.get(*i) {
                return Ok(p.json.clone());
            }
        }
        if self.committed_by_hash.contains_key(&hash) {
            return Err(Rejection::vm(3, "SEQUENCE_NUMBER_TOO_OLD"));
        }
        let raw = &txn.raw_txn;
        if raw.chain_id.id() != self.state.chain_id {
            return Err(Rejection::vm(23, "BAD_CHAIN_ID"));
        }
        let (public_key, _) = ed25519_parts(&txn)?;
        if txn.verify_signature().is_err() {
            return Err(Rejection::vm(1, "INVALID_SIGNATURE"));
        }
        if !matches!(raw.payload, TransactionPayload::EntryFunction(_)) {
            return Err(Rejection::input(
                "the devnet executes entry function payloads only",
            ));
        }
        if let Err((code, name)) = self.prologue(&txn, &public_key, now_secs, false) {
            return Err(Rejection::vm(code, name));
        }
        if self.mempool.iter().any(|p| {
            p.txn.raw_txn.sender == raw.sender
                && p.txn.raw_txn.sequence_number == raw.sequence_number
        }) {
            return Err(Rejection {
                status: 400,
                body: ApiError::new("invalid_transaction_update", "A different transaction with this sender and sequence number is already pending"),
            });
        }
        let json = pending_json(&txn, &hash)?;
        self.pending_by_hash
            .insert(hash.clone(), self.mempool.len());
        self.mempool.push(Pending {
            txn,
            hash,
            json: json.clone(),
        });
        metrics::counter!("computestream_devnet_transactions_submitted_total").increment(1);
        Ok(json)
    }

    /// The checks of the transaction prologue after the signature (the mempool's validation
    /// and the VM's prologue): the sender exists, the public key matches its authentication
    /// key, the sequence number (exactly the account's for a simulation, within
    /// [`MAX_SEQUENCE_AHEAD`] for the mempool), expiry, gas bounds, the balance for the
    /// largest fee. The refusal is the VM status code and name.
    fn prologue(
        &self,
        txn: &SignedTransaction,
        public_key: &[u8; 32],
        now_secs: u64,
        exact_sequence: bool,
    ) -> Result<(), (u64, &'static str)> {
        let raw = &txn.raw_txn;
        let sender = AccountAddress::new(raw.sender.to_bytes());
        let Some(account) = self.state.accounts.get(&sender) else {
            return Err((7, "SENDING_ACCOUNT_DOES_NOT_EXIST"));
        };
        let auth = computestream_domain::ed25519_authentication_key(
            &computestream_domain::PublicKey(*public_key),
        );
        if auth.0 != account.authentication_key {
            return Err((2, "INVALID_AUTH_KEY"));
        }
        if raw.sequence_number < account.sequence_number {
            return Err((3, "SEQUENCE_NUMBER_TOO_OLD"));
        }
        let ahead = if exact_sequence {
            1
        } else {
            MAX_SEQUENCE_AHEAD
        };
        if raw.sequence_number >= account.sequence_number + ahead {
            return Err((4, "SEQUENCE_NUMBER_TOO_NEW"));
        }
        if raw.expiration_timestamp_secs <= now_secs {
            return Err((6, "TRANSACTION_EXPIRED"));
        }
        if raw.max_gas_amount > MAX_GAS_UNITS {
            return Err((13, "MAX_GAS_UNITS_EXCEEDS_MAX_GAS_UNITS_BOUND"));
        }
        if raw.gas_unit_price < MIN_GAS_UNIT_PRICE {
            return Err((15, "GAS_UNIT_PRICE_BELOW_MIN_BOUND"));
        }
        let max_fee = u128::from(raw.max_gas_amount) * u128::from(raw.gas_unit_price);
        if u128::from(self.state.balance(&sender)) < max_fee {
            return Err((5, "INSUFFICIENT_BALANCE_FOR_TRANSACTION_FEE"));
        }
        Ok(())
    }

    /// Produces one block at `now_micros`: block metadata, every executable pending
    /// transaction (in arrival order, each sender's in sequence), state checkpoint.
    /// Returns the BCS bytes of the user transactions it committed, in order (what a
    /// journal needs to replay the block).
    pub fn produce_block(&mut self, now_micros: u64) -> Vec<Vec<u8>> {
        let now_micros = now_micros.max(self.last_block_micros + 1);
        self.state.now_micros = now_micros;
        self.block_height += 1;
        self.last_block_micros = now_micros;
        let ts = now_micros.to_string();
        let height = self.block_height;

        let meta_version = self.next_version();
        let block_id = sha3_hex(&[b"block", &height.to_le_bytes()]);
        let meta = BlockMetadataTransaction {
            version: meta_version.to_string(),
            hash: sha3_hex(&[b"block-metadata", &height.to_le_bytes()]),
            state_change_hash: sha3_hex(&[b"state", &meta_version.to_le_bytes()]),
            event_root_hash: sha3_hex(&[b"events", &meta_version.to_le_bytes()]),
            state_checkpoint_hash: None,
            gas_used: "0".into(),
            success: true,
            vm_status: "Executed successfully".into(),
            accumulator_root_hash: sha3_hex(&[b"acc", &meta_version.to_le_bytes()]),
            changes: vec![],
            id: block_id.clone(),
            epoch: "1".into(),
            round: height.to_string(),
            events: vec![Event {
                guid: EventGuid {
                    creation_number: "3".into(),
                    account_address: "0x1".into(),
                },
                sequence_number: (height - 1).to_string(),
                type_: "0x1::block::NewBlockEvent".into(),
                data: json!({
                    "epoch": "1", "failed_proposer_indices": [], "hash": block_id,
                    "height": height.to_string(), "previous_block_votes_bitvec": "0x00",
                    "proposer": "0x1", "round": height.to_string(), "time_microseconds": ts,
                }),
            }],
            previous_block_votes_bitvec: vec![],
            proposer: "0x1".into(),
            failed_proposer_indices: vec![],
            timestamp: ts.clone(),
        };
        self.commit(Transaction::BlockMetadata(meta));

        let selected = self.select_for_block(now_micros / 1_000_000);
        let mut included = Vec::with_capacity(selected.len());
        for p in selected {
            if let Ok(bytes) = p.txn.to_bcs() {
                included.push(bytes);
            }
            let sender = AccountAddress::new(p.txn.raw_txn.sender.to_bytes());
            let version = self.next_version();
            self.by_sender.entry(sender).or_default().push(version);
            let t = self.execute(p, &ts);
            self.user_transactions += 1;
            self.events += t.events.len() as u64;
            self.commit(Transaction::User(t));
        }

        let cp_version = self.next_version();
        let cp = StateCheckpointTransaction {
            version: cp_version.to_string(),
            hash: sha3_hex(&[b"checkpoint", &cp_version.to_le_bytes()]),
            state_change_hash: sha3_hex(&[b"state", &cp_version.to_le_bytes()]),
            event_root_hash: sha3_hex(&[b"events", &cp_version.to_le_bytes()]),
            state_checkpoint_hash: Some(sha3_hex(&[
                b"checkpoint-state",
                &cp_version.to_le_bytes(),
            ])),
            gas_used: "0".into(),
            success: true,
            vm_status: "Executed successfully".into(),
            accumulator_root_hash: sha3_hex(&[b"acc", &cp_version.to_le_bytes()]),
            changes: vec![],
            timestamp: ts,
        };
        self.commit(Transaction::StateCheckpoint(cp));
        self.blocks.push(BlockInfo {
            height,
            hash: block_id,
            timestamp_micros: now_micros,
            first_version: meta_version,
            last_version: cp_version,
        });
        metrics::counter!("computestream_devnet_blocks_total").increment(1);
        metrics::counter!("computestream_devnet_transactions_committed_total")
            .increment(included.len() as u64);
        included
    }

    /// The sequence number the account's next new transaction should use: its on-chain
    /// sequence number plus the run of its transactions already pending.
    pub fn next_sequence_number(&self, account: &AccountAddress) -> Option<u64> {
        let mut next = self.state.accounts.get(account)?.sequence_number;
        while self.mempool.iter().any(|p| {
            p.txn.raw_txn.sender.to_bytes() == account.0 && p.txn.raw_txn.sequence_number == next
        }) {
            next += 1;
        }
        Some(next)
    }

    fn next_version(&self) -> u64 {
        self.ledger.len() as u64
    }

    fn commit(&mut self, t: Transaction) {
        let v = self.next_version();
        let hash = match &t {
            Transaction::User(u) => Some(u.hash.clone()),
            Transaction::BlockMetadata(b) => Some(b.hash.clone()),
            Transaction::StateCheckpoint(c) => Some(c.hash.clone()),
            _ => None,
        };
        if let Some(h) = hash {
            self.committed_by_hash.insert(h, v);
        }
        self.ledger.push(&t);
    }

    /// Takes the pending transactions that can run now: expired ones are dropped; each
    /// sender's run in sequence-number order; the rest stay parked.
    fn select_for_block(&mut self, now_secs: u64) -> Vec<Pending> {
        let mut next_seq: HashMap<AccountAddress, u64> = HashMap::new();
        let mut chosen = Vec::new();
        let mut keep = Vec::new();
        let mut pending = std::mem::take(&mut self.mempool);
        self.pending_by_hash.clear();
        loop {
            let mut progressed = false;
            for p in pending.drain(..) {
                let sender = AccountAddress::new(p.txn.raw_txn.sender.to_bytes());
                let seq = p.txn.raw_txn.sequence_number;
                let expected = *next_seq.entry(sender).or_insert_with(|| {
                    self.state
                        .accounts
                        .get(&sender)
                        .map(|a| a.sequence_number)
                        .unwrap_or(0)
                });
                if p.txn.raw_txn.expiration_timestamp_secs <= now_secs || seq < expected {
                    continue;
                }
                if seq == expected && chosen.len() < MAX_BLOCK_TRANSACTIONS {
                    next_seq.insert(sender, expected + 1);
                    chosen.push(p);
                    progressed = true;
                } else {
                    keep.push(p);
                }
            }
            if !progressed || keep.is_empty() {
                break;
            }
            pending = std::mem::take(&mut keep);
        }
        for p in keep {
            self.pending_by_hash
                .insert(p.hash.clone(), self.mempool.len());
            self.mempool.push(p);
        }
        chosen
    }

    /// Executes one user transaction: prologue (sequence number, fee), the entry function,
    /// epilogue (fee, sequence number), and renders it as the node does.
    fn execute(&mut self, p: Pending, timestamp: &str) -> UserTransaction {
        let raw = &p.txn.raw_txn;
        let sender = AccountAddress::new(raw.sender.to_bytes());
        let TransactionPayload::EntryFunction(ef) = &raw.payload else {
            // Admission only lets entry functions in.
            return self.render(
                &p,
                0,
                false,
                "UNKNOWN_RUNTIME_STATUS".into(),
                vec![],
                timestamp,
            );
        };
        let module_addr = AccountAddress::new(ef.module.address.to_bytes());
        let module = ef.module.name.as_str().to_owned();
        let gas = vm::gas_units(&module, &ef.function, &ef.args);
        let (gas_used, result) = if gas > raw.max_gas_amount {
            (raw.max_gas_amount, Err(ExecFailure::Status("OUT_OF_GAS")))
        } else {
            let r = vm::execute(
                &mut self.state,
                sender,
                module_addr,
                &module,
                &ef.function,
                &ef.type_args,
                &ef.args,
            );
            (gas, r)
        };
        let fee = gas_used.saturating_mul(raw.gas_unit_price);
        let bal = self.state.balances.entry(sender).or_insert(0);
        let charged = fee.min(*bal);
        *bal -= charged;
        self.state.burnt = self.state.burnt.saturating_add(charged);
        if let Some(a) = self.state.accounts.get_mut(&sender) {
            a.sequence_number += 1;
        }
        let fee_event = Event {
            guid: EventGuid::module_event(),
            sequence_number: "0".into(),
            type_: "0x1::transaction_fee::FeeStatement".into(),
            data: json!({
                "execution_gas_units": gas_used.to_string(), "io_gas_units": "0",
                "storage_fee_octas": "0", "storage_fee_refund_octas": "0",
                "total_charge_gas_units": gas_used.to_string(),
            }),
        };
        let (success, vm_status, mut events) = match result {
            Ok(fx) => (
                true,
                "Executed successfully".to_owned(),
                fx.events
                    .into_iter()
                    .map(|e| Event {
                        guid: EventGuid::module_event(),
                        sequence_number: "0".into(),
                        type_: e.type_,
                        data: e.data,
                    })
                    .collect(),
            ),
            Err(f) => (false, f.vm_status(), vec![]),
        };
        events.push(fee_event);
        self.render(&p, gas_used, success, vm_status, events, timestamp)
    }

    fn render(
        &self,
        p: &Pending,
        gas_used: u64,
        success: bool,
        vm_status: String,
        events: Vec<Event>,
        timestamp: &str,
    ) -> UserTransaction {
        let v = self.next_version();
        let j = &p.json;
        UserTransaction {
            version: v.to_string(),
            hash: p.hash.clone(),
            state_change_hash: sha3_hex(&[b"state", &v.to_le_bytes()]),
            event_root_hash: sha3_hex(&[b"events", &v.to_le_bytes()]),
            state_checkpoint_hash: None,
            gas_used: gas_used.to_string(),
            success,
            vm_status,
            accumulator_root_hash: sha3_hex(&[b"acc", &v.to_le_bytes()]),
            changes: vec![],
            sender: j.sender.clone(),
            sequence_number: j.sequence_number.clone(),
            max_gas_amount: j.max_gas_amount.clone(),
            gas_unit_price: j.gas_unit_price.clone(),
            expiration_timestamp_secs: j.expiration_timestamp_secs.clone(),
            payload: j.payload.clone(),
            signature: j.signature.clone(),
            replay_protection_nonce: None,
            events,
            timestamp: timestamp.to_owned(),
        }
    }
}

/// The public key and signature of a single-key ed25519 transaction, the only kind the devnet
/// admits.
fn ed25519_parts(txn: &SignedTransaction) -> Result<([u8; 32], [u8; 64]), Rejection> {
    match &txn.authenticator {
        TransactionAuthenticator::Ed25519 {
            public_key,
            signature,
        } => Ok((public_key.0, signature.0)),
        _ => Err(Rejection::input(
            "the devnet accepts single-key ed25519 transactions only",
        )),
    }
}

/// The pending transaction's JSON: the payload with its arguments decoded by the ABI of the
/// function, type arguments as the node prints them.
fn pending_json(txn: &SignedTransaction, hash: &str) -> Result<PendingTransaction, Rejection> {
    let raw = &txn.raw_txn;
    let (public_key, signature) = ed25519_parts(txn)?;
    let TransactionPayload::EntryFunction(ef) = &raw.payload else {
        return Err(Rejection::input(
            "the devnet executes entry function payloads only",
        ));
    };
    let framework = ef.module.address.to_bytes() == AccountAddress::ONE.0;
    let module = ef.module.name.as_str();
    let params = abi::params(framework, module, &ef.function);
    let payload = EntryFunctionPayload {
        function: format!(
            "{}::{}::{}",
            AccountAddress::new(ef.module.address.to_bytes()).to_hex_literal(),
            module,
            ef.function
        ),
        type_arguments: ef.type_args.iter().map(|t| t.to_string()).collect(),
        arguments: abi::args_json(params, &ef.args),
        type_: "entry_function_payload".into(),
    };
    Ok(PendingTransaction {
        hash: hash.to_owned(),
        sender: AccountAddress::new(raw.sender.to_bytes()).to_hex_literal(),
        sequence_number: raw.sequence_number.to_string(),
        max_gas_amount: raw.max_gas_amount.to_string(),
        gas_unit_price: raw.gas_unit_price.to_string(),
        expiration_timestamp_secs: raw.expiration_timestamp_secs.to_string(),
        payload: serde_json::to_value(&payload).unwrap_or(Value::Null),
        signature: serde_json::to_value(TransactionSignature {
            public_key: format!("0x{}", hex::encode(public_key)),
            signature: format!("0x{}", hex::encode(signature)),
            type_: "ed25519_signature".into(),
        })
        .ok(),
    })
}
