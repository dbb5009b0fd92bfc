//! A coherent event history of every kind, written to the real broker, and helpers to
//! project it and to compare read models.
#![allow(dead_code)]

use computestream_domain::{
    AccountAddress, JobStatus, MeteringRecord, Octas, RecordHash, SigningKey, Voucher,
    METERING_GENESIS_HASH,
};
use computestream_eventlog::KafkaSettings;
use computestream_schemas::events::*;
use computestream_schemas::{Envelope, Event};
use sqlx::PgPool;

pub const CHAIN: u8 = 4;
pub const T0: u64 = 1_795_000_020_000; // ms; a minute boundary
pub const TICKS: u64 = 90;

pub fn pkg() -> AccountAddress {
    AccountAddress::new([0xc5; 32])
}

pub fn provider() -> AccountAddress {
    AccountAddress::new([0x0a; 32])
}

pub fn provider2() -> AccountAddress {
    AccountAddress::new([0x0b; 32])
}

pub fn buyer() -> AccountAddress {
    AccountAddress::new([0x0c; 32])
}

fn chain(version: u64, idx: u32, at: u64, e: impl Into<Event>) -> Envelope {
    Envelope::chain(CHAIN, version, idx, at, e)
}

/// The history: two providers (one leaves), one job that runs 90 seconds with metering,
/// vouchers and heartbeats, one confirmed and one failed settlement batch, an on-chain
/// settlement, a rejected voucher, completion, close with refund; plus a re-indexed
/// duplicate of an old price update (which must not overwrite the newer price).
pub fn history() -> Vec<Envelope> {
    let p = provider();
    let b = buyer();
    let pkey = SigningKey::from_seed([0x0a; 32]);
    let bkey = SigningKey::from_seed([0x0c; 32]);
    let mut out = vec![
        chain(
            10,
            0,
            T0,
            ProviderRegistered {
                provider: p,
                gpu_type: "H100".into(),
                vram_gb: 80,
                price_per_second: Octas(1_000),
                stake: Octas(200_000_000),
            },
        ),
        chain(
            10,
            1,
            T0,
            ProviderStaked {
                provider: p,
                amount: Octas(200_000_000),
                total_stake: Octas(200_000_000),
            },
        ),
        chain(
            11,
            0,
            T0,
            ProviderPriceUpdated {
                provider: p,
                price_per_second: Octas(1_500),
            },
        ),
        chain(
            12,
            0,
            T0,
            ProviderAvailabilityUpdated {
                provider: p,
                is_active: false,
            },
        ),
        chain(
            13,
            0,
            T0,
            ProviderAvailabilityUpdated {
                provider: p,
                is_active: true,
            },
        ),
        chain(
            14,
            0,
            T0,
            ProviderPriceUpdated {
                provider: p,
                price_per_second: Octas(1_000),
            },
        ),
        chain(
            15,
            0,
            T0,
            ProviderRegistered {
                provider: provider2(),
                gpu_type: "A100".into(),
                vram_gb: 40,
                price_per_second: Octas(500),
                stake: Octas(100_000_000),
            },
        ),
        chain(
            16,
            0,
            T0,
            ProviderUnstaked {
                provider: provider2(),
                amount: Octas(100_000_000),
            },
        ),
        chain(
            20,
            0,
            T0,
            JobCreated {
                job_id: 1,
                buyer: b,
                provider: p,
                docker_image: "img".into(),
                // u64::MAX: the read model keeps the chain's values exactly (no clamp at i64).
                max_duration_secs: u64::MAX,
                escrow_amount: Octas(100_000),
                price_per_second: Octas(1_000),
            },
        ),
        chain(
            20,
            1,
            T0,
            EscrowCoinMoved {
                job_id: 1,
                account: b,
                direction: CoinDirection::Withdraw,
                amount: Octas(100_000),
                coin_type: "0x1::aptos_coin::AptosCoin".into(),
            },
        ),
        chain(
            20,
            2,
            T0,
            EscrowDeposited {
                job_id: 1,
                buyer: b,
                amount: Octas(100_000),
                total_deposited: Octas(100_000),
            },
        ),
        chain(
            20,
            3,
            T0,
            StreamOpened {
                stream_id: 1,
                buyer: b,
                provider: p,
                buyer_public_key: bkey.public_key(),
                rate_per_second: Octas(1_000),
                escrow: Octas(100_000),
            },
        ),
        chain(
            21,
            0,
            T0 + 500,
            JobStatusChanged {
                job_id: 1,
                from: JobStatus::Pending,
                to: JobStatus::Running,
                actor: p,
                exit_code: None,
                reason: String::new(),
                output_url: None,
                output_cid: None,
            },
        ),
        // A re-indexed duplicate of version 11 (operators ran index --from-version).
        chain(
            11,
            0,
            T0,
            ProviderPriceUpdated {
                provider: p,
                price_per_second: Octas(1_500),
            },
        ),
    ];
    let mut prev: RecordHash = METERING_GENESIS_HASH;
    for s in 1..=TICKS {
        let r = MeteringRecord {
            chain_id: CHAIN,
            package: pkg(),
            stream_id: 1,
            provider: p,
            second: s,
            prev_hash: prev,
            observed_at_ms: T0 + s * 1_000,
            cpu_usage_micros: 500_000,
            memory_bytes: 1 << 20,
            gpu: None,
        };
        prev = r.hash();
        out.push(Envelope::metering_tick(MeteringTick {
            record: r.sign(&pkey),
        }));
        if s % 10 == 0 {
            let v = Voucher {
                chain_id: CHAIN,
                package: pkg(),
                stream_id: 1,
                cumulative_amount: Octas(s * 1_000),
            }
            .sign(&bkey);
            out.push(Envelope::voucher(
                p,
                T0 + s * 1_000,
                VoucherReceived {
                    voucher: v,
                    second: s,
                    commitment_id: format!("c{s}"),
                },
            ));
        }
        if s % 30 == 0 {
            out.push(Envelope::heartbeat(ProviderHeartbeat {
                provider: p,
                at_ms: T0 + s * 1_000,
                available: true,
                running_jobs: 1,
                endpoint: Some(format!("http://provider.example:{}", 8000 + s)),
            }));
        }
    }
    let settler = AccountAddress::new([0x0d; 32]);
    out.extend([
        Envelope::settlement_submitted(
            T0 + 31_000,
            SettlementSubmitted {
                batch_id: "b1".into(),
                settler,
                sequence_number: 0,
                transaction_hash: "0xaa".into(),
                items: vec![SettlementItem {
                    stream_id: 1,
                    cumulative_amount: Octas(30_000),
                }],
                closes: vec![],
            },
        ),
        chain(
            30,
            0,
            T0 + 32_000,
            EscrowCoinMoved {
                job_id: 1,
                account: p,
                direction: CoinDirection::Deposit,
                amount: Octas(30_000),
                coin_type: "0x1::aptos_coin::AptosCoin".into(),
            },
        ),
        chain(
            30,
            1,
            T0 + 32_000,
            EscrowReleased {
                job_id: 1,
                provider: p,
                amount: Octas(30_000),
                total_released: Octas(30_000),
            },
        ),
        chain(
            30,
            2,
            T0 + 32_000,
            StreamSettled {
                stream_id: 1,
                cumulative_amount: Octas(30_000),
                paid_now: Octas(30_000),
                paid_total: Octas(30_000),
            },
        ),
        chain(
            30,
            3,
            T0 + 32_000,
            VoucherRejected {
                stream_id: 1,
                cumulative_amount: Octas(99_000),
                reason: 3,
            },
        ),
        Envelope::settlement_confirmed(
            settler,
            T0 + 33_000,
            SettlementConfirmed {
                batch_id: "b1".into(),
                transaction_hash: "0xaa".into(),
                version: 30,
                gas_used: 32,
                paid: vec![SettledItem {
                    stream_id: 1,
                    paid_now: Octas(30_000),
                    paid_total: Octas(30_000),
                }],
            },
        ),
        Envelope::settlement_submitted(
            T0 + 61_000,
            SettlementSubmitted {
                batch_id: "b2".into(),
                settler,
                sequence_number: 1,
                transaction_hash: "0xbb".into(),
                items: vec![SettlementItem {
                    stream_id: 1,
                    cumulative_amount: Octas(60_000),
                }],
                closes: vec![],
            },
        ),
        Envelope::settlement_failed(
            settler,
            T0 + 62_000,
            SettlementFailed {
                batch_id: "b2".into(),
                transaction_hash: Some("0xbb".into()),
                reason: "node unavailable".into(),
                retryable: true,
            },
        ),
        chain(
            40,
            0,
            T0 + 91_000,
            JobStatusChanged {
                job_id: 1,
                from: JobStatus::Running,
                to: JobStatus::Completed,
                actor: p,
                exit_code: Some(u64::MAX),
                reason: String::new(),
                output_url: Some("file:///o/1".into()),
                output_cid: Some("bafkrei".into()),
            },
        ),
        chain(
            41,
            0,
            T0 + 92_000,
            EscrowReleased {
                job_id: 1,
                provider: p,
                amount: Octas(60_000),
                total_released: Octas(90_000),
            },
        ),
        chain(
            41,
            1,
            T0 + 92_000,
            EscrowRefunded {
                job_id: 1,
                buyer: b,
                amount: Octas(10_000),
            },
        ),
        chain(
            41,
            2,
            T0 + 92_000,
            StreamClosed {
                stream_id: 1,
                final_payment: Octas(60_000),
                paid_total: Octas(90_000),
                refunded: Octas(10_000),
            },
        ),
    ]);
    out
}

