//! x402 HTTP headers: base64 (standard alphabet) of the JSON body.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub fn encode<T: Serialize>(v: &T) -> String {
    STANDARD.encode(serde_json::to_vec(v).unwrap_or_default())
}

pub fn decode<T: DeserializeOwned>(header: &[u8]) -> Result<T, String> {
    let bytes = STANDARD
        .decode(header.trim_ascii())
        .map_err(|e| format!("not base64: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("not the expected JSON: {e}"))
}
