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
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}
