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

/// Every error of `/api/v1`, whatever refused the request: `{"error": {"code", "message"}}`,
/// a stable `code` to branch on and a message for people.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The `error` of an [`ErrorBody`].
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// For people; not stable.
    pub message: String,
}

/// The stable error codes of `/api/v1`, one per kind of refusal (the same as the GraphQL
/// errors' `extensions.code` where both have it), with their statuses: `BAD_USER_INPUT`
/// 400, `UNAUTHENTICATED` 401, `FORBIDDEN` 403, `NOT_FOUND` 404, `METHOD_NOT_ALLOWED` 405,
/// `REQUEST_TIMEOUT` 408, `PAYLOAD_TOO_LARGE` 413, `UNSUPPORTED_MEDIA_TYPE` 415,
/// `UNPROCESSABLE_ENTITY` and `TRANSACTION_REJECTED` 422, `RATE_LIMITED` 429, `INTERNAL`
/// 503.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// 400: an argument out of its documented form or range.
    BadUserInput,
    /// 401: no valid session.
    Unauthenticated,
    /// 403: the session's account may not do this.
    Forbidden,
    /// 404: no such route or resource.
    NotFound,
    /// 405: the route has no such method.
    MethodNotAllowed,
    /// 408: the request took longer than `gateway.request_timeout_ms`.
    RequestTimeout,
    /// 413: the body is larger than `gateway.max_body_bytes`.
    PayloadTooLarge,
    /// 415: a body that is not `application/json`.
    UnsupportedMediaType,
    /// 422: JSON that is not of the documented shape.
    UnprocessableEntity,
    /// 422: the node refused the submitted transaction.
    TransactionRejected,
    /// 429: too many requests from this client address this minute.
    RateLimited,
    /// 503 (or any other status): the gateway could not answer.
    Internal,
}

impl ErrorCode {
    /// The code of a [`GatewayError`] (its `code()`, shared with GraphQL).
    fn of(e: &GatewayError) -> ErrorCode {
        match e.code() {
            "BAD_USER_INPUT" => ErrorCode::BadUserInput,
            "NOT_FOUND" => ErrorCode::NotFound,
            "UNAUTHENTICATED" => ErrorCode::Unauthenticated,
            "FORBIDDEN" => ErrorCode::Forbidden,
            "RATE_LIMITED" => ErrorCode::RateLimited,
            "TRANSACTION_REJECTED" => ErrorCode::TransactionRejected,
            _ => ErrorCode::Internal,
        }
    }

    /// The code of a status the framework answered with.
    fn of_status(status: StatusCode) -> ErrorCode {
        match status {
            StatusCode::BAD_REQUEST => ErrorCode::BadUserInput,
            StatusCode::UNAUTHORIZED => ErrorCode::Unauthenticated,
            StatusCode::FORBIDDEN => ErrorCode::Forbidden,
            StatusCode::NOT_FOUND => ErrorCode::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
            StatusCode::REQUEST_TIMEOUT => ErrorCode::RequestTimeout,
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => ErrorCode::UnprocessableEntity,
            StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimited,
            _ => ErrorCode::Internal,
        }
    }
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

/// The error body with its status (also used by the gateway's own limits: 408, 429).
pub fn error_response(status: StatusCode, code: ErrorCode, message: String) -> Response {
    let body = ErrorBody {
        error: ErrorDetail { code, message },
    };
    (status, Json(body)).into_response()
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let code = ErrorCode::of(&self);
        let status = match code {
            ErrorCode::BadUserInput => StatusCode::BAD_REQUEST,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::TransactionRejected => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        };
        let message = match code {
            ErrorCode::Internal => {
                tracing::warn!(error = %self, "gateway error");
                "internal error".to_owned()
            }
            _ => self.to_string(),
        };
        error_response(status, code, message)
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
            code: ErrorCode::of_status(parts.status),
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
