//! Submitting a transaction a signed-in account signed itself.

use aptos_sdk::transaction::SignedTransaction;
use computestream_domain::AccountAddress;

use crate::services::Services;
use crate::GatewayError;

/// A transaction handed to the node: its hash.
#[derive(async_graphql::SimpleObject, Debug, Clone)]
pub struct SubmittedTransaction {
    pub hash: String,
    pub sender: String,
}

/// Decodes `bcs_hex` (a BCS `SignedTransaction`), checks its sender is the session's
/// account, and hands it to the node.
pub async fn submit(
    s: &Services,
    who: AccountAddress,
    bcs_hex: &str,
) -> Result<SubmittedTransaction, GatewayError> {
    let bytes = hex::decode(bcs_hex.trim().trim_start_matches("0x"))
        .map_err(|_| GatewayError::BadInput("bcsHex is not hex".into()))?;
    if bytes.len() > 64 * 1024 {
        return Err(GatewayError::BadInput(
            "a transaction is at most 64 KiB".into(),
        ));
    }
    let txn: SignedTransaction = aptos_sdk::aptos_bcs::from_bytes(&bytes)
        .map_err(|e| GatewayError::BadInput(format!("not a signed transaction: {e}")))?;
    let sender: AccountAddress = txn
        .sender()
        .to_string()
        .parse()
        .map_err(|_| GatewayError::BadInput("sender".into()))?;
    if sender != who {
        return Err(GatewayError::Forbidden(
            "the transaction's sender is not the signed-in account".into(),
        ));
    }
    let chain = s
        .chain
        .as_ref()
        .ok_or_else(|| GatewayError::Config("no node configured (gateway.node_url)".into()))?;
    chain.submit(&txn).await?;
    let hash = txn
        .hash()
        .map_err(|e| GatewayError::BadInput(e.to_string()))?
        .to_hex();
    Ok(SubmittedTransaction {
        hash,
        sender: sender.to_long_string(),
    })
}
