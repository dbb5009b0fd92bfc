//! The Aptos node REST API subset, in the node's JSON shapes and status codes, with the
//! `X-Aptos-*` headers on every answer; plus the dev faucet (`POST /mint`) and a devnet-only
//! clock control (`POST /v1/-/devnet/advance_time`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use computestream_domain::AccountAddress;
use computestream_nodeapi::{headers, AccountData, ApiError, LedgerInfo};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::devnet::{Devnet, SubmitError};
use crate::vm::ViewError;

const MAX_PAGE: usize = 100;
const DEFAULT_PAGE: usize = 25;

type Shared = Arc<Devnet>;

pub fn router(devnet: Shared) -> Router {
    Router::new()
        .route("/v1", get(index))
        .route("/v1/", get(index))
        .route("/v1/transactions", get(list_transactions).post(submit))
        .route("/v1/transactions/by_version/{version}", get(by_version))
        .route("/v1/transactions/by_hash/{hash}", get(by_hash))
        .route("/v1/accounts/{address}", get(account))
        .route("/v1/accounts/{address}/resources", get(resources))
        .route("/v1/accounts/{address}/resource/{type}", get(resource))
        .route("/v1/view", post(view))
        .route("/v1/estimate_gas_price", get(estimate_gas_price))
        .route("/v1/-/devnet/advance_time", post(advance_time))
        .route("/mint", post(mint))
        .fallback(not_found)
        .with_state(devnet)
}

/// Builds an answer with the ledger headers of the moment.
fn answer(d: &Devnet, status: StatusCode, body: Value) -> Response {
    let info = d.node().map(|n| n.ledger_info()).ok();
    let mut resp = (status, Json(body)).into_response();
    if let Some(info) = info {
        add_headers(resp.headers_mut(), &info);
    }
    resp
}

fn add_headers(h: &mut HeaderMap, info: &LedgerInfo) {
    let pairs = [
        (headers::CHAIN_ID, info.chain_id.to_string()),
        (headers::LEDGER_VERSION, info.ledger_version.clone()),
        (
            headers::LEDGER_OLDEST_VERSION,
            info.oldest_ledger_version.clone(),
        ),
        (headers::LEDGER_TIMESTAMP, info.ledger_timestamp.clone()),
        (headers::EPOCH, info.epoch.clone()),
        (headers::BLOCK_HEIGHT, info.block_height.clone()),
        (
            headers::OLDEST_BLOCK_HEIGHT,
            info.oldest_block_height.clone(),
        ),
    ];
    for (k, v) in pairs {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    }
}

fn error(d: &Devnet, status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = serde_json::to_value(ApiError::new(code, message)).unwrap_or(Value::Null);
    answer(d, status, body)
}

fn internal(d: &Devnet, e: impl std::fmt::Display) -> Response {
    error(
        d,
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        e.to_string(),
    )
}

async fn not_found(State(d): State<Shared>) -> Response {
    error(
        &d,
        StatusCode::NOT_FOUND,
        "web_framework_error",
        "Not Found",
    )
}

async fn index(State(d): State<Shared>) -> Response {
    match d.node() {
        Ok(n) => {
            let info = n.ledger_info();
            drop(n);
            answer(
                &d,
                StatusCode::OK,
                serde_json::to_value(info).unwrap_or(Value::Null),
            )
        }
        Err(e) => internal(&d, e),
    }
}

#[derive(Debug, Deserialize)]
struct Page {
    start: Option<String>,
    limit: Option<String>,
}

async fn list_transactions(State(d): State<Shared>, Query(p): Query<Page>) -> Response {
    let limit = match p.limit.as_deref().map(str::parse::<usize>) {
        None => DEFAULT_PAGE,
        Some(Ok(l)) if l > 0 => l.min(MAX_PAGE),
        Some(_) => {
            return error(
                &d,
                StatusCode::BAD_REQUEST,
                "invalid_input",
                "limit must be a positive integer",
            )
        }
    };
    let node = match d.node() {
        Ok(n) => n,
        Err(e) => return internal(&d, e),
    };
    let latest = node.ledger_version();
    let start = match p.start.as_deref().map(str::parse::<u64>) {
        // Without `start`, the node returns the latest page.
        None => (latest + 1).saturating_sub(limit as u64),
        Some(Ok(s)) => s,
        Some(Err(_)) => {
            drop(node);
            return error(
                &d,
                StatusCode::BAD_REQUEST,
                "invalid_input",
                "start must be a u64",
            );
        }
    };
    if start > latest {
        drop(node);
        return error(
            &d,
            StatusCode::NOT_FOUND,
            "version_not_found",
            format!("Version({start}) is greater than the latest ledger version({latest})"),
        );
    }
    let page: Vec<Value> = node
        .transactions(start, limit)
        .iter()
        .map(|t| t.to_value())
        .collect();
    drop(node);
    answer(&d, StatusCode::OK, Value::Array(page))
}

