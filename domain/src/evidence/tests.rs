//! Unit tests of the evidence check: a clean job holds; each kind of tampering is reported at
//! its exact place.

use super::*;
use crate::{MeteringRecord, SigningKey, Voucher};

const RATE: u64 = 1_000;
const JOB: u64 = 7;

fn ctx() -> VoucherContext {
    VoucherContext {
        chain_id: 4,
        package: "0x0c5c".parse().expect("addr"),
    }
}

fn provider() -> SigningKey {
    SigningKey::from_seed([1; 32])
}

fn voucher_key() -> SigningKey {
    SigningKey::from_seed([2; 32])
}

fn records(n: u64, key: &SigningKey) -> Vec<SignedMeteringRecord> {
    let mut prev = METERING_GENESIS_HASH;
    (1..=n)
        .map(|second| {
            let r = MeteringRecord {
                chain_id: ctx().chain_id,
                package: ctx().package,
                stream_id: JOB,
                provider: ed25519_authentication_key(&provider().public_key()),
                second,
                prev_hash: prev,
                observed_at_ms: 1_700_000_000_000 + second * 1_000,
                cpu_usage_micros: 900_000,
                memory_bytes: 1 << 20,
                gpu: None,
            };
            prev = r.hash();
            r.sign(key)
        })
        .collect()
}

fn voucher(amount: u64, key: &SigningKey) -> SignedVoucher {
    Voucher {
        chain_id: ctx().chain_id,
        package: ctx().package,
        stream_id: JOB,
        cumulative_amount: Octas(amount),
    }
    .sign(key)
}

/// A job of 10 seconds, paid 12 seconds ahead-inclusive, settled and closed at 12 s.
fn clean() -> EvidenceBundle {
    let recs = records(10, &provider());
    let head = recs.last().expect("records").record.hash();
    EvidenceBundle {
        format: BUNDLE_FORMAT.into(),
        chain_id: ctx().chain_id,
        package: ctx().package,
        terms: JobTerms {
            job_id: JOB,
            buyer: ed25519_authentication_key(&voucher_key().public_key()),
            provider: ed25519_authentication_key(&provider().public_key()),
            rate_per_second: Octas(RATE),
            escrow: Octas(60 * RATE),
            voucher_key: voucher_key().public_key(),
            paid_total: Octas(12 * RATE),
            closed: true,
        },
        commitment: Some(Commitment {
            metering_head: head,
            metered_seconds: 10,
        }),
        payment_ahead_secs: 2,
        records: recs,
        vouchers: (1..=12)
            .map(|s| voucher(s * RATE, &voucher_key()))
            .collect(),
        chain: Vec::new(),
    }
}

fn first(b: &EvidenceBundle) -> Finding {
    verify(b).findings.first().cloned().expect("a finding")
}

#[test]
fn a_clean_job_holds_and_its_bundle_round_trips() {
    let b = clean();
    let v = verify(&b);
    assert!(v.holds(), "{:?}", v.findings);
    assert_eq!(v.signed_seconds, 10);
    assert_eq!(v.newest_voucher, Some(Octas(12 * RATE)));
    let json = serde_json::to_string(&b).expect("json");
    let back: EvidenceBundle = serde_json::from_str(&json).expect("bundle");
    assert_eq!(back, b);
    assert!(verify(&back).holds());
}

#[test]
fn a_tampered_record_is_reported_at_its_second() {
    let mut b = clean();
    b.records[3].record.cpu_usage_micros += 1;
    assert_eq!(first(&b), Finding::RecordSignatureInvalid { second: 4 });
}

#[test]
fn a_missing_second_is_reported_with_the_next_one_present() {
    let mut b = clean();
    b.records.remove(4);
    assert_eq!(first(&b), Finding::SecondMissing { second: 5, next: 6 });
    assert_eq!(verify(&b).signed_seconds, 4);
}

#[test]
fn a_forged_voucher_is_reported_by_its_amount() {
    let mut b = clean();
    let mallory = SigningKey::from_seed([9; 32]);
    b.vouchers.push(voucher(30 * RATE, &mallory));
    let v = verify(&b);
    assert_eq!(
        v.findings,
        vec![Finding::VoucherInvalid {
            cumulative_amount: Octas(30 * RATE),
            reason: "voucher is signed by a key that is not the stream's buyer key".into()
        }]
    );
    assert_eq!(
        v.newest_voucher,
        Some(Octas(12 * RATE)),
        "the forgery pays nothing"
    );
}

#[test]
fn a_record_signed_by_another_key_is_reported_at_its_second() {
    let mut b = clean();
    let other = records(3, &SigningKey::from_seed([8; 32]));
    b.records[2] = other[2];
    assert_eq!(first(&b), Finding::RecordSignedByAnotherKey { second: 3 });
}

#[test]
fn a_head_that_differs_from_the_chain_is_reported() {
    let mut b = clean();
    let records_head = verify(&b).head;
    b.commitment = Some(Commitment {
        metering_head: RecordHash([7; 32]),
        metered_seconds: 10,
    });
    assert_eq!(
        first(&b),
        Finding::HeadDiffers {
            committed: RecordHash([7; 32]),
            records: records_head
        }
    );
    b.commitment = None;
    assert_eq!(first(&b), Finding::NoCommitment);
}

#[test]
fn a_second_recorded_twice_differently_is_a_fork_and_a_copy_is_not() {
    let mut b = clean();
    b.records.push(b.records[5]);
    assert!(verify(&b).holds(), "an identical copy is harmless");
    let mut fork = b.records[5];
    fork.record.memory_bytes += 1;
    b.records.push(fork.record.sign(&provider()));
    assert_eq!(first(&b), Finding::SecondTwice { second: 6 });
}

#[test]
fn paying_other_than_the_newest_voucher_within_the_lead_is_reported() {
    let mut b = clean();
    b.terms.paid_total = Octas(9 * RATE);
    assert_eq!(
        first(&b),
        Finding::PaidDiffers {
            paid: Octas(9 * RATE),
            expected: Octas(12 * RATE)
        }
    );
    // A voucher beyond the seconds signed plus the lead is not what the chain should pay.
    let mut b = clean();
    b.vouchers.push(voucher(20 * RATE, &voucher_key()));
    b.terms.paid_total = Octas(20 * RATE);
    assert_eq!(
        first(&b),
        Finding::PaidDiffers {
            paid: Octas(20 * RATE),
            expected: Octas(12 * RATE)
        }
    );
}

#[test]
fn a_verdict_is_final_only_once_the_stream_closed_and_the_commitment_landed() {
    assert!(clean().is_final());
    let mut b = clean();
    b.commitment = None;
    assert!(!b.is_final(), "the provider commits after the close");
    let mut b = clean();
    b.terms.closed = false;
    assert!(!b.is_final(), "a payment may still land");
}
