//! The envelope's wire form: round trips for every kind, upcasting, and refusals.

use computestream_domain::{
    AccountAddress, JobStatus, MeteringRecord, Octas, SigningKey, Voucher, METERING_GENESIS_HASH,
};
use computestream_schemas::events::*;
use computestream_schemas::{topics, Envelope, EventKind, SchemaError};
use proptest::prelude::*;

fn addr(b: u8) -> AccountAddress {
    AccountAddress::new([b; 32])
}

/// One envelope of every kind, built the way its producer builds it.
fn one_of_each() -> Vec<Envelope> {
    let key = SigningKey::from_seed([5; 32]);
    let record = MeteringRecord {
        chain_id: 4,
        package: addr(0xcc),
        stream_id: 7,
        provider: addr(2),
        second: 1,
        prev_hash: METERING_GENESIS_HASH,
        observed_at_ms: 1_000,
        cpu_usage_micros: 10,
        memory_bytes: 20,
        gpu: None,
    }
    .sign(&key);
    let voucher = Voucher {
        chain_id: 4,
        package: addr(0xcc),
        stream_id: 7,
        cumulative_amount: Octas(500),
    }
    .sign(&key);
    let chain = |i: u32, e: Event| Envelope::chain(4, 100, i, 1_700_000_000_000, e);
    let v = vec![
        chain(
            0,
            ProviderRegistered {
                provider: addr(2),
                gpu_type: "A100".into(),
                vram_gb: 80,
                price_per_second: Octas(100),
                stake: Octas(1_000),
            }
            .into(),
        ),
        chain(
            1,
            ProviderPriceUpdated {
                provider: addr(2),
                price_per_second: Octas(120),
            }
            .into(),
        ),
        chain(
            2,
            ProviderAvailabilityUpdated {
                provider: addr(2),
                is_active: false,
            }
            .into(),
        ),
        chain(
            3,
            ProviderStaked {
                provider: addr(2),
                amount: Octas(5),
                total_stake: Octas(1_005),
            }
            .into(),
        ),
        chain(
            4,
            ProviderUnstaked {
                provider: addr(2),
                amount: Octas(1_005),
            }
            .into(),
        ),
        chain(
            5,
            JobCreated {
                job_id: 7,
                buyer: addr(3),
                provider: addr(2),
                docker_image: "img".into(),
                max_duration_secs: 60,
                escrow_amount: Octas(6_000),
                price_per_second: Octas(100),
            }
            .into(),
        ),
        chain(
            6,
            JobStatusChanged {
                job_id: 7,
                from: JobStatus::Pending,
                to: JobStatus::Running,
                actor: addr(2),
                exit_code: None,
                reason: String::new(),
                output_url: None,
                output_cid: None,
            }
            .into(),
        ),
        chain(
            7,
            EscrowDeposited {
                job_id: 7,
                buyer: addr(3),
                amount: Octas(6_000),
                total_deposited: Octas(6_000),
            }
            .into(),
        ),
        chain(
            8,
            EscrowReleased {
                job_id: 7,
                provider: addr(2),
                amount: Octas(500),
                total_released: Octas(500),
            }
            .into(),
        ),
        chain(
            9,
            EscrowRefunded {
                job_id: 7,
                buyer: addr(3),
                amount: Octas(5_500),
            }
            .into(),
        ),
        chain(
            10,
            StreamOpened {
                stream_id: 7,
                buyer: addr(3),
                provider: addr(2),
                buyer_public_key: key.public_key(),
                rate_per_second: Octas(100),
                escrow: Octas(6_000),
            }
            .into(),
        ),
        chain(
            11,
            StreamSettled {
                stream_id: 7,
                cumulative_amount: Octas(500),
                paid_now: Octas(500),
                paid_total: Octas(500),
            }
            .into(),
        ),
        chain(
            15,
            StreamClosed {
                stream_id: 7,
                final_payment: Octas(0),
                paid_total: Octas(500),
                refunded: Octas(5_500),
            }
            .into(),
        ),
        chain(
            13,
            VoucherRejected {
                stream_id: 7,
                cumulative_amount: Octas(9),
                reason: 3,
            }
            .into(),
        ),
        chain(
            14,
            EscrowCoinMoved {
                job_id: 7,
                account: addr(3),
                direction: CoinDirection::Withdraw,
                amount: Octas(6_000),
                coin_type: "0x1::aptos_coin::AptosCoin".into(),
            }
            .into(),
        ),
        chain(
            15,
            JobEvidenceCommitted {
                job_id: 7,
                provider: addr(2),
                metering_head: record.record.hash(),
                metered_seconds: 1,
            }
            .into(),
        ),
        Envelope::metering_tick(MeteringTick { record }),
        Envelope::voucher(
            addr(2),
            1_001,
            VoucherReceived {
                voucher,
                second: 5,
                commitment_id: "c-1".into(),
            },
        ),
        Envelope::heartbeat(ProviderHeartbeat {
            provider: addr(2),
            at_ms: 5_000,
            available: true,
            running_jobs: 1,
            endpoint: Some("http://127.0.0.1:8090".into()),
        }),
        Envelope::settlement_submitted(
            9,
            SettlementSubmitted {
                batch_id: "b1".into(),
                settler: addr(9),
                sequence_number: 3,
                transaction_hash: "0xab".into(),
                items: vec![SettlementItem {
                    stream_id: 7,
                    cumulative_amount: Octas(500),
                }],
                closes: vec![],
            },
        ),
        Envelope::settlement_confirmed(
            addr(9),
            10,
            SettlementConfirmed {
                batch_id: "b1".into(),
                transaction_hash: "0xab".into(),
                version: 120,
                gas_used: 40,
                paid: vec![SettledItem {
                    stream_id: 7,
                    paid_now: Octas(500),
                    paid_total: Octas(500),
                }],
            },
        ),
        Envelope::settlement_failed(
            addr(9),
            11,
            SettlementFailed {
                batch_id: "b2".into(),
                transaction_hash: None,
                reason: "node down".into(),
                retryable: true,
            },
        ),
    ];
    v
}

