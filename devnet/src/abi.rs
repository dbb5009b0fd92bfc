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

/// Parameters (signer excluded) of `module::function`; `None` for functions the devnet does
/// not know.
pub fn params(framework: bool, module: &str, function: &str) -> Option<&'static [Param]> {
    use Param::*;
    Some(match (framework, module, function) {
        (true, "aptos_account", "transfer") => &[Address, U64],
        (true, "aptos_account", "create_account") => &[Address],
        (false, "provider_registry", "register_provider") => &[String, U64, U64, U64],
        (false, "provider_registry", "update_availability") => &[Bool],
        (false, "provider_registry", "update_price") => &[U64],
        (false, "provider_registry", "unstake") => &[],
        (false, "job_registry", "create_job") => &[Address, String, U64, U64, Bytes],
        (false, "job_registry", "update_job_status") => &[U64, U8],
        (false, "job_registry", "report_outcome") => &[U64, U8, U64, String, String, String],
        (false, "escrow", "deposit") => &[U64, U64],
        (false, "payment_stream", "settle_batch") => &[U64Vec, U64Vec, BytesVec],
        (false, "payment_stream", "close_stream") => &[U64, U64, Bytes],
        _ => return None,
    })
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
