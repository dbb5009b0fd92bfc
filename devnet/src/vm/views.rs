//! `#[view]` functions of the package and the framework balance view (`POST /v1/view`).

use computestream_domain::{AccountAddress, NATIVE_COIN};
use serde_json::{json, Value};

use super::{
    escrow, job_registry, move_json, payment_stream, provider_registry, Abort, ChainState,
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
    if addr == AccountAddress::ONE && module == "coin" && name == "balance" {
        if type_args.len() != 1 || type_args[0] != NATIVE_COIN {
            return Err(ViewError::BadArguments(format!(
                "coin::balance takes one type argument, {NATIVE_COIN}"
            )));
        }
        arity(args, 1)?;
        return Ok(vec![move_json::u64(state.balance(&arg_address(args, 0)?))]);
    }
    if addr != state.package || !type_args.is_empty() {
        return Err(unknown());
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
