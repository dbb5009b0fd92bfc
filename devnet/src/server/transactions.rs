//! `/v1/transactions…`: the ledger's transactions (list, by version, by hash, the
//! `wait_by_hash` long poll), submission and simulation of BCS signed transactions
//! (aptos-core `api/src/transactions.rs`).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use computestream_nodeapi::{headers, Transaction};
use serde::Deserialize;
use serde_json::Value;

use super::{answer, bad_request, error, internal, optional_u64, page_limit, submit_error, Shared};
use crate::devnet::Devnet;
use crate::node::SimulateOptions;

/// How long `wait_by_hash` waits for a pending transaction (the node's
/// `wait_by_hash_timeout_ms` default), and how often it looks
/// (`wait_by_hash_poll_interval_ms`).
const WAIT_BY_HASH: Duration = Duration::from_millis(1_000);
const WAIT_POLL: Duration = Duration::from_millis(20);

/// `start` and `limit` of a list.
#[derive(Debug, Deserialize)]
pub(super) struct Page {
    start: Option<String>,
    limit: Option<String>,
}

impl Page {
    pub(super) fn start(&self) -> Option<&str> {
        self.start.as_deref()
    }

    pub(super) fn limit(&self) -> Option<&str> {
        self.limit.as_deref()
    }
}

