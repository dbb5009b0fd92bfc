//! `GET /v1/blocks/by_height/{height}` and `/v1/blocks/by_version/{version}` with
//! `with_transactions` (aptos-core `api/src/blocks.rs`), in the node's `Block` shape.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use super::{answer, bad_request, error, internal, Shared};
use crate::node::Node;

#[derive(Debug, Deserialize)]
pub(super) struct BlockQuery {
    with_transactions: Option<String>,
}

/// Which block a request names.
enum By {
    Height(u64),
    Version(u64),
}

fn block(d: &Shared, by: By, q: &BlockQuery) -> Response {
    let with_transactions = match q.with_transactions.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return bad_request(
                d,
                format!("with_transactions must be true or false, not {other:?}"),
            )
        }
    };
    let found = match d.node() {
        Ok(n) => {
            let b = match by {
                By::Height(h) => n.block_by_height(h),
                By::Version(v) => n.block_by_version(v),
            };
            match b
                .map(|b| Node::block_json(&n, b, with_transactions))
                .transpose()
            {
                Ok(found) => found,
                Err(e) => return internal(d, e),
            }
        }
        Err(e) => return internal(d, e),
    };
    match (found, by) {
        (Some(b), _) => answer(
            d,
            StatusCode::OK,
            serde_json::to_value(b).unwrap_or(Value::Null),
        ),
        (None, By::Height(h)) => error(
            d,
            StatusCode::NOT_FOUND,
            "block_not_found",
            format!("Block not found by Height({h})"),
        ),
        (None, By::Version(v)) => error(
            d,
            StatusCode::NOT_FOUND,
            "block_not_found",
            format!("Block not found by Ledger version({v})"),
        ),
    }
}

/// `GET /v1/blocks/by_height/{height}?with_transactions`: the block (height 0 is genesis);
/// 404 `block_not_found` above the latest.
pub(super) async fn by_height(
    State(d): State<Shared>,
    Path(height): Path<String>,
    Query(q): Query<BlockQuery>,
) -> Response {
    match height.parse::<u64>() {
        Ok(h) => block(&d, By::Height(h), &q),
        Err(_) => bad_request(&d, format!("invalid block height {height:?}")),
    }
}

/// `GET /v1/blocks/by_version/{version}?with_transactions`: the block holding the version;
/// 404 `block_not_found` above the latest version.
pub(super) async fn by_version(
    State(d): State<Shared>,
    Path(version): Path<String>,
    Query(q): Query<BlockQuery>,
) -> Response {
    match version.parse::<u64>() {
        Ok(v) => block(&d, By::Version(v), &q),
        Err(_) => bad_request(&d, format!("invalid version {version:?}")),
    }
}