async fn by_version(State(d): State<Shared>, Path(version): Path<String>) -> Response {
    let Ok(v) = version.parse::<u64>() else {
        return error(
            &d,
            StatusCode::BAD_REQUEST,
            "invalid_input",
            format!("invalid version {version:?}"),
        );
    };
    let found = match d.node() {
        Ok(n) => n.transaction(v).map(|t| t.to_value()),
        Err(e) => return internal(&d, e),
    };
    match found {
        Some(t) => answer(&d, StatusCode::OK, t),
        None => error(
            &d,
            StatusCode::NOT_FOUND,
            "transaction_not_found",
            format!("Transaction not found by Ledger version({v})"),
        ),
    }
}

async fn by_hash(State(d): State<Shared>, Path(hash): Path<String>) -> Response {
    let valid = hash
        .strip_prefix("0x")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    if !valid {
        return error(
            &d,
            StatusCode::BAD_REQUEST,
            "invalid_input",
            format!("invalid transaction hash {hash:?}"),
        );
    }
    let found = match d.node() {
        Ok(n) => n.by_hash(&hash).map(|t| t.to_value()),
        Err(e) => return internal(&d, e),
    };
    match found {
        Some(t) => answer(&d, StatusCode::OK, t),
        None => error(
            &d,
            StatusCode::NOT_FOUND,
            "transaction_not_found",
            format!("Transaction not found by Transaction hash({hash})"),
        ),
    }
}

async fn submit(State(d): State<Shared>, req_headers: HeaderMap, body: Bytes) -> Response {
    let content_type = req_headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with(headers::BCS_SIGNED_TRANSACTION) {
        return error(
            &d,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "the devnet takes {} bodies",
                headers::BCS_SIGNED_TRANSACTION
            ),
        );
    }
    match d.submit(&body) {
        Ok(p) => answer(
            &d,
            StatusCode::ACCEPTED,
            serde_json::to_value(p).unwrap_or(Value::Null),
        ),
        Err(e) => submit_error(&d, e),
    }
}

fn submit_error(d: &Devnet, e: SubmitError) -> Response {
    match e {
        SubmitError::Rejected(r) => answer(
            d,
            StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST),
            serde_json::to_value(r.body).unwrap_or(Value::Null),
        ),
        SubmitError::Internal(e) => internal(d, e),
    }
}

fn parse_address(d: &Devnet, s: &str) -> Result<AccountAddress, Box<Response>> {
    s.parse().map_err(|_| {
        Box::new(error(
            d,
            StatusCode::BAD_REQUEST,
            "invalid_input",
            format!("invalid account address {s:?}"),
        ))
    })
}

/// `GET /v1/estimate_gas_price`: the devnet's blocks are never full, so every estimate is
/// the minimum price.
async fn estimate_gas_price(State(d): State<Shared>) -> Response {
    let p = crate::node::MIN_GAS_UNIT_PRICE;
    answer(
        &d,
        StatusCode::OK,
        serde_json::json!({
            "deprioritized_gas_estimate": p, "gas_estimate": p, "prioritized_gas_estimate": p,
        }),
    )
}

async fn account(State(d): State<Shared>, Path(address): Path<String>) -> Response {
    let a = match parse_address(&d, &address) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let (found, version) = match d.node() {
        Ok(n) => (n.state.accounts.get(&a).cloned(), n.ledger_version()),
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
        None => error(
            &d,
            StatusCode::NOT_FOUND,
            "account_not_found",
            format!("Account not found by Address({a}) and Ledger version({version})"),
        ),
    }
}

