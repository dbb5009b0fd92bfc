//! The parameter types of the entry functions the devnet executes, for printing a
//! transaction's `payload.arguments` as Move JSON (the node decodes arguments with the
//! module ABI the same way).

use serde_json::Value;

use crate::vm::move_json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    U8,
    U64,
    Bool,
    Address,
    String,
    Bytes,
    U64Vec,
    BytesVec,
}

/// An entry function the devnet executes: `framework` for `0x1`, else the package.
#[derive(Debug, Clone, Copy)]
pub struct EntryFunction {
    pub framework: bool,
    pub module: &'static str,
    pub function: &'static str,
    /// Parameters after the `&signer`.
    pub params: &'static [Param],
}

const fn entry(
    framework: bool,
    module: &'static str,
    function: &'static str,
    params: &'static [Param],
) -> EntryFunction {
    EntryFunction {
        framework,
        module,
        function,
        params,
    }
}

/// Every entry function the devnet executes. The package's agree with its ABI
/// (`schemas/move-abi/`, tested in `devnet/tests/abi.rs`).
pub const ENTRY_FUNCTIONS: &[EntryFunction] = {
    use Param::*;
    &[
        entry(true, "aptos_account", "transfer", &[Address, U64]),
        entry(true, "aptos_account", "create_account", &[Address]),
        entry(
            false,
            "provider_registry",
            "register_provider",
            &[String, U64, U64, U64],
        ),
        entry(false, "provider_registry", "update_availability", &[Bool]),
        entry(false, "provider_registry", "update_price", &[U64]),
        entry(false, "provider_registry", "unstake", &[]),
        entry(
            false,
            "job_registry",
            "create_job",
            &[Address, String, U64, U64, Bytes],
        ),
        entry(false, "job_registry", "update_job_status", &[U64, U8]),
        entry(
            false,
            "job_registry",
            "report_outcome",
            &[U64, U8, U64, String, String, String],
        ),
        entry(
            false,
            "job_registry",
            "report_outcome_with_evidence",
            &[U64, U8, U64, String, String, String, Bytes, U64],
        ),
        entry(false, "job_registry", "commit_evidence", &[U64, Bytes, U64]),
        entry(false, "escrow", "deposit", &[U64, U64]),
        entry(
            false,
            "payment_stream",
            "settle_batch",
            &[U64Vec, U64Vec, BytesVec],
        ),
        entry(false, "payment_stream", "close_stream", &[U64, U64, Bytes]),
    ]
};

impl Param {
    /// The Move type as the node's ABI prints it.
    pub fn move_type(self) -> &'static str {
        match self {
            Param::U8 => "u8",
            Param::U64 => "u64",
            Param::Bool => "bool",
            Param::Address => "address",
            Param::String => "0x1::string::String",
            Param::Bytes => "vector<u8>",
            Param::U64Vec => "vector<u64>",
            Param::BytesVec => "vector<vector<u8>>",
        }
    }
}

/// Parameters (signer excluded) of `module::function`; `None` for functions the devnet does
/// not know.
pub fn params(framework: bool, module: &str, function: &str) -> Option<&'static [Param]> {
    ENTRY_FUNCTIONS
        .iter()
        .find(|e| e.framework == framework && e.module == module && e.function == function)
        .map(|e| e.params)
}

/// Arguments as Move JSON; arguments that do not decode (or of unknown functions) are
/// printed as raw hex, as the node would show undecodable bytes.
pub fn args_json(params: Option<&[Param]>, args: &[Vec<u8>]) -> Vec<Value> {
    args.iter()
        .enumerate()
        .map(|(i, raw)| {
            params
                .and_then(|p| p.get(i))
                .and_then(|p| decode(*p, raw))
                .unwrap_or_else(|| move_json::bytes(raw))
        })
        .collect()
}

fn decode(p: Param, raw: &[u8]) -> Option<Value> {
    use aptos_sdk::aptos_bcs::from_bytes;
    Some(match p {
        Param::U8 => Value::from(from_bytes::<u8>(raw).ok()?),
        Param::U64 => move_json::u64(from_bytes::<u64>(raw).ok()?),
        Param::Bool => Value::Bool(from_bytes::<bool>(raw).ok()?),
        Param::Address => move_json::address(&computestream_domain::AccountAddress::new(
            from_bytes::<[u8; 32]>(raw).ok()?,
        )),
        Param::String => Value::String(String::from_utf8(from_bytes::<Vec<u8>>(raw).ok()?).ok()?),
        Param::Bytes => move_json::bytes(&from_bytes::<Vec<u8>>(raw).ok()?),
        Param::U64Vec => Value::Array(
            from_bytes::<Vec<u64>>(raw)
                .ok()?
                .into_iter()
                .map(move_json::u64)
                .collect(),
        ),
        Param::BytesVec => Value::Array(
            from_bytes::<Vec<Vec<u8>>>(raw)
                .ok()?
                .iter()
                .map(|b| move_json::bytes(b))
                .collect(),
        ),
    })
}
