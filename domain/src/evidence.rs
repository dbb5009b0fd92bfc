//! A job's evidence and its verification, for disputes (docs/DISPUTES.md): everything a third
//! party needs to check what was served and what was paid, in one self-contained bundle, and
//! the one pure function that checks it — the same for `computestream verify` on a live log
//! and for an arbiter re-checking a bundle offline.
//!
//! The checks (each failure names the exact second or voucher):
//! 1. every metering record is the job's (chain, package, stream), signed (strict ed25519)
//!    by the provider's key (its address is the key's authentication key), one per second from
//!    1 with no gap and no second twice with different content, each naming the SHA3-256 of
//!    its predecessor (`prev_hash`);
//! 2. the chain's head (SHA3-256 of the last record) and its number of seconds equal what the
//!    provider committed on chain (`job_registry::EvidenceCommitted`);
//! 3. every voucher verifies against the stream's voucher key (`StreamOpened`);
//! 4. what the chain paid the provider (`paid_total` of the newest `StreamSettled` or
//!    `StreamClosed`) equals the newest valid voucher within (metered seconds + the lead) ×
//!    rate and the escrow — the settler's rule ([`crate::SettlementDesk`]).

use serde::{Deserialize, Serialize};

use crate::{
    ed25519_authentication_key, AccountAddress, Octas, PublicKey, RecordHash, SignedMeteringRecord,
    SignedVoucher, VoucherContext, METERING_GENESIS_HASH,
};

/// The version of the bundle format.
pub const BUNDLE_FORMAT: &str = "computestream-evidence/v1";

/// A chain event a bundle relies on, with where the chain recorded it (a third party fetches
/// `GET /v1/transactions/by_version/{version}` from any node to check it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainFact {
    pub version: u64,
    pub event_index: u32,
    /// `module::Event`, e.g. `payment_stream::StreamClosed`.
    pub kind: String,
    pub data: serde_json::Value,
}

/// What the provider committed on chain when the job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    pub metering_head: RecordHash,
    pub metered_seconds: u64,
}

/// The terms of the job and its stream as the chain recorded them, and what it paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobTerms {
    pub job_id: u64,
    pub buyer: AccountAddress,
    pub provider: AccountAddress,
    pub rate_per_second: Octas,
    /// Total deposited into the job's escrow.
    pub escrow: Octas,
    /// The stream's voucher key (`StreamOpened.buyer_public_key`).
    pub voucher_key: PublicKey,
    /// What the chain released to the provider (newest `paid_total`), and whether the stream
    /// is closed.
    pub paid_total: Octas,
    pub closed: bool,
}

/// Everything needed to check one job: self-contained JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceBundle {
    pub format: String,
    pub chain_id: u8,
    pub package: AccountAddress,
    pub terms: JobTerms,
    pub commitment: Option<Commitment>,
    /// Seconds buyers may pay ahead (the deployment's `payment_ahead_secs`).
    pub payment_ahead_secs: u64,
    pub records: Vec<SignedMeteringRecord>,
    pub vouchers: Vec<SignedVoucher>,
    /// The chain events the terms, commitment and payments come from.
    pub chain: Vec<ChainFact>,
}

impl EvidenceBundle {
    /// Whether nothing a verdict reads can change any more: the stream is closed (no
    /// payment can land) and the provider's commitment is on chain (its records end there).
    /// The provider commits after it has stopped the job, which may be after the stream
    /// closed: until then a verdict would miss the commitment.
    pub fn is_final(&self) -> bool {
        self.terms.closed && self.commitment.is_some()
    }
}

/// One thing that does not hold, at its exact place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// The record of `second` is for another chain, package or stream.
    RecordOutOfContext { second: u64 },
    /// The record of `second` is signed by a key that is not the provider's.
    RecordSignedByAnotherKey { second: u64 },
    /// The record of `second` does not verify.
    RecordSignatureInvalid { second: u64 },
    /// Two different records for `second`.
    SecondTwice { second: u64 },
    /// `second` is missing (the next record present is `next`).
    SecondMissing { second: u64, next: u64 },
    /// The record of `second` does not name its predecessor's hash.
    ChainBroken { second: u64 },
    /// The provider committed nothing on chain.
    NoCommitment,
    /// The committed head is not the head of the records.
    HeadDiffers {
        committed: RecordHash,
        records: RecordHash,
    },
    /// The committed number of seconds is not the records'.
    SecondsDiffer { committed: u64, records: u64 },
    /// A voucher that does not verify against the stream's voucher key.
    VoucherInvalid {
        cumulative_amount: Octas,
        reason: String,
    },
    /// The chain paid something other than the newest valid voucher within the metered
    /// seconds plus the lead and the escrow.
    PaidDiffers { paid: Octas, expected: Octas },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::RecordOutOfContext { second } => {
                write!(f, "second {second}: the record is for another chain, package or stream")
            }
            Finding::RecordSignedByAnotherKey { second } => {
                write!(f, "second {second}: the record is signed by a key that is not the provider's")
            }
            Finding::RecordSignatureInvalid { second } => {
                write!(f, "second {second}: the record's signature does not verify")
            }
            Finding::SecondTwice { second } => {
                write!(f, "second {second}: two different records")
            }
            Finding::SecondMissing { second, next } => {
                write!(f, "second {second}: missing (the next record is second {next})")
            }
            Finding::ChainBroken { second } => {
                write!(f, "second {second}: does not chain to the record before it")
            }
            Finding::NoCommitment => write!(f, "the provider committed no evidence on chain"),
            Finding::HeadDiffers { committed, records } => write!(
                f,
                "the head committed on chain {committed} is not the records' head {records}"
            ),
            Finding::SecondsDiffer { committed, records } => write!(
                f,
                "{committed} seconds committed on chain, {records} in the records"
            ),
            Finding::VoucherInvalid {
                cumulative_amount,
                reason,
            } => write!(f, "voucher for {cumulative_amount} octas: {reason}"),
            Finding::PaidDiffers { paid, expected } => write!(
                f,
                "the chain paid {paid} octas; the newest valid voucher within the metered seconds is {expected}"
            ),
        }
    }
}

