//! The one error shape of `/api/v1`: `{"error": {"code", "message"}}` with its HTTP status,
//! for the handlers' refusals and for every rejection of the framework (a bad query string,
//! a missing content type `415`, an unreadable body `422`, a body over the limit `413`, an
//! unknown route `404`, a wrong method `405`): [`json_errors`] rewrites any error response
//! that is not JSON into this shape.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

use crate::GatewayError;

/// An error: a stable `code` to branch on, and a message for people.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `BAD_USER_INPUT`, `UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`, `METHOD_NOT_ALLOWED`,
    /// `REQUEST_TIMEOUT`, `PAYLOAD_TOO_LARGE`, `UNSUPPORTED_MEDIA_TYPE`,
    /// `UNPROCESSABLE_ENTITY`, `TRANSACTION_REJECTED`, `RATE_LIMITED`, `INTERNAL`.
    pub code: String,
    pub message: String,
}

/// The refusals every operation may answer (a type for the document only: handlers
/// answer with [`GatewayError`] or the framework's rejections, in this shape).
#[allow(dead_code)]
#[derive(Debug, IntoResponses)]
pub enum Refusals {
    /// An argument out of its documented range or form.
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// No such route or resource.
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// The request took longer than `gateway.request_timeout_ms`.
    #[response(status = 408)]
    Timeout(ErrorBody),
    /// The body is larger than `gateway.max_body_bytes`.
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// Too many requests from this client address this minute.
    #[response(status = 429)]
    RateLimited(ErrorBody),
    /// The read models are unavailable.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

/// The refusals of an operation that takes a JSON body and a session (for the document
/// only, like [`Refusals`]).
#[allow(dead_code)]
#[derive(Debug, IntoResponses)]
pub enum WriteRefusals {
    /// No session (`Authorization: Bearer <token>` from the GraphQL `signIn`).
    #[response(status = 401)]
    Unauthenticated(ErrorBody),
    /// The session's account may not do this.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// The body is not `application/json`.
    #[response(status = 415)]
    UnsupportedMediaType(ErrorBody),
    /// The body is JSON but not of the documented shape (or the chain refused the
    /// transaction: `TRANSACTION_REJECTED`).
    #[response(status = 422)]
    Unprocessable(ErrorBody),
}

pub fn error_response(status: StatusCode, code: &str, message: String) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.to_owned(),
            message,
        },
    };
    (status, Json(body)).into_response()
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let status = match self.code() {
            "BAD_USER_INPUT" => StatusCode::BAD_REQUEST,
            "NOT_FOUND" => StatusCode::NOT_FOUND,
            "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
            "FORBIDDEN" => StatusCode::FORBIDDEN,
            "RATE_LIMITED" => StatusCode::TOO_MANY_REQUESTS,
            "TRANSACTION_REJECTED" => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        };
        let message = match self.code() {
            "INTERNAL" => "internal error".to_owned(),
            _ => self.to_string(),
        };
        error_response(status, self.code(), message)
    }
}

fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "BAD_USER_INPUT",
        StatusCode::UNAUTHORIZED => "UNAUTHENTICATED",
        StatusCode::FORBIDDEN => "FORBIDDEN",
        StatusCode::NOT_FOUND => "NOT_FOUND",
        StatusCode::METHOD_NOT_ALLOWED => "METHOD_NOT_ALLOWED",
        StatusCode::REQUEST_TIMEOUT => "REQUEST_TIMEOUT",
        StatusCode::PAYLOAD_TOO_LARGE => "PAYLOAD_TOO_LARGE",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "UNSUPPORTED_MEDIA_TYPE",
        StatusCode::UNPROCESSABLE_ENTITY => "UNPROCESSABLE_ENTITY",
        StatusCode::TOO_MANY_REQUESTS => "RATE_LIMITED",
        _ => "INTERNAL",
    }
}

/// Rewrites an error response of `/api/` that is not JSON (the framework's rejections)
/// into the error shape, keeping its status, headers and text.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !api || is_json || resp.status().as_u16() < 400 {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let mut message = String::from_utf8_lossy(&text).trim().to_owned();
    if message.is_empty() {
        message = parts
            .status
            .canonical_reason()
            .unwrap_or("error")
            .to_owned();
    }
    let body = serde_json::to_vec(&ErrorBody {
        error: ErrorDetail {
            code: code_of(parts.status).to_owned(),
            message,
        },
    })
    .unwrap_or_default();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}
