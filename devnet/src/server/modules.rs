//! `GET /v1/accounts/{address}/modules` and `/v1/accounts/{address}/module/{name}`: the ABIs
//! of the modules the devnet executes (aptos-core `api/src/accounts.rs`, `get_account_modules`,
//! `get_account_module`), in the node's `MoveModuleBytecode` shape.
//!
//! The devnet serves ABIs, not bytecode: `bytecode` is `"0x"`. At the package address: the
//! package's modules as compiled by the real Move compiler (`schemas/move-abi/computestream/`),
//! with the devnet's package address. At `0x1`: the framework modules a client or wallet reads
//! (`account`, `aptos_account`, `coin`, `primary_fungible_store`, from
//! `schemas/move-abi/framework/`), each cut down to the functions the devnet executes or views.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use computestream_domain::AccountAddress;
use computestream_schemas::move_abi::{self, FRAMEWORK_MODULES, PACKAGE_MODULES};
use serde_json::{json, Value};

use super::{answer, error, internal, parse_address, Shared};

/// The ABI JSON of `module` at `address`, or `None` if the devnet serves no such module.
fn module_abi(address: &AccountAddress, package: &AccountAddress, module: &str) -> Option<Value> {
    let json = if *address == AccountAddress::ONE {
        move_abi::framework_module_json(module)?.to_owned()
    } else if address == package {
        move_abi::package_module_json(module, &package.to_hex_literal())?
    } else {
        return None;
    };
    serde_json::from_str(&json).ok()
}

/// The names of the modules served at `address`.
fn module_names(address: &AccountAddress, package: &AccountAddress) -> Vec<&'static str> {
    let list: &[(&str, &str)] = if *address == AccountAddress::ONE {
        &FRAMEWORK_MODULES
    } else if address == package {
        &PACKAGE_MODULES
    } else {
        &[]
    };
    list.iter().map(|(name, _)| *name).collect()
}

fn bytecode(abi: Value) -> Value {
    json!({"bytecode": "0x", "abi": abi})
}

/// `GET /v1/accounts/{address}/modules`: every module at the address (`[]` for an address
/// without modules), in one page (no `X-Aptos-Cursor`).
pub(super) async fn list(State(d): State<Shared>, Path(address): Path<String>) -> Response {
    let a = match parse_address(&d, &address) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let package = match d.node() {
        Ok(n) => n.state.package,
        Err(e) => return internal(&d, e),
    };
    let modules = module_names(&a, &package)
        .into_iter()
        .filter_map(|m| module_abi(&a, &package, m))
        .map(bytecode)
        .collect();
    answer(&d, StatusCode::OK, Value::Array(modules))
}

/// `GET /v1/accounts/{address}/module/{name}`: `{bytecode, abi}`; 404 `module_not_found`
/// with the node's message.
pub(super) async fn one(
    State(d): State<Shared>,
    Path((address, name)): Path<(String, String)>,
) -> Response {
    let a = match parse_address(&d, &address) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let (package, version) = match d.node() {
        Ok(n) => (n.state.package, n.ledger_version()),
        Err(e) => return internal(&d, e),
    };
    match module_abi(&a, &package, &name) {
        Some(abi) => answer(&d, StatusCode::OK, bytecode(abi)),
        None => error(
            &d,
            StatusCode::NOT_FOUND,
            "module_not_found",
            format!(
                "Module not found by Address({}), Module name({name}) and Ledger version({version})",
                a.to_hex_literal()
            ),
        ),
    }
}
