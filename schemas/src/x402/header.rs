//! The x402 v2 HTTP transport's headers: their names, and their encoding (base64, standard
//! alphabet, of the JSON body; x402 `specs/transports-v2/http.md`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Server → client, with a 402: base64 JSON [`super::PaymentRequired`].
pub const PAYMENT_REQUIRED: &str = "PAYMENT-REQUIRED";
/// Client → server: base64 JSON [`super::PaymentPayload`].
pub const PAYMENT_SIGNATURE: &str = "PAYMENT-SIGNATURE";
/// Server → client: base64 JSON [`super::SettleResponse`].
pub const PAYMENT_RESPONSE: &str = "PAYMENT-RESPONSE";

/// A header's value for `v`.
pub fn encode<T: Serialize>(v: &T) -> String {
    STANDARD.encode(serde_json::to_vec(v).unwrap_or_default())
}

/// The value of a header as it arrived (surrounding whitespace allowed).
///
/// Errors: `not base64: ...` or `not the expected JSON: ...`.
pub fn decode<T: DeserializeOwned>(header: &[u8]) -> Result<T, String> {
    let bytes = STANDARD
        .decode(header.trim_ascii())
        .map_err(|e| format!("not base64: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("not the expected JSON: {e}"))
}