#[test]
fn every_kind_round_trips_and_has_a_topic_and_key() {
    let all = one_of_each();
    let kinds: std::collections::BTreeSet<_> = all.iter().map(Envelope::kind).collect();
    assert_eq!(
        kinds.len(),
        EventKind::ALL.len(),
        "the fixture covers every kind"
    );
    for env in all {
        let back = Envelope::from_json(&env.to_json()).expect("round trip");
        assert_eq!(back, env);
        let topic = topics::topic_for(env.kind());
        assert_ne!(topic.name, topics::DEAD_LETTER.name);
        assert!(
            env.aggregate_key.starts_with("job:")
                || env.aggregate_key.starts_with("provider:")
                || env.aggregate_key.starts_with("batch:")
        );
    }
}

#[test]
fn job_stream_and_escrow_events_share_a_key() {
    let all = one_of_each();
    let job_keys: std::collections::BTreeSet<_> = all
        .iter()
        .filter(|e| {
            matches!(
                e.kind(),
                EventKind::JobCreated
                    | EventKind::EscrowDeposited
                    | EventKind::StreamOpened
                    | EventKind::MeteringTick
                    | EventKind::VoucherReceived
            )
        })
        .map(|e| e.aggregate_key.clone())
        .collect();
    assert_eq!(job_keys.len(), 1);
}

#[test]
fn heartbeat_v1_is_upcast() {
    let v1 = br#"{"id":"heartbeat:0x0202020202020202020202020202020202020202020202020202020202020202:5","kind":"provider_heartbeat","schema_version":1,
        "source":"executor:0x0202020202020202020202020202020202020202020202020202020202020202","chain_version":null,"stream_second":null,
        "occurred_at_ms":5000,"aggregate_key":"provider:0x0202020202020202020202020202020202020202020202020202020202020202",
        "payload":{"provider":"0x0202020202020202020202020202020202020202020202020202020202020202","at_ms":5000,"available":true}}"#;
    let env = Envelope::from_json(v1).expect("v1 heartbeat is readable");
    assert_eq!(env.schema_version, 1);
    match env.event {
        Event::ProviderHeartbeat(h) => {
            assert_eq!(h.running_jobs, 0);
            assert_eq!(h.endpoint, None);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn heartbeat_v2_is_upcast_without_an_endpoint() {
    let v2 = br#"{"id":"heartbeat:0x0202020202020202020202020202020202020202020202020202020202020202:5","kind":"provider_heartbeat","schema_version":2,
        "source":"executor:0x0202020202020202020202020202020202020202020202020202020202020202","chain_version":null,"stream_second":null,
        "occurred_at_ms":5000,"aggregate_key":"provider:0x0202020202020202020202020202020202020202020202020202020202020202",
        "payload":{"provider":"0x0202020202020202020202020202020202020202020202020202020202020202","at_ms":5000,"available":true,"running_jobs":3}}"#;
    let env = Envelope::from_json(v2).expect("v2 heartbeat is readable");
    match env.event {
        Event::ProviderHeartbeat(h) => {
            assert_eq!(h.running_jobs, 3);
            assert_eq!(h.endpoint, None);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn refusals_are_typed() {
    let good = one_of_each().remove(0).to_json();
    let mut v: serde_json::Value = serde_json::from_slice(&good).expect("json");
    v["kind"] = "provider_exploded".into();
    assert!(matches!(
        Envelope::from_json(v.to_string().as_bytes()),
        Err(SchemaError::UnknownKind(_))
    ));

    let mut v: serde_json::Value = serde_json::from_slice(&good).expect("json");
    v["schema_version"] = 9.into();
    assert!(matches!(
        Envelope::from_json(v.to_string().as_bytes()),
        Err(SchemaError::FutureVersion { .. })
    ));

    let mut v: serde_json::Value = serde_json::from_slice(&good).expect("json");
    v["schema_version"] = 0.into();
    assert!(matches!(
        Envelope::from_json(v.to_string().as_bytes()),
        Err(SchemaError::NoUpcaster { .. })
    ));

    let mut v: serde_json::Value = serde_json::from_slice(&good).expect("json");
    v["payload"]["price_per_second"] = 100.into();
    assert!(
        matches!(
            Envelope::from_json(v.to_string().as_bytes()),
            Err(SchemaError::BadPayload { .. })
        ),
        "amounts must be strings"
    );

    assert!(matches!(
        Envelope::from_json(b"{\"id\":"),
        Err(SchemaError::Malformed(_))
    ));
    assert!(matches!(
        Envelope::from_json(b"\xff\xfe"),
        Err(SchemaError::Malformed(_))
    ));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Envelope::from_json(&bytes);
    }

    #[test]
    fn provider_events_round_trip(price in any::<u64>(), stake in any::<u64>(), vram in any::<u32>(), gpu in ".{0,40}", version in any::<u64>(), idx in any::<u32>()) {
        let env = Envelope::chain(250, version, idx, 0, ProviderRegistered {
            provider: addr(1), gpu_type: gpu, vram_gb: vram, price_per_second: Octas(price), stake: Octas(stake),
        });
        prop_assert_eq!(Envelope::from_json(&env.to_json()).expect("round trip"), env);
    }
}
