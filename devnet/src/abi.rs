//! The entry functions the devnet executes (parameter types and generic type-parameter
//! counts), for dispatch and for printing a transaction's `payload.arguments` as Move JSON (the
//! node decodes arguments with the module ABI the same way); and the modules it serves at
//! `GET /v1/accounts/{address}/module/{name}`, from which a BCS view call's arguments are
//! decoded by their ABI types ([`view_params`], [`decode_by_type`]).

use std::sync::OnceLock;

use computestream_domain::AccountAddress;
use computestream_nodeapi::MoveModule;
use computestream_schemas::move_abi::{FRAMEWORK_MODULES, PACKAGE_MODULES};
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
    /// Generic type parameters (`transfer_coins<CoinType>`: 1).
    pub type_params: usize,
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
        type_params: 0,
        params,
    }
}

/// A framework entry function generic over one coin type.
const fn generic(
    module: &'static str,
    function: &'static str,
    params: &'static [Param],
) -> EntryFunction {
    EntryFunction {
        framework: true,
        module,
        function,
        type_params: 1,
        params,
    }
}

/// Every entry function the devnet executes. They agree with the ABI it serves
/// (`schemas/move-abi/computestream/` and `schemas/move-abi/framework/`, tested in
/// `devnet/tests/abi.rs`).
pub const ENTRY_FUNCTIONS: &[EntryFunction] = {
    use Param::*;
    &[
        entry(true, "aptos_account", "transfer", &[Address, U64]),
        entry(true, "aptos_account", "create_account", &[Address]),
        generic("aptos_account", "transfer_coins", &[Address, U64]),
        generic("coin", "transfer", &[Address, U64]),
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

/// The entry function `module::function` of the framework (`framework`) or the package;
/// `None` for functions the devnet does not execute.
pub fn entry_function(
    framework: bool,
    module: &str,
    function: &str,
) -> Option<&'static EntryFunction> {
    ENTRY_FUNCTIONS
        .iter()
        .find(|e| e.framework == framework && e.module == module && e.function == function)
}

/// Parameters (signer excluded) of `module::function`; `None` for functions the devnet does
/// not know.
pub fn params(framework: bool, module: &str, function: &str) -> Option<&'static [Param]> {
    entry_function(framework, module, function).map(|e| e.params)
}

fn parsed(modules: &[(&str, &str)]) -> Vec<MoveModule> {
    modules
        .iter()
        // The checked-in files parse (tested in computestream-schemas and tests/abi.rs).
        .filter_map(|(_, json)| serde_json::from_str(json).ok())
        .collect()
}

/// The package's modules (at the placeholder address) and the framework's, parsed once.
fn served() -> &'static (Vec<MoveModule>, Vec<MoveModule>) {
    static MODULES: OnceLock<(Vec<MoveModule>, Vec<MoveModule>)> = OnceLock::new();
    MODULES.get_or_init(|| (parsed(&PACKAGE_MODULES), parsed(&FRAMEWORK_MODULES)))
}

/// The ABI of the served module `module` at `address` (`0x1` or `package`), as parsed from the
/// checked-in files (the package's still at the placeholder address).
pub fn served_module(
    address: &AccountAddress,
    package: &AccountAddress,
    module: &str,
) -> Option<&'static MoveModule> {
    let (pkg, fw) = served();
    let list = if *address == AccountAddress::ONE {
        fw
    } else if address == package {
        pkg
    } else {
        return None;
    };
    list.iter().find(|m| m.name == module)
}

/// The parameter types (Move type strings) of the `#[view]` function `module::function` at
/// `address`, from the ABI the devnet serves; `None` if it serves no such view.
pub fn view_params(
    address: &AccountAddress,
    package: &AccountAddress,
    module: &str,
    function: &str,
) -> Option<&'static [String]> {
    served_module(address, package, module)?
        .function(function)
        .filter(|f| f.is_view)
        .map(|f| f.params.as_slice())
}

/// Decodes one BCS argument of Move type `ty` (as the ABI prints it) into the node's JSON form:
/// integers up to u32 as numbers, u64 and wider as decimal strings, addresses and objects
/// (`0x1::object::Object<T>`) short-form, `vector<u8>` as hex, other vectors as arrays,
/// `0x1::string::String` as a string. `None` if the bytes do not decode as `ty` or `ty` is not
/// one of these.
pub fn decode_by_type(ty: &str, raw: &[u8]) -> Option<Value> {
    use aptos_sdk::aptos_bcs::from_bytes;
    Some(match ty {
        "u8" => Value::from(from_bytes::<u8>(raw).ok()?),
        "u16" => Value::from(from_bytes::<u16>(raw).ok()?),
        "u32" => Value::from(from_bytes::<u32>(raw).ok()?),
        "u64" => move_json::u64(from_bytes::<u64>(raw).ok()?),
        "u128" => Value::String(from_bytes::<u128>(raw).ok()?.to_string()),
        "bool" => Value::Bool(from_bytes::<bool>(raw).ok()?),
        "address" => move_json::address(&AccountAddress::new(from_bytes::<[u8; 32]>(raw).ok()?)),
        "0x1::string::String" => {
            Value::String(String::from_utf8(from_bytes::<Vec<u8>>(raw).ok()?).ok()?)
        }
        "vector<u8>" => move_json::bytes(&from_bytes::<Vec<u8>>(raw).ok()?),
        _ if ty.starts_with("0x1::object::Object<") => {
            move_json::address(&AccountAddress::new(from_bytes::<[u8; 32]>(raw).ok()?))
        }
        _ => {
            let inner = ty.strip_prefix("vector<")?.strip_suffix('>')?;
            let items: Vec<Vec<u8>> = split_vector(inner, raw)?;
            Value::Array(
                items
                    .iter()
                    .map(|b| decode_by_type(inner, b))
                    .collect::<Option<Vec<_>>>()?,
            )
        }
    })
}

/// Splits the BCS of a `vector<inner>` into its elements' bytes, for the element types the
/// devnet's views take (fixed-size integers, addresses, bools).
fn split_vector(inner: &str, raw: &[u8]) -> Option<Vec<Vec<u8>>> {
    fn each<T: serde::de::DeserializeOwned + serde::Serialize>(raw: &[u8]) -> Option<Vec<Vec<u8>>> {
        aptos_sdk::aptos_bcs::from_bytes::<Vec<T>>(raw)
            .ok()?
            .iter()
            .map(|x| aptos_sdk::aptos_bcs::to_bytes(x).ok())
            .collect()
    }
    match inner {
        "u64" => each::<u64>(raw),
        "u8" => each::<u8>(raw),
        "bool" => each::<bool>(raw),
        "address" => each::<[u8; 32]>(raw),
        "vector<u8>" => each::<Vec<u8>>(raw),
        _ => None,
    }
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
