//! `POST /v1/view`: a `#[view]` function of the package or of the framework subset
//! (aptos-core `api/src/view_function.rs`). The body is JSON
//! `{function, type_arguments, arguments}` or, as the TypeScript SDK's `view` sends it, a BCS
//! `EntryFunction` (`application/x.aptos.view_function+bcs`) whose arguments are decoded by the
//! view's ABI. 200 with the return values as Move JSON; 400 `invalid_input` for an unknown
//! function or bad arguments, 400 `vm_error` (`vm_error_code` 4016, `ABORTED`) with the abort's
//! status for a view that aborts.

use aptos_sdk::transaction::EntryFunction;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use computestream_domain::AccountAddress;
use computestream_nodeapi::{headers, ApiError};
use serde::Deserialize;
use serde_json::Value;

use super::{answer, bad_request, internal, Shared};
use crate::abi;
use crate::devnet::Devnet;
use crate::vm::ViewError;

/// `ABORTED`, the VM status code of a view that aborts.
const ABORTED: u64 = 4016;

#[derive(Debug, Deserialize)]
struct ViewRequest {
    function: String,
    #[serde(default)]
    type_arguments: Vec<String>,
    #[serde(default)]
    arguments: Vec<Value>,
}

/// A BCS view call as JSON: the function's printed name, type arguments as the node prints
/// them, and the arguments decoded by the types of the view's ABI.
fn from_bcs(d: &Devnet, body: &[u8]) -> Result<ViewRequest, Box<Response>> {
    let ef: EntryFunction = aptos_sdk::aptos_bcs::from_bytes(body).map_err(|e| {
        Box::new(bad_request(
            d,
            format!("Failed to deserialize input into ViewFunction: {e}"),
        ))
    })?;
    let address = AccountAddress::new(ef.module.address.to_bytes());
    let module = ef.module.name.as_str();
    let function = format!("{}::{module}::{}", address.to_hex_literal(), ef.function);
    let package = d
        .node()
        .map_err(|e| Box::new(internal(d, e)))?
        .state
        .package;
    let params = abi::view_params(&address, &package, module, &ef.function)
        .ok_or_else(|| Box::new(bad_request(d, format!("function not found: {function}"))))?;
    let arguments = ef
        .args
        .iter()
        .zip(params.iter().chain(std::iter::repeat(&String::new())))
        .map(|(raw, ty)| {
            abi::decode_by_type(ty, raw).ok_or_else(|| {
                Box::new(bad_request(
                    d,
                    format!("argument of {function} does not decode as {ty:?}"),
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ViewRequest {
        function,
        type_arguments: ef.type_args.iter().map(|t| t.to_string()).collect(),
        arguments,
    })
}

pub(super) async fn view(State(d): State<Shared>, req_headers: HeaderMap, body: Bytes) -> Response {
    let bcs = req_headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with(headers::BCS_VIEW_FUNCTION));
    let req = if bcs {
        match from_bcs(&d, &body) {
            Ok(r) => r,
            Err(r) => return *r,
        }
    } else {
        match serde_json::from_slice::<ViewRequest>(&body) {
            Ok(r) => r,
            Err(e) => return bad_request(&d, format!("invalid view request: {e}")),
        }
    };
    let result = match d.node() {
        Ok(n) => crate::vm::view(&n.state, &req.function, &req.type_arguments, &req.arguments),
        Err(e) => return internal(&d, e),
    };
    match result {
        Ok(v) => answer(&d, StatusCode::OK, Value::Array(v)),
        Err(ViewError::UnknownFunction(f)) => bad_request(&d, format!("function not found: {f}")),
        Err(ViewError::BadArguments(m)) => bad_request(&d, m),
        Err(ViewError::Abort(a)) => {
            let body = ApiError {
                message: a.vm_status(),
                error_code: "vm_error".into(),
                vm_error_code: Some(ABORTED),
            };
            answer(
                &d,
                StatusCode::BAD_REQUEST,
                serde_json::to_value(body).unwrap_or(Value::Null),
            )
        }
    }
}
