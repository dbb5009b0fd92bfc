//! The voucher test vector shared with the Move package (`move/scenarios/voucher_vector.json`,
//! asserted again in `move/tests/payment_stream_tests.move`): the same key, voucher, signed
//! bytes and signature on both sides, so the Rust signer and the on-chain verifier cannot
//! drift apart. `CS_UPDATE_SCHEMAS=1` rewrites the file.

use computestream_domain::{ed25519_authentication_key, Octas, SigningKey, Voucher};

fn vector_json() -> String {
    let key = SigningKey::from_seed([0x11; 32]);
    let pk = key.public_key();
    let voucher = Voucher {
        chain_id: 4,
        package: "0xc5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5"
            .parse()
            .expect("package"),
        stream_id: 7,
        cumulative_amount: Octas(123_456),
    };
    let signed = voucher.sign(&key);
    // Keys in a fixed (sorted) order whatever serde_json's map type in this build.
    let v: std::collections::BTreeMap<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
        "description": "Shared voucher test vector: Rust (domain::Voucher) and Move (payment_stream) must agree byte for byte.",
        "private_key_seed": format!("0x{}", hex(&key.seed())),
        "public_key": pk.to_string(),
        "buyer_address": ed25519_authentication_key(&pk).to_long_string(),
        "chain_id": voucher.chain_id,
        "package": voucher.package.to_long_string(),
        "stream_id": voucher.stream_id,
        "cumulative_amount": voucher.cumulative_amount,
        "signing_bytes": format!("0x{}", hex(&voucher.signing_bytes())),
        "signature": signed.signature.to_string(),
    }))
    .expect("object");
    let mut s = serde_json::to_string_pretty(&v).expect("json");
    s.push('\n');
    s
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn shared_vector_matches_the_domain_signer() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../move/scenarios/voucher_vector.json"
    );
    let expected = vector_json();
    if std::env::var_os("CS_UPDATE_SCHEMAS").is_some() {
        std::fs::write(path, &expected).expect("write vector");
    }
    let on_disk = std::fs::read_to_string(path).expect("move/scenarios/voucher_vector.json exists");
    assert_eq!(
        on_disk, expected,
        "the shared voucher vector drifted; see the Move test too"
    );
}