/// `GET /v1/transactions?start&limit`: committed transactions from version `start` (the
/// latest page without it); 404 `version_not_found` past the ledger.
pub(super) async fn list(State(d): State<Shared>, Query(p): Query<Page>) -> Response {
    let limit = match page_limit(&d, p.limit.as_deref()) {
        Ok(l) => l,
        Err(r) => return *r,
    };
    let start = match optional_u64(&d, "start", p.start.as_deref()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let node = match d.node() {
        Ok(n) => n,
        Err(e) => return internal(&d, e),
    };
    let latest = node.ledger_version();
    // Without `start`, the node returns the latest page.
    let start = start.unwrap_or_else(|| (latest + 1).saturating_sub(limit as u64));
    if start > latest {
        drop(node);
        return error(
            &d,
            StatusCode::NOT_FOUND,
            "version_not_found",
            format!("Version({start}) is greater than the latest ledger version({latest})"),
        );
    }
    let page = node.transactions(start, limit);
    drop(node);
    match page {
        Ok(page) => answer(&d, StatusCode::OK, Value::Array(page)),
        Err(e) => internal(&d, e),
    }
}

/// `GET /v1/transactions/by_version/{version}`; 404 `transaction_not_found`.
pub(super) async fn by_version(State(d): State<Shared>, Path(version): Path<String>) -> Response {
    let Ok(v) = version.parse::<u64>() else {
        return bad_request(&d, format!("invalid version {version:?}"));
    };
    let found = match d.node().and_then(|n| n.transaction_value(v)) {
        Ok(found) => found,
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

fn valid_hash(hash: &str) -> bool {
    hash.strip_prefix("0x")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn hash_not_found(d: &Devnet, hash: &str) -> Response {
    error(
        d,
        StatusCode::NOT_FOUND,
        "transaction_not_found",
        format!("Transaction not found by Transaction hash({hash})"),
    )
}

/// `GET /v1/transactions/by_hash/{hash}`: committed or pending (`pending_transaction`);
/// 404 `transaction_not_found`.
pub(super) async fn by_hash(State(d): State<Shared>, Path(hash): Path<String>) -> Response {
    if !valid_hash(&hash) {
        return bad_request(&d, format!("invalid transaction hash {hash:?}"));
    }
    let found = match d.node().and_then(|n| n.by_hash(&hash)) {
        Ok(found) => found.map(|t| t.to_value()),
        Err(e) => return internal(&d, e),
    };
    match found {
        Some(t) => answer(&d, StatusCode::OK, t),
        None => hash_not_found(&d, &hash),
    }
}

/// `GET /v1/transactions/wait_by_hash/{hash}`: as `by_hash`, but a pending transaction is
/// waited for up to one second (the node's long poll); the answer may still be pending, and the
/// client retries as after `by_hash`. 404 if the hash is neither pending nor committed.
pub(super) async fn wait_by_hash(State(d): State<Shared>, Path(hash): Path<String>) -> Response {
    if !valid_hash(&hash) {
        return bad_request(&d, format!("invalid transaction hash {hash:?}"));
    }
    let deadline = tokio::time::Instant::now() + WAIT_BY_HASH;
    loop {
        let found = match d.node().and_then(|n| n.by_hash(&hash)) {
            Ok(found) => found,
            Err(e) => return internal(&d, e),
        };
        match found {
            None => return hash_not_found(&d, &hash),
            Some(Transaction::Pending(_)) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(WAIT_POLL).await;
            }
            Some(t) => return answer(&d, StatusCode::OK, t.to_value()),
        }
    }
}

fn is_bcs_transaction(req_headers: &HeaderMap) -> bool {
    req_headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with(headers::BCS_SIGNED_TRANSACTION))
}

fn unsupported_media_type(d: &Devnet) -> Response {
    error(
        d,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        format!(
            "the devnet takes {} bodies",
            headers::BCS_SIGNED_TRANSACTION
        ),
    )
}

/// `POST /v1/transactions` (BCS signed transaction): 202 with the pending transaction, or the
/// mempool's refusal (400 `vm_error` with the validation status code, `invalid_input`, …).
pub(super) async fn submit(
    State(d): State<Shared>,
    req_headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_bcs_transaction(&req_headers) {
        return unsupported_media_type(&d);
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

#[derive(Debug, Deserialize)]
pub(super) struct SimulateQuery {
    estimate_max_gas_amount: Option<String>,
    estimate_gas_unit_price: Option<String>,
    estimate_prioritized_gas_unit_price: Option<String>,
}

fn flag(d: &Devnet, name: &str, v: Option<&str>) -> Result<bool, Box<Response>> {
    match v {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(Box::new(bad_request(
            d,
            format!("{name} must be true or false, not {other:?}"),
        ))),
    }
}

/// `POST /v1/transactions/simulate` (BCS signed transaction with an invalid, e.g. all-zero,
/// signature; flags `estimate_max_gas_amount`, `estimate_gas_unit_price`,
/// `estimate_prioritized_gas_unit_price`): 200 with `[UserTransaction]` and the
/// `X-Aptos-Gas-Used` header; 400 for a valid signature (see [`crate::node::Node::simulate`]).
pub(super) async fn simulate(
    State(d): State<Shared>,
    Query(q): Query<SimulateQuery>,
    req_headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_bcs_transaction(&req_headers) {
        return unsupported_media_type(&d);
    }
    let options = (|| {
        Ok::<_, Box<Response>>(SimulateOptions {
            estimate_max_gas_amount: flag(
                &d,
                "estimate_max_gas_amount",
                q.estimate_max_gas_amount.as_deref(),
            )?,
            estimate_gas_unit_price: flag(
                &d,
                "estimate_gas_unit_price",
                q.estimate_gas_unit_price.as_deref(),
            )?,
            estimate_prioritized_gas_unit_price: flag(
                &d,
                "estimate_prioritized_gas_unit_price",
                q.estimate_prioritized_gas_unit_price.as_deref(),
            )?,
        })
    })();
    let options = match options {
        Ok(o) => o,
        Err(r) => return *r,
    };
    let now = d.now_micros() / 1_000_000;
    let result = match d.node() {
        Ok(mut n) => n.simulate(&body, now, options),
        Err(e) => return internal(&d, e),
    };
    match result {
        Ok(t) => {
            let gas = t.gas_used.clone();
            let mut resp = answer(
                &d,
                StatusCode::OK,
                Value::Array(vec![Transaction::User(t).to_value()]),
            );
            if let Ok(v) = HeaderValue::from_str(&gas) {
                resp.headers_mut().insert(headers::GAS_USED, v);
            }
            resp
        }
        Err(r) => submit_error(&d, crate::SubmitError::Rejected(r)),
    }
}
