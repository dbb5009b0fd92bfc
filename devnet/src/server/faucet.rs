//! The faucet: `POST /fund` as the TypeScript SDK's `fundAccount` calls it (the Aptos faucet's
//! route, `aptos-core/crates/aptos-faucet`: JSON `{"address", "amount"}` →
//! `{"txn_hashes": [...]}`), and `POST /mint?address&amount` (the older faucet route:
//! `["<hash>"]`). Each funding is a real `0x1::aptos_account::transfer` from the funding
//! account, pending when answered; the client waits for it. At most
//! [`crate::FAUCET_MAX`] octas a request.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{answer, bad_request, parse_address, submit_error, Shared};

#[derive(Debug, Deserialize)]
pub(super) struct MintQuery {
    address: String,
    amount: String,
}

/// `POST /mint?address=…&amount=…`: `["<transaction hash>"]`.
pub(super) async fn mint(State(d): State<Shared>, Query(q): Query<MintQuery>) -> Response {
    let a = match parse_address(&d, &q.address) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let Ok(amount) = q.amount.parse::<u64>() else {
        return bad_request(&d, "amount must be a u64");
    };
    match d.fund(a, amount) {
        Ok(hash) => answer(&d, StatusCode::OK, json!([hash])),
        Err(e) => submit_error(&d, e),
    }
}

#[derive(Debug, Deserialize)]
struct FundRequest {
    address: String,
    /// A JSON number or a decimal string.
    amount: Value,
}

/// `POST /fund` with JSON `{"address": "0x…", "amount": n}`: `{"txn_hashes": ["0x…"]}`.
pub(super) async fn fund(State(d): State<Shared>, body: Bytes) -> Response {
    let req: FundRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(&d, format!("invalid fund request: {e}")),
    };
    let a = match parse_address(&d, &req.address) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let amount = match &req.amount {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse::<u64>().ok(),
        _ => None,
    };
    let Some(amount) = amount else {
        return bad_request(&d, "amount must be a u64");
    };
    match d.fund(a, amount) {
        Ok(hash) => answer(&d, StatusCode::OK, json!({"txn_hashes": [hash]})),
        Err(e) => submit_error(&d, e),
    }
}
