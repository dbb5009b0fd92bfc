//! `/v1/accounts/{address}…`: the account, its resources, its transactions and its balance
//! of an asset (aptos-core `api/src/accounts.rs`, `api/src/transactions.rs`).

use aptos_sdk::types::{StructTag, TypeTag};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use computestream_domain::AccountAddress;
use computestream_nodeapi::AccountData;
use serde_json::{json, Value};

use super::transactions::Page;
use super::{
    answer, bad_request, error, internal, optional_u64, page_limit, parse_address, Shared,
};
use crate::devnet::Devnet;
use crate::vm::is_native_coin;

fn account_not_found(d: &Devnet, a: &AccountAddress) -> Response {
    let version = d.node().map(|n| n.ledger_version()).unwrap_or(0);
    error(
        d,
        StatusCode::NOT_FOUND,
        "account_not_found",
        format!("Account not found by Address({a}) and Ledger version({version})"),
    )
}

/// `GET /v1/accounts/{address}`: `{sequence_number, authentication_key}`; 404
/// `account_not_found`.
pub(super) async fn account(State(d): State<Shared>, Path(address): Path<String>) -> Response {
    let a = match parse_address(&d, &address) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let found = match d.node() {
        Ok(n) => n.state.accounts.get(&a).cloned(),
        Err(e) => return internal(&d, e),
    };
    match found {
        Some(acc) => answer(
            &d,
            StatusCode::OK,
            serde_json::to_value(AccountData {
                sequence_number: acc.sequence_number.to_string(),
                authentication_key: format!("0x{}", hex::encode(acc.authentication_key)),
            })
            .unwrap_or(Value::Null),
        ),
        None => account_not_found(&d, &a),
    }
}

/// The resources the devnet models for an account: `0x1::account::Account` and the coin
/// store of the native coin, with their parsed types.
fn account_resources(d: &Devnet, a: &AccountAddress) -> Option<Vec<(StructTag, Value)>> {
    let n = d.node().ok()?;
    let acc = n.state.accounts.get(a)?;
    let parse = |t: &str| match TypeTag::from_str_strict(t) {
        Ok(TypeTag::Struct(s)) => Some(*s),
        _ => None,
    };
    let account = parse("0x1::account::Account")?;
    let coin_store = parse("0x1::coin::CoinStore<0x1::aptos_coin::AptosCoin>")?;
    let guid = |n: u64| json!({"id": {"addr": a.to_hex_literal(), "creation_num": n.to_string()}});
    Some(vec![
        (
            account.clone(),
            json!({"type": account.to_string(), "data": {
                "authentication_key": format!("0x{}", hex::encode(acc.authentication_key)),
                "sequence_number": acc.sequence_number.to_string(),
                "guid_creation_num": "2",
                "coin_register_events": {"counter": "0", "guid": guid(0)},
                "key_rotation_events": {"counter": "0", "guid": guid(1)},
                "rotation_capability_offer": {"for": {"vec": []}},
                "signer_capability_offer": {"for": {"vec": []}},
            }}),
        ),
        (
            coin_store.clone(),
            json!({"type": coin_store.to_string(), "data": {
                "coin": {"value": n.state.balance(a).to_string()},
                "frozen": false,
            }}),
        ),
    ])
}

/// `GET /v1/accounts/{address}/resources`: every resource the devnet models; 404
/// `account_not_found`. One page: no `X-Aptos-Cursor`.
pub(super) async fn resources(State(d): State<Shared>, Path(address): Path<String>) -> Response {
    let a = match parse_address(&d, &address) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    match account_resources(&d, &a) {
        Some(r) => answer(
            &d,
            StatusCode::OK,
            Value::Array(r.into_iter().map(|(_, v)| v).collect()),
        ),
        None => account_not_found(&d, &a),
    }
}

/// `GET /v1/accounts/{address}/resource/{type}`: the type is parsed as a struct tag (any
/// address form, e.g. `0x01::coin::CoinStore<0x1::aptos_coin::AptosCoin>`), not compared as
/// a string; 400 `invalid_input` if it does not parse, 404 `resource_not_found`.
pub(super) async fn resource(
    State(d): State<Shared>,
    Path((address, type_)): Path<(String, String)>,
) -> Response {
    let a = match parse_address(&d, &address) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let tag = match TypeTag::from_str_strict(&type_) {
        Ok(TypeTag::Struct(s)) => *s,
        _ => return bad_request(&d, format!("invalid struct tag {type_:?}")),
    };
    let found = account_resources(&d, &a)
        .and_then(|rs| rs.into_iter().find(|(t, _)| *t == tag).map(|(_, v)| v));
    let version = d.node().map(|n| n.ledger_version()).unwrap_or(0);
    match found {
        Some(r) => answer(&d, StatusCode::OK, r),
        None => error(
            &d,
            StatusCode::NOT_FOUND,
            "resource_not_found",
            format!(
                "Resource not found by Address({a}), Struct tag({tag}) and Ledger version({version})"
            ),
        ),
    }
}

/// `GET /v1/accounts/{address}/transactions?start&limit`: the committed user transactions the
/// account sent, from sequence number `start` (the latest `limit` without it); 404
/// `account_not_found` (the node checks the account first).
pub(super) async fn transactions(
    State(d): State<Shared>,
    Path(address): Path<String>,
    Query(p): Query<Page>,
) -> Response {
    let a = match parse_address(&d, &address) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let limit = match page_limit(&d, p.limit()) {
        Ok(l) => l,
        Err(r) => return *r,
    };
    let start = match optional_u64(&d, "start", p.start()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let found = match d.node() {
        Ok(n) if n.state.accounts.contains_key(&a) => {
            match n.account_transactions(&a, start, limit) {
                Ok(page) => Some(page),
                Err(e) => return internal(&d, e),
            }
        }
        Ok(_) => None,
        Err(e) => return internal(&d, e),
    };
    match found {
        Some(page) => answer(&d, StatusCode::OK, Value::Array(page)),
        None => account_not_found(&d, &a),
    }
}

/// `GET /v1/accounts/{address}/balance/{asset}` (the SDK's `getBalance`): a bare number. The
/// asset is a coin type (`0x1::aptos_coin::AptosCoin`, any address form) or a fungible
/// asset's metadata address. As the node (aptos-core `api/src/accounts.rs`,
/// `get_account_balance`): a coin's `CoinStore` balance plus its paired primary store, an
/// address's primary store only; a missing store counts 0. On the devnet the native coin lives
/// in `CoinStore`s and there are no fungible-asset stores, so every address asset is 0.
pub(super) async fn balance(
    State(d): State<Shared>,
    Path((address, asset)): Path<(String, String)>,
) -> Response {
    let a = match parse_address(&d, &address) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let native = if asset.contains("::") {
        match TypeTag::from_str_strict(&asset) {
            Ok(t @ TypeTag::Struct(_)) => is_native_coin(&t),
            _ => return bad_request(&d, format!("invalid asset type {asset:?}")),
        }
    } else if asset.parse::<AccountAddress>().is_ok() {
        false
    } else {
        return bad_request(&d, format!("invalid asset type {asset:?}"));
    };
    let held = match d.node() {
        Ok(n) if native => n.state.balance(&a),
        Ok(_) => 0,
        Err(e) => return internal(&d, e),
    };
    answer(&d, StatusCode::OK, json!(held))
}
