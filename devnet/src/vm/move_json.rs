//! Move values as the node prints them in JSON: u64 as decimal strings, u8 as numbers,
//! addresses with their leading zeros dropped (`to_hex_literal`), `vector<u8>` as 0x-hex,
//! `Option<T>` as `{"vec": [...]}`.

use computestream_domain::AccountAddress;
use serde_json::{json, Value};

pub fn u64(v: u64) -> Value {
    Value::String(v.to_string())
}

pub fn address(a: &AccountAddress) -> Value {
    Value::String(a.to_hex_literal())
}

pub fn bytes(b: &[u8]) -> Value {
    Value::String(format!("0x{}", hex::encode(b)))
}

pub fn option<T>(v: Option<T>, f: impl Fn(T) -> Value) -> Value {
    match v {
        Some(x) => json!({ "vec": [f(x)] }),
        None => json!({ "vec": [] }),
    }
}