/// The resources the devnet models for an account: `0x1::account::Account` and the coin
/// store of the native coin.
fn account_resources(d: &Devnet, a: &AccountAddress) -> Option<Vec<Value>> {
    let n = d.node().ok()?;
    let acc = n.state.accounts.get(a)?;
    let coin = format!(
        "0x1::coin::CoinStore<{}>",
        computestream_domain::NATIVE_COIN
    );
    Some(vec![
        json!({"type": "0x1::account::Account", "data": {
            "authentication_key": format!("0x{}", hex::encode(acc.authentication_key)),
            "sequence_number": acc.sequence_number.to_string(),
            "guid_creation_num": "2",
            "coin_register_events": {"counter": "0", "guid": {"id": {"addr": a.to_hex_literal(), "creation_num": "0"}}},
            "key_rotation_events": {"counter": "0", "guid": {"id": {"addr": a.to_hex_literal(), "creation_num": "1"}}},
            "rotation_capability_offer": {"for": {"vec": []}},
            "signer_capability_offer": {"for": {"vec": []}},
        }}),
        json!({"type": coin, "data": {
            "coin": {"value": n.state.balance(a).to_string()},
            "frozen": false,
        }}),
    ])
}

async fn resources(State(d): State<Shared>, Path(address): Path<String>) -> Response {
    let a = match parse_address(&d, &address) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    match account_resources(&d, &a) {
        Some(r) => answer(&d, StatusCode::OK, Value::Array(r)),
        None => error(
            &d,
            StatusCode::NOT_FOUND,
            "account_not_found",
            format!("Account not found by Address({a})"),
        ),
    }
}

async fn resource(
    State(d): State<Shared>,
    Path((address, type_)): Path<(String, String)>,
) -> Response {
    let a = match parse_address(&d, &address) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let found = account_resources(&d, &a).and_then(|rs| {
        rs.into_iter()
            .find(|r| r.get("type").and_then(Value::as_str) == Some(type_.as_str()))
    });
    match found {
        Some(r) => answer(&d, StatusCode::OK, r),
        None => error(
            &d,
            StatusCode::NOT_FOUND,
            "resource_not_found",
            format!("Resource not found by Address({a}), Struct tag({type_})"),
        ),
    }
}

#[derive(Debug, Deserialize)]
struct ViewRequest {
    function: String,
    #[serde(default)]
    type_arguments: Vec<String>,
    #[serde(default)]
    arguments: Vec<Value>,
}

async fn view(State(d): State<Shared>, body: Bytes) -> Response {
    let req: ViewRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                &d,
                StatusCode::BAD_REQUEST,
                "invalid_input",
                format!("invalid view request: {e}"),
            )
        }
    };
    let result = match d.node() {
        Ok(n) => crate::vm::view(&n.state, &req.function, &req.type_arguments, &req.arguments),
        Err(e) => return internal(&d, e),
    };
    match result {
        Ok(v) => answer(&d, StatusCode::OK, Value::Array(v)),
        Err(ViewError::UnknownFunction(f)) => error(
            &d,
            StatusCode::BAD_REQUEST,
            "invalid_input",
            format!("function not found: {f}"),
        ),
        Err(ViewError::BadArguments(m)) => error(&d, StatusCode::BAD_REQUEST, "invalid_input", m),
        Err(ViewError::Abort(a)) => {
            let body = ApiError {
                message: a.vm_status(),
                error_code: "vm_error".into(),
                vm_error_code: Some(4016),
            };
            answer(
                &d,
                StatusCode::BAD_REQUEST,
                serde_json::to_value(body).unwrap_or(Value::Null),
            )
        }
    }
}

#[derive(Debug, Deserialize)]
struct MintQuery {
    address: String,
    amount: String,
}

async fn mint(State(d): State<Shared>, Query(q): Query<MintQuery>) -> Response {
    let a = match parse_address(&d, &q.address) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let Ok(amount) = q.amount.parse::<u64>() else {
        return error(
            &d,
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "amount must be a u64",
        );
    };
    match d.fund(a, amount) {
        Ok(hash) => answer(&d, StatusCode::OK, json!([hash])),
        Err(e) => submit_error(&d, e),
    }
}

#[derive(Debug, Deserialize)]
struct AdvanceQuery {
    secs: String,
}

async fn advance_time(State(d): State<Shared>, Query(q): Query<AdvanceQuery>) -> Response {
    match q.secs.parse::<u64>() {
        Ok(s) if s <= 10 * 365 * 24 * 3600 => {
            d.advance_time(s);
            answer(
                &d,
                StatusCode::OK,
                json!({"now_microseconds": d.now_micros().to_string()}),
            )
        }
        _ => error(
            &d,
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "secs must be a u64 below ten years",
        ),
    }
}
