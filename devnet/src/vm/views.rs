//! `#[view]` functions of the package and the framework views the devnet serves
//! (`POST /v1/view`): `0x1::coin::balance<T>`, `0x1::account::exists_at`,
//! `0x1::primary_fungible_store::balance<T>`.

use aptos_sdk::types::TypeTag;
use computestream_domain::AccountAddress;
use serde_json::{json, Value};

use super::{
    coin, escrow, job_registry, move_json, payment_stream, provider_registry, Abort, ChainState,
};

/// Why a view call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewError {
    /// No such view function (the node answers `invalid_input`).
    UnknownFunction(String),
    /// Arguments of the wrong number or shape.
    BadArguments(String),
    /// The view aborted.
    Abort(Abort),
}

impl From<Abort> for ViewError {
    fn from(a: Abort) -> Self {
        ViewError::Abort(a)
    }
}

fn arg_u64(args: &[Value], i: usize) -> Result<u64, ViewError> {
    args.get(i)
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            ViewError::BadArguments(format!("argument {i} must be a u64 as a decimal string"))
        })
}

fn arg_address(args: &[Value], i: usize) -> Result<AccountAddress, ViewError> {
    args.get(i)
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ViewError::BadArguments(format!("argument {i} must be an address")))
}

fn arity(args: &[Value], n: usize) -> Result<(), ViewError> {
    if args.len() == n {
        Ok(())
    } else {
        Err(ViewError::BadArguments(format!(
            "expected {n} arguments, got {}",
            args.len()
        )))
    }
}

/// The address of the native coin's fungible-asset metadata object on Aptos and Movement
/// networks (`0xa`).
const NATIVE_FA_METADATA: AccountAddress = {
    let mut b = [0u8; 32];
    b[31] = 0x0a;
    AccountAddress::new(b)
};

