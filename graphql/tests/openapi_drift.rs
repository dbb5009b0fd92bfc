//! Fails when `schemas/openapi/rest-v1.json` differs from the OpenAPI document the gateway
//! generates for `/api/v1` (schemas/ is the single source of truth that clients read; the
//! document itself is generated from the handlers and their types with utoipa).
//! Regenerate with `CS_UPDATE_SCHEMAS=1 cargo test -p computestream-graphql --test openapi_drift`.

use std::path::PathBuf;

#[test]
fn checked_in_openapi_matches_the_handlers() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schemas/openapi/rest-v1.json");
    let doc = computestream_graphql::openapi_json();
    if std::env::var_os("CS_UPDATE_SCHEMAS").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir schemas/openapi");
        std::fs::write(&path, &doc).expect("write the document");
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == doc,
        "schemas/openapi/rest-v1.json drifted from the gateway's /api/v1 handlers; run \
         CS_UPDATE_SCHEMAS=1 cargo test -p computestream-graphql --test openapi_drift"
    );
}
