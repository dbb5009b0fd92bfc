//! Generation of the checked-in schema artifacts under `schemas/json/`.

use crate::envelope::WireEnvelope;
use crate::{events, topics};

/// Every generated file as `(path relative to schemas/, contents)`. The drift test compares
/// these with the files on disk; `CS_UPDATE_SCHEMAS=1` rewrites them.
pub fn generated_files() -> Vec<(String, String)> {
    let mut out = Vec::new();
    out.push((
        "json/envelope.json".to_owned(),
        pretty(&schemars::schema_for!(WireEnvelope)),
    ));
    for (name, schema) in events::payload_schemas() {
        out.push((format!("json/events/{name}"), pretty(&schema)));
    }
    out.push(("json/topics.json".to_owned(), pretty(&topics::ALL)));
    out
}

fn pretty<T: serde::Serialize>(v: &T) -> String {
    let value = serde_json::to_value(v).unwrap_or_default();
    let mut s = serde_json::to_string_pretty(&canonical(value)).unwrap_or_default();
    s.push('\n');
    s
}

/// The value with every object's keys in sorted order, whatever `serde_json`'s map type
/// is in this build (`preserve_order` is switched on by some dependencies and would
/// otherwise make the generated files depend on which crates are built together).
pub fn canonical(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, canonical(v)))
                    .collect(),
            )
        }
        Value::Array(xs) => Value::Array(xs.into_iter().map(canonical).collect()),
        other => other,
    }
}