/// Parses the type arguments (any address form) and checks their number against the view's
/// type parameters (the VM's `NUMBER_OF_TYPE_ARGUMENTS_MISMATCH`).
fn type_args_of(type_args: &[String], expected: usize) -> Result<Vec<TypeTag>, ViewError> {
    let parsed = type_args
        .iter()
        .map(|t| {
            TypeTag::from_str_strict(t)
                .map_err(|e| ViewError::BadArguments(format!("invalid type argument {t:?}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if parsed.len() != expected {
        return Err(ViewError::BadArguments(format!(
            "NUMBER_OF_TYPE_ARGUMENTS_MISMATCH: expected {expected} type arguments, got {}",
            parsed.len()
        )));
    }
    Ok(parsed)
}

fn object_abort(name: &'static str, code: u64, description: &'static str) -> Abort {
    Abort {
        address: AccountAddress::ONE,
        module: "object",
        name,
        code,
        description,
    }
}

/// The framework views the devnet serves (`0x1::…`), with the framework's results on the
/// devnet's state: the native coin in `CoinStore`s, no fungible-asset stores.
fn framework(
    state: &ChainState,
    module: &str,
    name: &str,
    type_args: &[String],
    args: &[Value],
) -> Option<Result<Vec<Value>, ViewError>> {
    let run = || -> Result<Vec<Value>, ViewError> {
        match (module, name) {
            // `coin::balance<CoinType>`: the `CoinStore` balance; 0 for a coin nobody holds.
            ("coin", "balance") => {
                let t = type_args_of(type_args, 1)?;
                arity(args, 1)?;
                let owner = arg_address(args, 0)?;
                let held = if coin::is_native_coin(&t[0]) {
                    state.balance(&owner)
                } else {
                    0
                };
                Ok(vec![move_json::u64(held)])
            }
            // `account::exists_at`: `exists<Account>(addr)`.
            ("account", "exists_at") => {
                type_args_of(type_args, 0)?;
                arity(args, 1)?;
                let a = arg_address(args, 0)?;
                Ok(vec![json!(state.accounts.contains_key(&a))])
            }
            // `primary_fungible_store::balance<T: key>(account, metadata: Object<T>)`: the
            // argument is built by `object::address_to_object<T>`; the only object the devnet
            // has is the native coin's metadata `0xa` (an `ObjectCore` and a `Metadata`), and
            // no account has a primary store, so the balance is 0.
            ("primary_fungible_store", "balance") => {
                let t = type_args_of(type_args, 1)?;
                arity(args, 2)?;
                arg_address(args, 0)?;
                let metadata = arg_address(args, 1)?;
                if metadata != NATIVE_FA_METADATA {
                    return Err(object_abort(
                        "EOBJECT_DOES_NOT_EXIST",
                        0x60002,
                        "An object does not exist at this address",
                    )
                    .into());
                }
                let held = matches!(&t[0], TypeTag::Struct(s)
                    if s.address == aptos_sdk::types::AccountAddress::ONE
                        && ((s.module.as_str(), s.name.as_str()) == ("object", "ObjectCore")
                            || (s.module.as_str(), s.name.as_str()) == ("fungible_asset", "Metadata"))
                        && s.type_args.is_empty());
                if !held {
                    return Err(object_abort(
                        "ERESOURCE_DOES_NOT_EXIST",
                        0x60007,
                        "The resource is not stored at the specified address.",
                    )
                    .into());
                }
                Ok(vec![move_json::u64(0)])
            }
            _ => Err(ViewError::UnknownFunction(format!("0x1::{module}::{name}"))),
        }
    };
    matches!(
        (module, name),
        ("coin", "balance") | ("account", "exists_at") | ("primary_fungible_store", "balance")
    )
    .then(run)
}

pub fn call(
    state: &ChainState,
    function: &str,
    type_args: &[String],
    args: &[Value],
) -> Result<Vec<Value>, ViewError> {
    let unknown = || ViewError::UnknownFunction(function.to_owned());
    let mut parts = function.splitn(3, "::");
    let (Some(addr), Some(module), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(unknown());
    };
    let addr: AccountAddress = addr.parse().map_err(|_| unknown())?;
    if addr == AccountAddress::ONE {
        return framework(state, module, name, type_args, args).unwrap_or_else(|| Err(unknown()));
    }
    if addr != state.package {
        return Err(unknown());
    }
    if !type_args.is_empty() {
        type_args_of(type_args, 0)?;
    }
    let pkg = state.package;
    match (module, name) {
        ("provider_registry", "get_provider") => {
            arity(args, 1)?;
            let a = arg_address(args, 0)?;
            let p = state
                .providers
                .get(&a)
                .ok_or_else(|| provider_registry::codes::E_NOT_REGISTERED(pkg))?;
            Ok(vec![
                json!(p.gpu_type),
                move_json::u64(p.vram_gb),
                move_json::u64(p.price_per_second),
                move_json::u64(p.stake),
                json!(p.is_active),
            ])
        }
        ("provider_registry", "get_providers") => {
            arity(args, 2)?;
            let (offset, limit) = (arg_u64(args, 0)?, arg_u64(args, 1)?);
            let page: Vec<Value> = state
                .provider_order
                .iter()
                .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .map(move_json::address)
                .collect();
            Ok(vec![Value::Array(page)])
        }
        ("job_registry", "get_job") => {
            arity(args, 1)?;
            let id = arg_u64(args, 0)?;
            let j = state
                .jobs
                .get(&id)
                .ok_or_else(|| job_registry::codes::E_NO_JOB(pkg))?;
            Ok(vec![
                move_json::address(&j.buyer),
                move_json::address(&j.provider),
                json!(j.docker_image),
                move_json::u64(j.max_duration_secs),
                move_json::u64(j.escrow_amount),
                move_json::u64(j.price_per_second),
                json!(j.status),
            ])
        }
        ("job_registry", "get_evidence") => {
            arity(args, 1)?;
            let id = arg_u64(args, 0)?;
            Ok(match state.evidence.get(&id) {
                Some(e) => vec![
                    move_json::bytes(&e.metering_head),
                    move_json::u64(e.metered_seconds),
                    json!(true),
                ],
                None => vec![move_json::bytes(&[]), move_json::u64(0), json!(false)],
            })
        }
        ("escrow", "get_escrow") => {
            arity(args, 1)?;
            let id = arg_u64(args, 0)?;
            let e = state
                .escrows
                .get(&id)
                .ok_or_else(|| escrow::codes::E_NO_ESCROW(pkg))?;
            Ok(vec![
                move_json::u64(e.deposited),
                move_json::u64(e.released),
                move_json::u64(e.refunded),
                move_json::u64(e.locked),
            ])
        }
        ("payment_stream", "get_stream") => {
            arity(args, 1)?;
            let id = arg_u64(args, 0)?;
            let s = state
                .streams
                .get(&id)
                .ok_or_else(|| payment_stream::codes::E_NO_STREAM(pkg))?;
            Ok(vec![
                move_json::address(&s.buyer),
                move_json::address(&s.provider),
                move_json::u64(s.rate_per_second),
                move_json::u64(s.paid),
                json!(s.open),
            ])
        }
        _ => Err(unknown()),
    }
}
