//! An account that signs entry-function calls of the ComputeStream package.

use aptos_sdk::account::Ed25519Account;
use aptos_sdk::transaction::{
    EntryFunction, SignedTransaction, TransactionBuilder, TransactionPayload,
};
use aptos_sdk::types::{ChainId, MoveModuleId};
use computestream_domain::{ed25519_authentication_key, AccountAddress, SigningKey};

use crate::ChainError;

/// Parses a 32-byte ed25519 seed given as 64 hex digits (optionally `0x`-prefixed).
pub fn parse_seed(hex_seed: &str) -> Result<[u8; 32], ChainError> {
    let h = hex_seed.trim().trim_start_matches("0x");
    let bytes = hex::decode(h)
        .map_err(|_| ChainError::Key("a private key must be 64 hex digits".into()))?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| ChainError::Key("a private key must be 32 bytes".into()))
}

/// A transaction's sequence number, gas terms and expiry.
#[derive(Debug, Clone, Copy)]
pub struct TxnTerms {
    pub sequence_number: u64,
    pub max_gas_amount: u64,
    pub gas_unit_price: u64,
    pub expiration_secs: u64,
}

/// A signing account bound to one chain and one package deployment.
pub struct Account {
    account: Ed25519Account,
    pub address: AccountAddress,
    pub chain_id: u8,
    pub package: AccountAddress,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Account {
    pub fn new(seed: [u8; 32], chain_id: u8, package: AccountAddress) -> Result<Self, ChainError> {
        let account = Ed25519Account::from_private_key_bytes(&seed)
            .map_err(|e| ChainError::Key(e.to_string()))?;
        let address = ed25519_authentication_key(&SigningKey::from_seed(seed).public_key());
        Ok(Account {
            account,
            address,
            chain_id,
            package,
        })
    }

    /// `package::module::function(args)` (BCS-encoded arguments), signed.
    pub fn sign_call(
        &self,
        module: &str,
        function: &str,
        args: Vec<Vec<u8>>,
        terms: TxnTerms,
    ) -> Result<SignedTransaction, ChainError> {
        let module =
            MoveModuleId::from_str_strict(&format!("{}::{module}", self.package.to_long_string()))
                .map_err(|e| ChainError::Build(e.to_string()))?;
        TransactionBuilder::new()
            .sender(self.account.address())
            .sequence_number(terms.sequence_number)
            .payload(TransactionPayload::EntryFunction(EntryFunction::new(
                module,
                function,
                vec![],
                args,
            )))
            .max_gas_amount(terms.max_gas_amount)
            .gas_unit_price(terms.gas_unit_price)
            .expiration_timestamp_secs(terms.expiration_secs)
            .chain_id(ChainId::new(self.chain_id))
            .build_and_sign(&self.account)
            .map_err(|e| ChainError::Build(e.to_string()))
    }
}
