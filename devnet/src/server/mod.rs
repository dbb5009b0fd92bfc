//! The Aptos node REST API subset, in the node's JSON shapes and status codes, with the
//! `X-Aptos-*` headers on every answer (aptos-core `api/src`, `api/doc/spec.yaml`); plus the
//! faucet (`POST /fund` as the SDK's `fundAccount` calls it, `POST /mint`) and a devnet-only
//! clock control (`POST /v1/-/devnet/advance_time`). The endpoints served and not served are
//! listed in `devnet/README.md`.
//!
//! Routes by resource: [`transactions`], [`accounts`], [`modules`], [`blocks`], [`view`],
//! [`faucet`].

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use computestream_domain::AccountAddress;
use computestream_nodeapi::{headers, ApiError, LedgerInfo};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::devnet::{Devnet, SubmitError};

mod accounts;
mod blocks;
mod faucet;
mod modules;
mod transactions;
mod view;

/// Largest page of a list (`limit`).
const MAX_PAGE: usize = 100;
/// Page size without `limit`.
const DEFAULT_PAGE: usize = 25;

type Shared = Arc<Devnet>;

pub fn router(devnet: Shared) -> Router {
    Router::new()
        .route("/v1", get(index))
        .route("/v1/", get(index))
        .route(
            "/v1/transactions",
            get(transactions::list).post(transactions::submit),
        )
        .route("/v1/transactions/simulate", post(transactions::simulate))
        .route(
            "/v1/transactions/by_version/{version}",
            get(transactions::by_version),
        )
        .route(
            "/v1/transactions/by_hash/{hash}",
            get(transactions::by_hash),
        )
        .route(
            "/v1/transactions/wait_by_hash/{hash}",
            get(transactions::wait_by_hash),
        )
        .route("/v1/accounts/{address}", get(accounts::account))
        .route("/v1/accounts/{address}/resources", get(accounts::resources))
        .route(
            "/v1/accounts/{address}/resource/{type}",
            get(accounts::resource),
        )
        .route(
            "/v1/accounts/{address}/transactions",
            get(accounts::transactions),
        )
        .route(
            "/v1/accounts/{address}/balance/{asset}",
            get(accounts::balance),
        )
        .route("/v1/accounts/{address}/modules", get(modules::list))
        .route("/v1/accounts/{address}/module/{name}", get(modules::one))
        .route("/v1/blocks/by_height/{height}", get(blocks::by_height))
        .route("/v1/blocks/by_version/{version}", get(blocks::by_version))
        .route("/v1/view", post(view::view))
        .route("/v1/estimate_gas_price", get(estimate_gas_price))
        .route("/v1/-/healthy", get(healthy))
        .route("/v1/-/devnet/advance_time", post(advance_time))
        .route("/mint", post(faucet::mint))
        .route("/fund", post(faucet::fund))
        .fallback(not_found)
        .layer(cors())
        .with_state(devnet)
}

/// Browsers (the web app, wallets in a page) call the node from another origin, and the
/// official SDK sends its requests with `credentials: "include"`: the node's CORS mirrors the
/// request's origin and headers and allows credentials (aptos-core `api/src/runtime.rs`
/// builds poem's `Cors` with `allow_credentials(true)`), `GET`/`POST`, and the `X-Aptos-*`
/// answer headers are readable.
fn cors() -> tower_http::cors::CorsLayer {
    use axum::http::{HeaderName, Method};
    use computestream_nodeapi::headers as h;
    use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
    let exposed = [
        h::CHAIN_ID,
        h::LEDGER_VERSION,
        h::LEDGER_OLDEST_VERSION,
        h::LEDGER_TIMESTAMP,
        h::EPOCH,
        h::BLOCK_HEIGHT,
        h::OLDEST_BLOCK_HEIGHT,
        h::GAS_USED,
        h::CURSOR,
    ]
    .map(HeaderName::from_static);
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers(exposed)
        .max_age(std::time::Duration::from_secs(600))
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

/// The node's error body (`AptosError`: `message`, `error_code`, `vm_error_code`).
fn error(d: &Devnet, status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = serde_json::to_value(ApiError::new(code, message)).unwrap_or(Value::Null);
    answer(d, status, body)
}

fn bad_request(d: &Devnet, message: impl Into<String>) -> Response {
    error(d, StatusCode::BAD_REQUEST, "invalid_input", message)
}

fn internal(d: &Devnet, e: impl std::fmt::Display) -> Response {
    error(
        d,
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        e.to_string(),
    )
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
    s.parse()
        .map_err(|_| Box::new(bad_request(d, format!("invalid account address {s:?}"))))
}

/// `limit` of a list: positive, at most [`MAX_PAGE`], [`DEFAULT_PAGE`] without it.
fn page_limit(d: &Devnet, limit: Option<&str>) -> Result<usize, Box<Response>> {
    match limit.map(str::parse::<usize>) {
        None => Ok(DEFAULT_PAGE),
        Some(Ok(l)) if l > 0 => Ok(l.min(MAX_PAGE)),
        Some(_) => Err(Box::new(bad_request(d, "limit must be a positive integer"))),
    }
}

/// An optional `u64` query parameter.
fn optional_u64(d: &Devnet, name: &str, v: Option<&str>) -> Result<Option<u64>, Box<Response>> {
    v.map(|s| {
        s.parse::<u64>()
            .map_err(|_| Box::new(bad_request(d, format!("{name} must be a u64"))))
    })
    .transpose()
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

/// `GET /v1/estimate_gas_price`: the devnet's blocks are never full, so every estimate is
/// the minimum price.
async fn estimate_gas_price(State(d): State<Shared>) -> Response {
    let p = crate::node::MIN_GAS_UNIT_PRICE;
    answer(
        &d,
        StatusCode::OK,
        json!({
            "deprioritized_gas_estimate": p, "gas_estimate": p, "prioritized_gas_estimate": p,
        }),
    )
}

#[derive(Debug, Deserialize)]
struct HealthQuery {
    duration_secs: Option<String>,
}

/// `GET /v1/-/healthy?duration_secs`: `{"message": "aptos-node:ok"}`; with `duration_secs`,
/// 503 `health_check_failed` when the latest block is older than that (aptos-core
/// `api/src/basic.rs`, `healthy`).
async fn healthy(State(d): State<Shared>, Query(q): Query<HealthQuery>) -> Response {
    let max_age = match optional_u64(&d, "duration_secs", q.duration_secs.as_deref()) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let last = match d.node() {
        Ok(n) => n.last_block_micros(),
        Err(e) => return internal(&d, e),
    };
    let age_secs = d.now_micros().saturating_sub(last) / 1_000_000;
    match max_age {
        Some(max) if age_secs > max => error(
            &d,
            StatusCode::SERVICE_UNAVAILABLE,
            "health_check_failed",
            format!("The latest ledger info timestamp is {age_secs} s old, more than {max} s"),
        ),
        _ => answer(&d, StatusCode::OK, json!({"message": "aptos-node:ok"})),
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
        _ => bad_request(&d, "secs must be a u64 below ten years"),
    }
}
