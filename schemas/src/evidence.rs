//! A job's evidence bundle gathered from the log (docs/DISPUTES.md): the chain's facts about
//! the job (`JobCreated`, `StreamOpened`, deposits, settlements, the close and the provider's
//! `EvidenceCommitted`, each with its chain version and event index), the provider's signed
//! metering records and the buyer's signed vouchers. Pure: the caller reads the topics;
//! [`computestream_domain::evidence::verify`] checks the result.

use computestream_domain::evidence::{
    ChainFact, Commitment, EvidenceBundle, JobTerms, BUNDLE_FORMAT,
};
use computestream_domain::{AccountAddress, Octas};

use crate::{Envelope, Event};

/// Why no bundle could be gathered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatherError {
    /// The log holds no `JobCreated` for the job.
    #[error("job {0} is not in the log (no JobCreated)")]
    NoJob(u64),
    /// The job has no payment stream yet (`StreamOpened`).
    #[error("job {0} has no payment stream in the log (no StreamOpened)")]
    NoStream(u64),
}

fn fact(env: &Envelope, kind: &str, data: serde_json::Value) -> Option<ChainFact> {
    let (version, event_index) = env.id.chain_position()?;
    Some(ChainFact {
        version,
        event_index,
        kind: kind.to_owned(),
        data,
    })
}

fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// Gathers job `job_id`'s bundle from `envelopes` (any order, any other jobs mixed in,
/// duplicates allowed). `payment_ahead_secs` is the deployment's lead
/// (`settler.payment_ahead_secs`).
pub fn gather(
    job_id: u64,
    chain_id: u8,
    package: AccountAddress,
    payment_ahead_secs: u64,
    envelopes: &[Envelope],
) -> Result<EvidenceBundle, GatherError> {
    let mut created = None;
    let mut opened = None;
    let mut escrow = Octas::ZERO;
    let mut paid_total = Octas::ZERO;
    let mut closed = false;
    let mut commitment = None;
    let mut records = Vec::new();
    let mut vouchers = Vec::new();
    let mut chain = Vec::new();
    for env in envelopes {
        match &env.event {
            Event::JobCreated(e) if e.job_id == job_id => {
                created = Some(e.clone());
                escrow = escrow.max(e.escrow_amount);
                chain.extend(fact(env, "job_registry::JobCreated", json(e)));
            }
            Event::StreamOpened(e) if e.stream_id == job_id => {
                opened = Some(e.clone());
                escrow = escrow.max(e.escrow);
                chain.extend(fact(env, "payment_stream::StreamOpened", json(e)));
            }
            Event::EscrowDeposited(e) if e.job_id == job_id => {
                escrow = escrow.max(e.total_deposited);
                chain.extend(fact(env, "escrow::EscrowDeposited", json(e)));
            }
            Event::StreamSettled(e) if e.stream_id == job_id => {
                paid_total = paid_total.max(e.paid_total);
                chain.extend(fact(env, "payment_stream::StreamSettled", json(e)));
            }
            Event::StreamClosed(e) if e.stream_id == job_id => {
                paid_total = paid_total.max(e.paid_total);
                closed = true;
                chain.extend(fact(env, "payment_stream::StreamClosed", json(e)));
            }
            Event::JobEvidenceCommitted(e) if e.job_id == job_id => {
                commitment = Some(Commitment {
                    metering_head: e.metering_head,
                    metered_seconds: e.metered_seconds,
                });
                chain.extend(fact(env, "job_registry::EvidenceCommitted", json(e)));
            }
            Event::MeteringTick(t) if t.record.record.stream_id == job_id => {
                records.push(t.record);
            }
            Event::VoucherReceived(v) if v.voucher.voucher.stream_id == job_id => {
                vouchers.push(v.voucher);
            }
            _ => {}
        }
    }
    let created = created.ok_or(GatherError::NoJob(job_id))?;
    let opened = opened.ok_or(GatherError::NoStream(job_id))?;
    records.sort_by_key(|r| r.record.second);
    records.dedup();
    vouchers.sort_by_key(|v| v.voucher.cumulative_amount);
    vouchers.dedup();
    chain.sort_by_key(|f| (f.version, f.event_index));
    chain.dedup();
    Ok(EvidenceBundle {
        format: BUNDLE_FORMAT.to_owned(),
        chain_id,
        package,
        terms: JobTerms {
            job_id,
            buyer: created.buyer,
            provider: created.provider,
            rate_per_second: opened.rate_per_second,
            escrow,
            voucher_key: opened.buyer_public_key,
            paid_total,
            closed,
        },
        commitment,
        payment_ahead_secs,
        records,
        vouchers,
        chain,
    })
}

