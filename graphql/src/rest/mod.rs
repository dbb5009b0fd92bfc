//! The seed's REST API under `/api/v1`, backed by the same reads and payload builders as the
//! GraphQL schema, and its OpenAPI document (`/api/v1/openapi.json`) generated from the
//! handlers and their types with `utoipa`: every parameter's form and range, every status
//! and the one error body ([`errors`]). Reads are in [`reads`], writes in [`writes`]; the
//! forms every input must have in [`inputs`].

pub mod errors;
pub mod inputs;
pub mod reads;
pub mod writes;

use axum::routing::{get, patch, post};
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::app_state::AppState;

struct SessionAuth;

impl Modify for SessionAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "session",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "ComputeStream REST API", version = "1.0.0",
        description = "The seed's REST API. Amounts are decimal strings of octas. Writes return the unsigned entry-function payload for the signed-in account's wallet; POST /transactions submits the signed transaction. Sign in through the GraphQL mutations signInChallenge and signIn. Every error is {\"error\": {\"code\", \"message\"}}."),
    servers((url = "/api/v1")),
    paths(reads::available, reads::job_status, reads::history, reads::stream,
        writes::register, writes::availability, writes::create_job, writes::deposit,
        writes::submit),
    components(schemas(errors::ErrorBody, errors::ErrorDetail, errors::ErrorCode)),
    modifiers(&SessionAuth)
)]
struct ApiDoc;

/// The OpenAPI 3.1 document of `/api/v1`, as served at `/api/v1/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as checked in at `schemas/openapi/rest-v1.json`: pretty JSON with every
/// object's keys sorted (whatever `serde_json`'s map type is in this build), a final newline.
pub fn document_json() -> String {
    let value = serde_json::to_value(document()).unwrap_or_default();
    let canonical = computestream_schemas::canonical(value);
    let mut s = serde_json::to_string_pretty(&canonical).unwrap_or_default();
    s.push('\n');
    s
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/providers/register", post(writes::register))
        .route("/api/v1/providers/available", get(reads::available))
        .route(
            "/api/v1/providers/{id}/availability",
            patch(writes::availability),
        )
        .route("/api/v1/jobs/create", post(writes::create_job))
        .route("/api/v1/jobs/{id}/status", get(reads::job_status))
        .route("/api/v1/jobs/history", get(reads::history))
        .route("/api/v1/escrow/deposit", post(writes::deposit))
        .route("/api/v1/payments/stream/{job_id}", get(reads::stream))
        .route("/api/v1/transactions", post(writes::submit))
}

impl axum::response::IntoResponse for crate::schema::TransactionPayload {
    fn into_response(self) -> axum::response::Response {
        Json(serde_json::json!({"sender": self.sender, "json": self.json})).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect<'a>(v: &'a serde_json::Value, key: &str, out: &mut Vec<&'a str>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    match x.as_str() {
                        Some(s) if k == key => out.push(s),
                        _ => collect(x, key, out),
                    }
                }
            }
            serde_json::Value::Array(xs) => xs.iter().for_each(|x| collect(x, key, out)),
            _ => {}
        }
    }

    #[test]
    fn the_document_states_exactly_the_forms_the_handlers_check() {
        let doc = serde_json::to_value(document()).expect("json");
        let forms = [
            inputs::JOB_ID,
            inputs::OCTAS,
            inputs::POSITIVE_OCTAS,
            inputs::STAKE,
            inputs::ADDRESS,
            inputs::GPU_TYPE,
            inputs::U64,
        ];
        let mut patterns = Vec::new();
        collect(&doc, "pattern", &mut patterns);
        for p in &patterns {
            assert!(
                forms.contains(p),
                "{p} in the document is a form of `inputs`"
            );
        }
        for f in forms {
            assert!(patterns.contains(&f), "{f} is in the document");
        }
        let mut formats = Vec::new();
        collect(&doc, "format", &mut formats);
        for f in [
            inputs::ED25519_KEY_FORMAT,
            inputs::SIGNED_TRANSACTION_FORMAT,
        ] {
            assert!(formats.contains(&f), "{f} is in the document");
        }
    }
}
