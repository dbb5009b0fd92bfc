//! Drives a scenario (`move/scenarios`) against a running devnet through aptos-sdk: funds
//! its accounts through the faucet, signs and submits every step, and returns each step's
//! committed transaction. Used by the devnet's scenario tests and by the indexer's tests
//! (which index what a scenario did).

use std::time::Duration;

use aptos_sdk::account::Ed25519Account;
use aptos_sdk::api::FullnodeClient;
use aptos_sdk::transaction::{EntryFunction, TransactionBuilder, TransactionPayload};
use aptos_sdk::types::{ChainId, HashValue, MoveModuleId};
use aptos_sdk::AptosConfig;
use computestream_nodeapi::{Transaction, UserTransaction};

use crate::scenario::{Resolved, Scenario};
use crate::Running;

/// What a step did.
#[derive(Debug)]
pub enum StepOutcome {
    Committed(Box<UserTransaction>),
    ClockAdvanced,
}

/// A client for `running`'s REST API.
pub fn client(running: &Running) -> Result<FullnodeClient, String> {
    FullnodeClient::new(AptosConfig::custom(&running.rest_url()).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())
}

/// Polls until the transaction is committed; a failed transaction is a result, not an error.
pub async fn committed(client: &FullnodeClient, hash: &str) -> Result<UserTransaction, String> {
    let h = HashValue::from_hex(hash).map_err(|e| e.to_string())?;
    for _ in 0..2_000 {
        if let Ok(r) = client.get_transaction_by_hash(&h).await {
            if let Ok(Transaction::User(u)) = Transaction::from_value(r.data) {
                return Ok(u);
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err(format!("transaction {hash} was not committed"))
}

/// Runs `scenario` on `running` (which should be fresh: scenarios number jobs from 1).
pub async fn drive(scenario: &Scenario, running: &Running) -> Result<Vec<StepOutcome>, String> {
    let r: Resolved<'_> = scenario
        .resolve(running.identity())
        .map_err(|e| e.to_string())?;
    let client = client(running)?;
    for (name, spec) in &scenario.accounts {
        let amount: u64 = spec.fund.parse().map_err(|_| format!("fund of {name}"))?;
        let to = r.address(name).map_err(|e| e.to_string())?;
        let hash = running
            .devnet
            .fund(to, amount)
            .map_err(|e| format!("funding {name}: {e:?}"))?;
        let t = committed(&client, &hash).await?;
        if !t.success {
            return Err(format!("funding {name} failed: {}", t.vm_status));
        }
    }
    let mut out = Vec::new();
    for (i, step) in scenario.steps.iter().enumerate() {
        let ctx = format!("{} step {i}", scenario.name);
        if let Some(secs) = &step.advance_secs {
            let secs: u64 = secs.parse().map_err(|_| format!("{ctx}: advance_secs"))?;
            running.devnet.advance_time(secs);
            let target = running.devnet.now_micros();
            while running
                .devnet
                .node()
                .map_err(|e| e.to_string())?
                .last_block_micros()
                < target
            {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            out.push(StepOutcome::ClockAdvanced);
            continue;
        }
        let sender = step
            .sender
            .as_deref()
            .ok_or_else(|| format!("{ctx}: no sender"))?;
        let key = r.key(sender).map_err(|e| e.to_string())?;
        let account =
            Ed25519Account::from_private_key_bytes(&key.seed()).map_err(|e| e.to_string())?;
        let (addr, module, function) = r
            .target(step.call.as_deref().unwrap_or_default())
            .map_err(|e| e.to_string())?;
        let args = r.bcs_args(&step.args).map_err(|e| e.to_string())?;
        let module_id =
            MoveModuleId::from_str_strict(&format!("{}::{module}", addr.to_long_string()))
                .map_err(|e| e.to_string())?;
        let seq = client
            .get_sequence_number(account.address())
            .await
            .map_err(|e| format!("{ctx}: {e}"))?;
        let ledger_secs = running.devnet.now_micros() / 1_000_000;
        let txn = TransactionBuilder::new()
            .sender(account.address())
            .sequence_number(seq)
            .payload(TransactionPayload::EntryFunction(EntryFunction::new(
                module_id,
                function.as_str(),
                vec![],
                args,
            )))
            .max_gas_amount(20_000)
            .gas_unit_price(crate::node::MIN_GAS_UNIT_PRICE)
            .expiration_timestamp_secs(ledger_secs + 600)
            .chain_id(ChainId::new(running.identity().chain_id))
            .build_and_sign(&account)
            .map_err(|e| format!("{ctx}: {e}"))?;
        let pending = client
            .submit_transaction(&txn)
            .await
            .map_err(|e| format!("{ctx}: submit: {e}"))?;
        let t = committed(&client, &pending.data.hash.to_string()).await?;
        out.push(StepOutcome::Committed(Box::new(t)));
    }
    Ok(out)
}