#[cfg(test)]
mod tests {
    use computestream_domain::evidence::{verify, Finding};
    use computestream_domain::{
        ed25519_authentication_key, MeteringRecord, SigningKey, Voucher, METERING_GENESIS_HASH,
    };

    use super::*;
    use crate::events::{
        JobCreated, JobEvidenceCommitted, MeteringTick, StreamClosed, StreamOpened, VoucherReceived,
    };

    const RATE: u64 = 1_000;

    /// Job 7: three metered seconds, a voucher for them, closed paying it, the evidence
    /// committed; another job's events mixed in.
    fn log(tamper_second: Option<u64>) -> (AccountAddress, Vec<Envelope>) {
        let package = AccountAddress::new([0x0c; 32]);
        let provider_key = SigningKey::from_seed([2; 32]);
        let provider = ed25519_authentication_key(&provider_key.public_key());
        let voucher_key = SigningKey::from_seed([3; 32]);
        let buyer = AccountAddress::new([3; 32]);
        let mut out = vec![
            Envelope::chain(
                4,
                10,
                0,
                1_000,
                JobCreated {
                    job_id: 7,
                    buyer,
                    provider,
                    docker_image: "img".into(),
                    max_duration_secs: 60,
                    escrow_amount: Octas(60 * RATE),
                    price_per_second: Octas(RATE),
                },
            ),
            Envelope::chain(
                4,
                10,
                1,
                1_000,
                StreamOpened {
                    stream_id: 7,
                    buyer,
                    provider,
                    buyer_public_key: voucher_key.public_key(),
                    rate_per_second: Octas(RATE),
                    escrow: Octas(60 * RATE),
                },
            ),
        ];
        let mut prev = METERING_GENESIS_HASH;
        for second in 1..=3u64 {
            let record = MeteringRecord {
                chain_id: 4,
                package,
                stream_id: 7,
                provider,
                second,
                prev_hash: prev,
                observed_at_ms: 1_000 + second * 1_000,
                cpu_usage_micros: if tamper_second == Some(second) { 9 } else { 1 },
                memory_bytes: 2,
                gpu: None,
            };
            // The committed head is the honest chain's.
            let honest = MeteringRecord {
                cpu_usage_micros: 1,
                ..record
            };
            prev = honest.hash();
            out.push(Envelope::metering_tick(MeteringTick {
                record: record.sign(&provider_key),
            }));
        }
        let voucher = Voucher {
            chain_id: 4,
            package,
            stream_id: 7,
            cumulative_amount: Octas(3 * RATE),
        }
        .sign(&voucher_key);
        out.push(Envelope::voucher(
            provider,
            4_000,
            VoucherReceived {
                voucher,
                second: 3,
                commitment_id: "c".into(),
            },
        ));
        out.push(Envelope::chain(
            4,
            20,
            0,
            5_000,
            JobEvidenceCommitted {
                job_id: 7,
                provider,
                metering_head: prev,
                metered_seconds: 3,
            },
        ));
        out.push(Envelope::chain(
            4,
            21,
            2,
            6_000,
            StreamClosed {
                stream_id: 7,
                final_payment: Octas(3 * RATE),
                paid_total: Octas(3 * RATE),
                refunded: Octas(57 * RATE),
            },
        ));
        // Another job's record, and a duplicate of one of ours (at-least-once delivery).
        out.push(out[2].clone());
        (package, out)
    }

    #[test]
    fn an_honest_jobs_bundle_holds_and_round_trips_as_json() {
        let (package, envelopes) = log(None);
        let bundle = gather(7, 4, package, 0, &envelopes).expect("gathered");
        assert_eq!(bundle.records.len(), 3, "duplicates are one");
        assert_eq!(bundle.chain.len(), 4);
        assert!(bundle.terms.closed);
        let verdict = verify(&bundle);
        assert!(verdict.holds(), "{:?}", verdict.findings);
        assert_eq!(verdict.signed_seconds, 3);
        let text = serde_json::to_string(&bundle).expect("json");
        let again: EvidenceBundle = serde_json::from_str(&text).expect("parse");
        assert_eq!(
            verify(&again),
            verdict,
            "offline re-check gives the same verdict"
        );
    }

    #[test]
    fn a_history_rewritten_after_the_commitment_is_found_at_its_second() {
        let (package, envelopes) = log(Some(2));
        let bundle = gather(7, 4, package, 0, &envelopes).expect("gathered");
        let verdict = verify(&bundle);
        assert!(
            verdict
                .findings
                .contains(&Finding::ChainBroken { second: 3 }),
            "{:?}",
            verdict.findings
        );
        assert!(!verdict.holds());
    }

    #[test]
    fn a_job_not_in_the_log_is_a_clear_error() {
        let (package, envelopes) = log(None);
        assert_eq!(
            gather(8, 4, package, 0, &envelopes),
            Err(GatherError::NoJob(8))
        );
    }
}