pub async fn publish(kafka: &KafkaSettings, events: &[Envelope]) {
    computestream_testkit::publish(kafka, events).await;
}

pub async fn dump(pool: &PgPool) -> Vec<(String, Vec<String>)> {
    computestream_projector::replay::table_contents(pool)
        .await
        .expect("dump")
}

/// The SQL blocks of docs/ANALYTICS.md, in order, with their fence's info string: `sql`
/// (analysts, both backends), `sql timescale` (analysts, TimescaleDB only), `sql timescale
/// operator` (the schema's owner changing policies, TimescaleDB only).
pub fn doc_sql_blocks() -> Vec<(String, String)> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/ANALYTICS.md"))
        .expect("docs/ANALYTICS.md");
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in doc.lines() {
        let trimmed = line.trim();
        match &mut current {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    if info == "sql" || info.starts_with("sql ") {
                        current = Some((info.to_owned(), String::new()));
                    }
                }
            }
            Some(_) if trimmed == "```" => out.extend(current.take()),
            Some((_, sql)) => {
                sql.push_str(line);
                sql.push('\n');
            }
        }
    }
    out
}

/// The analysts' SQL blocks of docs/ANALYTICS.md, in order: (`true` for a block marked
/// `sql timescale`, which runs on TimescaleDB only; the SQL).
pub fn analyst_examples() -> Vec<(bool, String)> {
    doc_sql_blocks()
        .into_iter()
        .filter_map(|(info, sql)| match info.as_str() {
            "sql" => Some((false, sql)),
            "sql timescale" => Some((true, sql)),
            _ => None,
        })
        .collect()
}

