//! `POST /v1/transactions/simulate`: runs a BCS signed transaction on the current state
//! without committing anything, as the node's `simulate_transaction`
//! (aptos-core `api/src/transactions.rs`, `fn simulate`).

use aptos_sdk::transaction::{SignedTransaction, TransactionPayload};
use computestream_domain::AccountAddress;
use computestream_nodeapi::UserTransaction;

use super::{
    ed25519_parts, pending_json, Node, Pending, Rejection, MAX_GAS_UNITS, MAX_TRANSACTION_BYTES,
    MIN_GAS_UNIT_PRICE,
};

/// The query flags of `POST /transactions/simulate`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimulateOptions {
    /// Ignore the transaction's `max_gas_amount`; use the most the sender can pay for
    /// (`min(max(MIN_TRANSACTION_GAS_UNITS, balance / gas_unit_price), MAX_GAS_UNITS)`).
    pub estimate_max_gas_amount: bool,
    /// Ignore the transaction's `gas_unit_price`; use the estimate (`GET /estimate_gas_price`).
    pub estimate_gas_unit_price: bool,
    /// Use the prioritized estimate (on the devnet the same as the estimate).
    pub estimate_prioritized_gas_unit_price: bool,
}

/// The smallest gas a transaction is charged (the node's `min_transaction_gas_units`, in
/// external units).
const MIN_TRANSACTION_GAS_UNITS: u64 = 2;

const ZERO_HASH: &str = "0x0000000000000000000000000000000000000000000000000000000000000000";

impl Node {
    /// Simulates `bytes` (a BCS `SignedTransaction`) at the current ledger version.
    ///
    /// Refusals (400): bytes that are not a signed transaction, a transaction that is not a
    /// single-key ed25519 entry-function call, and **a valid signature**
    /// (`"Simulated transactions must not have a valid signature"`, `invalid_input`): a client
    /// simulates with an all-zero signature, so that nobody can run a transaction a user signed
    /// without their knowledge. Otherwise the answer is the user transaction it would commit,
    /// with `success`, `vm_status`, `gas_used` and events, state hashes zeroed; a transaction
    /// the prologue refuses (sequence number, expiry, gas, balance, chain id) comes back failed
    /// with that status and no gas used.
    pub fn simulate(
        &mut self,
        bytes: &[u8],
        now_secs: u64,
        options: SimulateOptions,
    ) -> Result<UserTransaction, Rejection> {
        if bytes.len() > MAX_TRANSACTION_BYTES {
            return Err(Rejection::vm(10, "EXCEEDED_MAX_TRANSACTION_SIZE"));
        }
        let mut txn: SignedTransaction = aptos_sdk::aptos_bcs::from_bytes(bytes).map_err(|e| {
            Rejection::input(format!(
                "Failed to deserialize input into SignedTransaction: {e}"
            ))
        })?;
        let (public_key, _) = ed25519_parts(&txn)?;
        if txn.verify_signature().is_ok() {
            return Err(Rejection::input(
                "Simulated transactions must not have a valid signature",
            ));
        }
        if !matches!(txn.raw_txn.payload, TransactionPayload::EntryFunction(_)) {
            return Err(Rejection::input(
                "the devnet executes entry function payloads only",
            ));
        }
        let sender = AccountAddress::new(txn.raw_txn.sender.to_bytes());
        if options.estimate_gas_unit_price || options.estimate_prioritized_gas_unit_price {
            txn.raw_txn.gas_unit_price = MIN_GAS_UNIT_PRICE;
        }
        if options.estimate_max_gas_amount {
            let price = txn.raw_txn.gas_unit_price.max(1);
            txn.raw_txn.max_gas_amount = (self.state.balance(&sender) / price)
                .clamp(MIN_TRANSACTION_GAS_UNITS, MAX_GAS_UNITS);
        }
        let hash = txn
            .hash()
            .map(|h| format!("0x{}", hex::encode(h.as_bytes())))
            .map_err(|e| Rejection::input(format!("cannot hash transaction: {e}")))?;
        let json = pending_json(&txn, &hash)?;
        let timestamp = self.last_block_micros.to_string();
        let chain_ok = txn.raw_txn.chain_id.id() == self.state.chain_id;
        let refused = if chain_ok {
            self.prologue(&txn, &public_key, now_secs, true).err()
        } else {
            Some((23, "BAD_CHAIN_ID"))
        };
        let p = Pending { txn, hash, json };
        let mut t = match refused {
            Some((_, status)) => self.render(&p, 0, false, status.to_owned(), vec![], &timestamp),
            None => {
                let saved = self.state.clone();
                let t = self.execute(p, &timestamp);
                self.state = saved;
                t
            }
        };
        t.version = self.ledger_version().to_string();
        for h in [
            &mut t.state_change_hash,
            &mut t.event_root_hash,
            &mut t.accumulator_root_hash,
        ] {
            *h = ZERO_HASH.to_owned();
        }
        Ok(t)
    }
}
