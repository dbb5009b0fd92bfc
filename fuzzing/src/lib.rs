//! Fuzz targets for the parsers that face the outside (issue 21 item 4). Each target takes
//! arbitrary bytes, must never panic, and checks what must hold of what it accepts (a value
//! read and written again reads back the same). `fuzz/` runs them under libFuzzer
//! (`scripts/fuzz.sh TARGET SECONDS`, nightly); `tests/corpus_replay.rs` replays every
//! checked-in input on stable, in CI. An input that once failed is kept in the target's
//! corpus, so it is replayed for good.

use computestream_domain::{AccountAddress, MeteringChain, SignatureChecked, VoucherContext};
use computestream_nodeapi::Transaction;
use computestream_schemas::x402::{self, header, PaymentPayload};
use computestream_schemas::{Envelope, Event};

/// The deployment the targets check against: the local devnet's.
const CHAIN_ID: u8 = 4;

fn package() -> AccountAddress {
    computestream_devnet::LOCAL_PACKAGE
}

/// `PAYMENT-SIGNATURE` as a resource server reads it: base64, JSON, the binding's form rules
/// against the payload's own requirements, the voucher's fields and its signature.
pub fn x402_payment_signature(data: &[u8]) {
    let Ok(p) = header::decode::<PaymentPayload>(data) else {
        return;
    };
    let _ = x402::check_form(&p, &p.accepted, CHAIN_ID);
    if let Ok(v) = p.payload.voucher.to_signed() {
        let _ = v.signature_is_valid();
        let _ = SignatureChecked::voucher(v);
    }
    let again: PaymentPayload =
        header::decode(header::encode(&p).as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again, p, "a payload written again reads back the same");
}

/// A log record as every consumer reads it: the envelope, its payload upcast to the
/// current version; vouchers and metering records checked as the settler does.
pub fn envelope(data: &[u8]) {
    let Ok(e) = Envelope::from_json(data) else {
        return;
    };
    let again = Envelope::from_json(&e.to_json())
        .unwrap_or_else(|err| panic!("an envelope written again must read back: {err}"));
    assert_eq!(again.event, e.event, "the same event after a round trip");
    let ctx = VoucherContext {
        chain_id: CHAIN_ID,
        package: package(),
    };
    match &e.event {
        Event::VoucherReceived(v) => {
            let _ = SignatureChecked::voucher(v.voucher);
        }
        Event::MeteringTick(t) => {
            let signed = t.record;
            let _ = signed.record.hash();
            let mut chain =
                MeteringChain::new(ctx, signed.record.stream_id, signed.provider_public_key);
            let _ = chain.accept(&signed);
            let _ = chain.accept(&signed);
        }
        _ => {}
    }
}

/// A page of the node's `GET /transactions` (or a single transaction, or an error body)
/// as the indexer reads it, each committed user transaction decoded into events.
pub fn node_pages(data: &[u8]) {
    let _ = serde_json::from_slice::<computestream_nodeapi::ApiError>(data);
    let Ok(page) = Transaction::page_from_slice(data) else {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
            let _ = Transaction::from_value(v);
        }
        return;
    };
    for t in &page {
        let _ = t.version();
        let _ = Transaction::from_value(t.to_value());
        if let Transaction::User(u) = t {
            let _ = computestream_indexer::decode::transaction(CHAIN_ID, &package(), u);
        }
    }
}

/// A BCS signed transaction submitted to the devnet (`POST /transactions`): decoded,
/// hashed, its chain id, signature and prologue checked, without panicking.
pub fn devnet_intake(data: &[u8]) {
    let mut node = computestream_devnet::node::Node::new(CHAIN_ID, package(), 1_000_000, &[]);
    let _ = node.submit(data, 1);
}

/// A fuzz target: arbitrary bytes in, a panic on a failure.
pub type Target = fn(&[u8]);

/// Every target by name (the `fuzz/fuzz_targets/` files and the corpus directories).
pub const TARGETS: &[(&str, Target)] = &[
    ("x402_payment_signature", x402_payment_signature),
    ("envelope", envelope),
    ("node_pages", node_pages),
    ("devnet_intake", devnet_intake),
];