/// The queries of the analysts' Grafana dashboard
/// (helm/computestream/dashboards/computestream-analytics.json), with Grafana's
/// `$__timeFilter(column)` macro replaced by "any time".
pub fn dashboard_queries() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../helm/computestream/dashboards/computestream-analytics.json"
    );
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read the dashboard"))
            .expect("the dashboard is JSON");
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().expect("targets") {
            let mut sql = target["rawSql"].as_str().expect("rawSql").to_owned();
            while let Some(start) = sql.find("$__timeFilter(") {
                let end = start + sql[start..].find(')').expect("closing parenthesis");
                let column = sql[start + "$__timeFilter(".len()..end].to_owned();
                sql.replace_range(
                    start..=end,
                    &format!("{column} BETWEEN TIMESTAMPTZ 'epoch' AND TIMESTAMPTZ '2100-01-01 00:00:00+00'"),
                );
            }
            assert!(!sql.contains("$__"), "a Grafana macro left in:\n{sql}");
            out.push(sql);
        }
    }
    out
}

/// Runs each query on one connection of `pool` as the read-only role
/// `computestream_analyst`, and checks that the role cannot write. Returns each query's
/// rows as text, sorted.
pub async fn run_as_analyst(pool: &PgPool, sqls: &[String]) -> Vec<Vec<String>> {
    let user: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(pool)
        .await
        .expect("user");
    sqlx::query(&format!("GRANT computestream_analyst TO {user}"))
        .execute(pool)
        .await
        .expect("grant");
    let mut conn = pool.acquire().await.expect("conn");
    sqlx::query("SET ROLE computestream_analyst")
        .execute(&mut *conn)
        .await
        .expect("set role");
    let mut out = Vec::new();
    for sql in sqls {
        let body = sql.trim().trim_end_matches(';');
        let mut rows: Vec<String> = sqlx::query_scalar(&format!("SELECT q::text FROM ({body}) q"))
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{sql}"));
        rows.sort();
        out.push(rows);
    }
    let write = sqlx::query("DELETE FROM jobs").execute(&mut *conn).await;
    assert!(write.is_err(), "the analyst role must not write");
    sqlx::query("RESET ROLE")
        .execute(&mut *conn)
        .await
        .expect("reset");
    out
}
