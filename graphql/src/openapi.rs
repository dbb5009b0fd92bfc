//! The OpenAPI 3.0 document of `/api/v1` (served at `/api/v1/openapi.json`).

use serde_json::{json, Value};

fn op(summary: &str, auth: bool, body: Option<Value>, params: Vec<Value>) -> Value {
    let mut o = json!({
        "summary": summary,
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
            "400": {"$ref": "#/components/responses/Error"},
            "404": {"$ref": "#/components/responses/Error"},
            "429": {"$ref": "#/components/responses/Error"}
        }
    });
    if auth {
        o["security"] = json!([{"session": []}]);
        o["responses"]["401"] = json!({"$ref": "#/components/responses/Error"});
        o["responses"]["403"] = json!({"$ref": "#/components/responses/Error"});
    }
    if let Some(b) = body {
        o["requestBody"] =
            json!({"required": true, "content": {"application/json": {"schema": b}}});
    }
    if !params.is_empty() {
        o["parameters"] = Value::Array(params);
    }
    o
}

fn path_param(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}})
}

fn query_param(name: &str, ty: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": {"type": ty}})
}

fn obj(props: &[(&str, &str)]) -> Value {
    let mut p = serde_json::Map::new();
    for (k, t) in props {
        p.insert((*k).into(), json!({"type": t}));
    }
    json!({"type": "object", "required": props.iter().map(|(k, _)| *k).collect::<Vec<_>>(), "properties": p})
}

pub fn document() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "ComputeStream REST API",
            "version": "1.0.0",
            "description": "The seed's REST API. Amounts are decimal strings of octas. Writes return the unsigned entry-function payload for the signed-in account's wallet; POST /transactions submits the signed transaction. Sign in through the GraphQL mutations signInChallenge and signIn."
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"session": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": {"description": "An error with a code", "content": {"application/json": {"schema":
                {"type": "object", "properties": {"error": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}}}}}}
        },
        "paths": {
            "/providers/register": {"post": op("Build the payload that registers the signed-in account as a provider", true,
                Some(obj(&[("gpuType", "string"), ("vramGb", "integer"), ("pricePerSecond", "string"), ("stake", "string")])), vec![])},
            "/providers/available": {"get": op("Available providers, cheapest first", false, None,
                vec![query_param("gpuType", "string"), query_param("minVramGb", "integer"), query_param("maxPrice", "string"), query_param("limit", "integer")])},
            "/providers/{id}/availability": {"patch": op("Build the payload that sets the provider's availability", true,
                Some(obj(&[("isActive", "boolean")])), vec![path_param("id")])},
            "/jobs/create": {"post": op("Build the payload that creates a job (deposits escrow, opens the stream)", true,
                Some(obj(&[("provider", "string"), ("dockerImage", "string"), ("maxDurationSecs", "integer"), ("escrowAmount", "string"), ("buyerPublicKey", "string")])), vec![])},
            "/jobs/{id}/status": {"get": op("A job's status and outcome", false, None, vec![path_param("id")])},
            "/jobs/history": {"get": op("Jobs, newest first", false, None,
                vec![query_param("buyer", "string"), query_param("provider", "string"), query_param("status", "string"), query_param("limit", "integer"), query_param("before", "string")])},
            "/escrow/deposit": {"post": op("Build the payload that tops up a job's escrow", true,
                Some(obj(&[("jobId", "string"), ("amount", "string")])), vec![])},
            "/payments/stream/{jobId}": {"get": op("A job's payment stream: accrued, settled, refunded, remaining", false, None, vec![path_param("jobId")])},
            "/transactions": {"post": op("Submit a transaction the signed-in account signed (BCS hex)", true,
                Some(obj(&[("bcsHex", "string")])), vec![])}
        }
    })
}