/// The verdict on a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// Seconds signed in one unbroken chain from second 1.
    pub signed_seconds: u64,
    /// The head of that chain (the genesis hash when there are no records).
    pub head: RecordHash,
    pub committed: Option<Commitment>,
    /// The newest voucher that verifies.
    pub newest_voucher: Option<Octas>,
    pub paid: Octas,
    /// Every check that failed, in the order of the checks; empty when the evidence holds.
    pub findings: Vec<Finding>,
}

impl Verdict {
    pub fn holds(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Checks `bundle` (the checks of this module's documentation).
pub fn verify(bundle: &EvidenceBundle) -> Verdict {
    let t = &bundle.terms;
    let ctx = VoucherContext {
        chain_id: bundle.chain_id,
        package: bundle.package,
    };
    let mut findings = Vec::new();

    // 1. The records: one chain from second 1.
    let mut records: Vec<&SignedMeteringRecord> = bundle.records.iter().collect();
    records.sort_by_key(|r| r.record.second);
    let mut expected_second = 1u64;
    let mut head = METERING_GENESIS_HASH;
    let mut signed_seconds = 0u64;
    let mut broken = false;
    let mut i = 0;
    while i < records.len() {
        let r = records[i];
        let second = r.record.second;
        // Copies of the same record are one; different records for one second are a fork.
        let same_second = records[i..]
            .iter()
            .take_while(|o| o.record.second == second)
            .count();
        if records[i..i + same_second]
            .iter()
            .any(|o| o.record != r.record)
        {
            findings.push(Finding::SecondTwice { second });
            broken = true;
        }
        i += same_second;
        if broken {
            continue;
        }
        let rec = &r.record;
        if rec.chain_id != ctx.chain_id || rec.package != ctx.package || rec.stream_id != t.job_id {
            findings.push(Finding::RecordOutOfContext { second });
            broken = true;
            continue;
        }
        if ed25519_authentication_key(&r.provider_public_key) != t.provider
            || rec.provider != t.provider
        {
            findings.push(Finding::RecordSignedByAnotherKey { second });
            broken = true;
            continue;
        }
        if !r.signature_is_valid() {
            findings.push(Finding::RecordSignatureInvalid { second });
            broken = true;
            continue;
        }
        if second != expected_second {
            findings.push(Finding::SecondMissing {
                second: expected_second,
                next: second,
            });
            broken = true;
            continue;
        }
        if rec.prev_hash != head {
            findings.push(Finding::ChainBroken { second });
            broken = true;
            continue;
        }
        head = rec.hash();
        signed_seconds = second;
        expected_second = second + 1;
    }

    // 2. The commitment on chain.
    match bundle.commitment {
        None => findings.push(Finding::NoCommitment),
        Some(c) => {
            if c.metering_head != head {
                findings.push(Finding::HeadDiffers {
                    committed: c.metering_head,
                    records: head,
                });
            }
            if c.metered_seconds != signed_seconds {
                findings.push(Finding::SecondsDiffer {
                    committed: c.metered_seconds,
                    records: signed_seconds,
                });
            }
        }
    }

    // 3. The vouchers.
    let mut valid: Vec<Octas> = Vec::new();
    let mut vouchers: Vec<&SignedVoucher> = bundle.vouchers.iter().collect();
    vouchers.sort_by_key(|v| v.voucher.cumulative_amount);
    vouchers.dedup_by(|a, b| a == b);
    for v in vouchers {
        match v.verify(&ctx, t.job_id, &t.voucher_key) {
            Ok(()) => valid.push(v.voucher.cumulative_amount),
            Err(e) => findings.push(Finding::VoucherInvalid {
                cumulative_amount: v.voucher.cumulative_amount,
                reason: e.to_string(),
            }),
        }
    }

    // 4. What the chain paid: the settler's rule on what the evidence shows.
    let bound = t
        .rate_per_second
        .saturating_mul(signed_seconds.saturating_add(bundle.payment_ahead_secs))
        .min(t.escrow);
    let expected = valid
        .iter()
        .copied()
        .filter(|a| *a <= bound)
        .max()
        .unwrap_or(Octas::ZERO);
    // Once closed, exactly that; while open, the chain may lag but never pay more.
    if (t.closed && t.paid_total != expected) || t.paid_total > expected {
        findings.push(Finding::PaidDiffers {
            paid: t.paid_total,
            expected,
        });
    }
    Verdict {
        signed_seconds,
        head,
        committed: bundle.commitment,
        newest_voucher: valid.last().copied(),
        paid: t.paid_total,
        findings,
    }
}

#[cfg(test)]
mod tests;
