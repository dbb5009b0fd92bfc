//! Fails when `schemas/graphql/schema.graphql` differs from the SDL of the gateway's schema.
//! Regenerate with `CS_UPDATE_SCHEMAS=1 cargo test -p computestream-graphql --test sdl_drift`.

use std::path::PathBuf;

#[test]
fn checked_in_sdl_matches_the_schema() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schemas/graphql/schema.graphql");
    let sdl = computestream_graphql::schema::sdl();
    if std::env::var_os("CS_UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &sdl).expect("write the SDL");
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == sdl,
        "schemas/graphql/schema.graphql drifted from the gateway's schema; run \
         CS_UPDATE_SCHEMAS=1 cargo test -p computestream-graphql --test sdl_drift"
    );
    assert!(
        !sdl.contains("Float"),
        "no Float anywhere in the schema (amounts are strings)"
    );
}
