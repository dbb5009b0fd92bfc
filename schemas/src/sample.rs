//! A synthetic, coherent marketplace history of every event kind, at any size, signed like
//! the real thing: for tests that need many events (crash/resume, replay) and for the
//! projector benchmark. Pure: it only builds envelopes.

use crate::events::*;
use crate::Envelope;
use computestream_domain::{
    AccountAddress, JobStatus, MeteringRecord, Octas, RecordHash, SigningKey, Voucher,
    METERING_GENESIS_HASH,
};

const CHAIN: u8 = 4;

/// `jobs` jobs (10 per provider) each metered for `seconds` seconds, starting at `t0_ms`:
/// registrations, creation with escrow and stream, running, a tick every second, a voucher
/// every 10 s, a heartbeat per provider every 30 s, an on-chain settlement (with its
/// settler batch) every 60 s, completion with the metering evidence committed, and close
/// with refund. With `seconds` a multiple of 10, every job's evidence verifies
/// ([`computestream_domain::evidence::verify`]).
pub fn marketplace(jobs: u64, seconds: u64, t0_ms: u64) -> Vec<Envelope> {
    let package = AccountAddress::new([0xc5; 32]);
    let settler = AccountAddress::new([0x0d; 32]);
    let rate = 1_000u64;
    let escrow = rate * (seconds + 10);
    let mut version = 1u64;
    let mut next_version = || {
        version += 1;
        version
    };
    let mut out = Vec::new();
    let providers = jobs.div_ceil(10).max(1);
    let provider_keys: Vec<SigningKey> = (0..providers)
        .map(|i| {
            let mut s = [0x1a; 32];
            s[..8].copy_from_slice(&i.to_le_bytes());
            SigningKey::from_seed(s)
        })
        .collect();
    let addr = |k: &SigningKey| computestream_domain::ed25519_authentication_key(&k.public_key());
    for k in &provider_keys {
        let v = next_version();
        out.push(Envelope::chain(
            CHAIN,
            v,
            0,
            t0_ms,
            ProviderRegistered {
                provider: addr(k),
                gpu_type: "H100".into(),
                vram_gb: 80,
                price_per_second: Octas(rate),
                stake: Octas(100_000_000),
            },
        ));
        out.push(Envelope::chain(
            CHAIN,
            v,
            1,
            t0_ms,
            ProviderStaked {
                provider: addr(k),
                amount: Octas(100_000_000),
                total_stake: Octas(100_000_000),
            },
        ));
    }
    for job in 1..=jobs {
        let pkey = &provider_keys[((job - 1) / 10) as usize];
        let p = addr(pkey);
        let mut bseed = [0x2b; 32];
        bseed[..8].copy_from_slice(&job.to_le_bytes());
        let bkey = SigningKey::from_seed(bseed);
        let b = addr(&bkey);
        let v = next_version();
        out.push(Envelope::chain(
            CHAIN,
            v,
            0,
            t0_ms,
            JobCreated {
                job_id: job,
                buyer: b,
                provider: p,
                docker_image: "img".into(),
                max_duration_secs: seconds + 10,
                escrow_amount: Octas(escrow),
                price_per_second: Octas(rate),
            },
        ));
        out.push(Envelope::chain(
            CHAIN,
            v,
            1,
            t0_ms,
            EscrowCoinMoved {
                job_id: job,
                account: b,
                direction: CoinDirection::Withdraw,
                amount: Octas(escrow),
                coin_type: "0x1::aptos_coin::AptosCoin".into(),
            },
        ));
        out.push(Envelope::chain(
            CHAIN,
            v,
            2,
            t0_ms,
            EscrowDeposited {
                job_id: job,
                buyer: b,
                amount: Octas(escrow),
                total_deposited: Octas(escrow),
            },
        ));
        out.push(Envelope::chain(
            CHAIN,
            v,
            3,
            t0_ms,
            StreamOpened {
                stream_id: job,
                buyer: b,
                provider: p,
                buyer_public_key: bkey.public_key(),
                rate_per_second: Octas(rate),
                escrow: Octas(escrow),
            },
        ));
        out.push(Envelope::chain(
            CHAIN,
            next_version(),
            0,
            t0_ms,
            JobStatusChanged {
                job_id: job,
                from: JobStatus::Pending,
                to: JobStatus::Running,
                actor: p,
                exit_code: None,
                reason: String::new(),
                output_url: None,
                output_cid: None,
            },
        ));
        let mut prev: RecordHash = METERING_GENESIS_HASH;
        let mut paid = 0u64;
        for s in 1..=seconds {
            let at = t0_ms + s * 1_000;
            let r = MeteringRecord {
                chain_id: CHAIN,
                package,
                stream_id: job,
                provider: p,
                second: s,
                prev_hash: prev,
                observed_at_ms: at,
                cpu_usage_micros: 250_000,
                memory_bytes: 1 << 24,
                gpu: None,
            };
            prev = r.hash();
            out.push(Envelope::metering_tick(MeteringTick {
                record: r.sign(pkey),
            }));
            if s % 10 == 0 {
                let vch = Voucher {
                    chain_id: CHAIN,
                    package,
                    stream_id: job,
                    cumulative_amount: Octas(s * rate),
                }
                .sign(&bkey);
                out.push(Envelope::voucher(
                    p,
                    at,
                    VoucherReceived {
                        voucher: vch,
                        second: s,
                        commitment_id: format!("{job}:{s}"),
                    },
                ));
            }
            if s % 30 == 0 && job % 10 == 1 {
                out.push(Envelope::heartbeat(ProviderHeartbeat {
                    provider: p,
                    at_ms: at,
                    available: true,
                    running_jobs: 10,
                    endpoint: Some(format!("http://10.0.0.{}:8090", job % 200)),
                }));
            }
            if s % 60 == 0 {
                let batch = format!("{job}-{s}");
                out.push(Envelope::settlement_submitted(
                    at,
                    SettlementSubmitted {
                        batch_id: batch.clone(),
                        settler,
                        sequence_number: s,
                        transaction_hash: format!("0x{job:x}{s:x}"),
                        items: vec![SettlementItem {
                            stream_id: job,
                            cumulative_amount: Octas(s * rate),
                        }],
                        closes: vec![],
                    },
                ));
                let v = next_version();
                let now = s * rate - paid;
                paid = s * rate;
                out.push(Envelope::chain(
                    CHAIN,
                    v,
                    0,
                    at,
                    EscrowReleased {
                        job_id: job,
                        provider: p,
                        amount: Octas(now),
                        total_released: Octas(paid),
                    },
                ));
                out.push(Envelope::chain(
                    CHAIN,
                    v,
                    1,
                    at,
                    StreamSettled {
                        stream_id: job,
                        cumulative_amount: Octas(paid),
                        paid_now: Octas(now),
                        paid_total: Octas(paid),
                    },
                ));
                out.push(Envelope::settlement_confirmed(
                    settler,
                    at,
                    SettlementConfirmed {
                        batch_id: batch,
                        transaction_hash: format!("0x{job:x}{s:x}"),
                        version: v,
                        gas_used: 32,
                        paid: vec![SettledItem {
                            stream_id: job,
                            paid_now: Octas(now),
                            paid_total: Octas(paid),
                        }],
                    },
                ));
            }
        }
        let end = t0_ms + (seconds + 1) * 1_000;
        // `report_outcome`: the status change and the evidence commitment, one transaction.
        let reported = next_version();
        out.push(Envelope::chain(
            CHAIN,
            reported,
            0,
            end,
            JobStatusChanged {
                job_id: job,
                from: JobStatus::Running,
                to: JobStatus::Completed,
                actor: p,
                exit_code: Some(0),
                reason: String::new(),
                output_url: None,
                output_cid: None,
            },
        ));
        out.push(Envelope::chain(
            CHAIN,
            reported,
            1,
            end,
            JobEvidenceCommitted {
                job_id: job,
                provider: p,
                metering_head: prev,
                metered_seconds: seconds,
            },
        ));
        let v = next_version();
        let last = seconds * rate - paid;
        let refund = escrow - seconds * rate;
        out.push(Envelope::chain(
            CHAIN,
            v,
            0,
            end,
            EscrowReleased {
                job_id: job,
                provider: p,
                amount: Octas(last),
                total_released: Octas(seconds * rate),
            },
        ));
        out.push(Envelope::chain(
            CHAIN,
            v,
            1,
            end,
            EscrowRefunded {
                job_id: job,
                buyer: b,
                amount: Octas(refund),
            },
        ));
        out.push(Envelope::chain(
            CHAIN,
            v,
            2,
            end,
            StreamClosed {
                stream_id: job,
                final_payment: Octas(last),
                paid_total: Octas(seconds * rate),
                refunded: Octas(refund),
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use computestream_domain::evidence::verify;

    #[test]
    fn every_job_of_the_sample_has_evidence_that_verifies() {
        let history = marketplace(12, 30, 1_795_000_020_000);
        let package = AccountAddress::new([0xc5; 32]);
        for job in 1..=12 {
            let bundle = crate::evidence::gather(job, CHAIN, package, 0, &history)
                .unwrap_or_else(|e| panic!("job {job}: {e}"));
            let verdict = verify(&bundle);
            assert!(verdict.holds(), "job {job}: {:?}", verdict.findings);
            assert_eq!(verdict.signed_seconds, 30);
        }
    }
}
