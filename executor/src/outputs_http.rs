//! `GET /jobs/{id}/outputs` on the buyer's endpoint: a completed job's outputs, for the
//! holder of the stream's voucher key only (`OUTPUTS-AUTHORIZATION`, the rule of
//! [`computestream_domain::outputs_access`]). The body is the stored blob (the job's only
//! file, or a tar of `/out`); `X-OUTPUT-CID` names its CIDv1, the one reported on chain, so
//! the buyer checks what it received. The body streams from the store.
//!
//! Answers: 200 with the bytes; 401 without a valid authorization; 404 for an unknown job
//! or one without stored outputs; 502 when the store cannot be read.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use computestream_domain::outputs_access::check_outputs_access;
use computestream_runtime::now_ms;
use serde_json::json;

use crate::container::ContainerRuntime;
use crate::x402_http::Endpoint;

/// The request header carrying `{expires_ms}.{signature}`.
pub const AUTHORIZATION: &str = "outputs-authorization";
/// The response header naming the body's CIDv1.
pub const OUTPUT_CID: &str = "x-output-cid";

fn refuse(status: StatusCode, error: String) -> Response {
    metrics::counter!("computestream_executor_outputs_requests_total", "outcome" => status.as_str().to_owned()).increment(1);
    (status, Json(json!({ "error": error }))).into_response()
}

pub async fn outputs<R: ContainerRuntime>(
    State(e): State<Arc<Endpoint<R>>>,
    Path(id): Path<u64>,
    headers: HeaderMap,
) -> Response {
    let Some(view) = e.shared.job(id) else {
        return refuse(
            StatusCode::NOT_FOUND,
            format!("no job {id} on this provider"),
        );
    };
    if view.output_cid.is_empty() {
        return refuse(
            StatusCode::NOT_FOUND,
            format!("job {id} has no stored outputs (it has not completed, or wrote nothing)"),
        );
    }
    let Some(terms) = e.shared.book().terms(id) else {
        return refuse(
            StatusCode::NOT_FOUND,
            format!("job {id} has no payment stream"),
        );
    };
    let Some(auth) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            format!("{AUTHORIZATION}: sign the request with the stream's voucher key"),
        );
    };
    if let Err(why) =
        check_outputs_access(e.shared.ctx, id, &terms.buyer_public_key, auth, now_ms())
    {
        return refuse(StatusCode::UNAUTHORIZED, format!("{AUTHORIZATION}: {why}"));
    }
    // Streamed from the store: a large output costs a buffer, not its size.
    let (size, blob) = match e.artifacts.open_blob(&view.output_cid).await {
        Ok(b) => b,
        Err(err) => {
            tracing::warn!(job_id = id, error = %err, "the outputs could not be read from the store");
            return refuse(
                StatusCode::BAD_GATEWAY,
                "the outputs could not be read from the store".into(),
            );
        }
    };
    metrics::counter!("computestream_executor_outputs_requests_total", "outcome" => "200")
        .increment(1);
    let mut resp = (StatusCode::OK, axum::body::Body::from_stream(blob)).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&view.output_cid) {
        h.insert(OUTPUT_CID, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    resp
}
