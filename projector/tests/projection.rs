//! The projector against the real broker and Postgres: every event kind lands in the read
//! models with the right values; an older duplicate never overwrites a newer fact; a replay
//! of the whole log into a fresh schema reproduces every table exactly; partitions are
//! maintained; a poison record is dead-lettered without blocking its partition.

mod support;

use computestream_projector::{replay, store, ProjectorConfig};
use computestream_testkit::{kafka, TestDatabase};
use support::*;

async fn one(pool: &sqlx::PgPool, sql: &str) -> String {
    sqlx::query_scalar::<_, String>(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_lands_and_replay_reproduces_every_table() {
    let db = TestDatabase::fresh().await;
    let kafka = kafka();
    publish(&kafka, &history()).await;
    // A poison record in the middle of a partition.
    let producer =
        computestream_eventlog::EnvelopeProducer::new(&kafka, "poison").expect("producer");
    let chain_topic = kafka.topic(computestream_schemas::topics::CHAIN_EVENTS.name);
    producer
        .send_raw(&chain_topic, 0, "junk", b"{\"not\": \"an envelope\"}")
        .await
        .expect("poison");

    let config = ProjectorConfig {
        linger_ms: 20,
        ..ProjectorConfig::default()
    };
    let (live, _) = replay::build(&db.url, &kafka, "live", &config)
        .await
        .expect("project");
    let p = provider().to_long_string();

    assert_eq!(one(&live, &format!("SELECT price_per_second::text || ' ' || is_active::text || ' ' || stake::text FROM providers WHERE address = '{p}'")).await, "1000 true 200000000", "the re-indexed old price did not win");
    assert_eq!(one(&live, &format!("SELECT is_active::text || ' ' || stake::text || ' ' || (unstaked_at IS NOT NULL)::text FROM providers WHERE address = '{}'", provider2().to_long_string())).await, "false 0 true");
    assert!(
        one(
            &live,
            &format!("SELECT last_heartbeat_at::text FROM providers WHERE address = '{p}'")
        )
        .await
        .len()
            > 10
    );
    assert_eq!(one(&live, "SELECT status || ' ' || exit_code::text || ' ' || max_duration_secs::text || ' ' || output_cid || ' ' || (started_at IS NOT NULL AND ended_at IS NOT NULL)::text FROM jobs WHERE job_id = 1").await, "completed 18446744073709551615 18446744073709551615 bafkrei true", "u64 values kept exactly");
    assert_eq!(one(&live, "SELECT deposited::text || ' ' || released::text || ' ' || refunded::text || ' ' || locked::text FROM escrows WHERE job_id = 1").await, "100000 90000 10000 0");
    assert_eq!(
        one(&live, "SELECT concat_ws(' ', attested_seconds, vouchered, settled, refunded, status, accrued, remaining) FROM payment_streams WHERE stream_id = 1").await,
        "90 90000 90000 10000 closed 90000 0"
    );
    assert_eq!(
        one(&live, "SELECT count(*)::text FROM payment_ticks").await,
        TICKS.to_string()
    );
    assert_eq!(one(&live, "SELECT count(*)::text FROM vouchers").await, "9");
    assert_eq!(
        one(&live, "SELECT count(*)::text FROM provider_heartbeats").await,
        "3"
    );
    assert_eq!(
        one(
            &live,
            "SELECT count(*)::text || ' ' || max(paid_total)::text FROM stream_settlements"
        )
        .await,
        "1 30000"
    );
    assert_eq!(
        one(&live, "SELECT reason::text FROM voucher_rejections").await,
        "3"
    );
    assert_eq!(
        one(&live, "SELECT count(*)::text FROM escrow_coin_movements").await,
        "2"
    );
    assert_eq!(
        one(
            &live,
            "SELECT string_agg(batch_id || ':' || status, ',' ORDER BY batch_id) FROM settlements"
        )
        .await,
        "b1:confirmed,b2:failed"
    );
    assert_eq!(
        one(
            &live,
            "SELECT paid_now::text FROM settlement_items WHERE batch_id = 'b1'"
        )
        .await,
        "30000"
    );
    // 90 seconds from T0+1s: 59 s in the first minute, 31 in the second.
    assert_eq!(one(&live, "SELECT string_agg(seconds_served::text || '/' || earnings::text, ',' ORDER BY minute) FROM job_usage_minute").await, "59/59000,31/31000");
    assert_eq!(one(&live, "SELECT string_agg(utilization_bps::text, ',' ORDER BY minute) FROM provider_earnings_minute").await, "9833,5166");
    assert_eq!(one(&live, &format!("SELECT jobs_completed::text || ' ' || reputation_bps::text FROM provider_reputation WHERE address = '{p}'")).await.split(' ').next(), Some("1"));

    // The poison record was dead-lettered with its position, not dropped, not blocking.
    let dead = computestream_testkit::read_topic(
        &kafka,
        computestream_schemas::topics::DEAD_LETTER.name,
        1,
    )
    .await;
    assert!(
        dead.iter().any(|r| {
            let body = String::from_utf8_lossy(&r.payload);
            body.contains("an envelope") && body.contains("\"source\":\"projector\"")
        }),
        "poison record in the dead-letter topic"
    );

    // The whole log again into a fresh schema: identical tables.
    let (fresh, _) = replay::build(&db.url, &kafka, "fresh", &config)
        .await
        .expect("replay");
    assert_eq!(dump(&fresh).await, dump(&live).await);

    // Replay swaps atomically: the live schema is the rebuilt one, the old kept.
    live.close().await;
    fresh.close().await;
    let report = replay::replay(&db.url, &kafka, "live", &config, false)
        .await
        .expect("replay swap");
    assert!(report.retired.is_some());
    let swapped = store::open(&db.url, "live", 2).await.expect("open live");
    let retired = store::open(&db.url, report.retired.as_deref().expect("retired"), 2)
        .await
        .expect("open retired");
    assert_eq!(dump(&swapped).await, dump(&retired).await);
    swapped.close().await;
    retired.close().await;
    db.drop_now().await;
}

#[tokio::test]
async fn partitions_are_created_ahead_and_used() {
    let db = TestDatabase::fresh().await;
    let pool = store::open(&db.url, "parts", 2).await.expect("open");
    let now = 1_795_000_000i64;
    let created = store::ensure_partitions(&pool, now, 1, 3)
        .await
        .expect("partitions");
    assert_eq!(created.len(), 2 * 5, "{created:?}");
    assert!(
        store::ensure_partitions(&pool, now, 1, 3)
            .await
            .expect("again")
            .is_empty(),
        "idempotent"
    );
    sqlx::query("INSERT INTO payment_ticks (stream_id, second, at, provider, cpu_usage_micros, memory_bytes) VALUES (1, 1, TIMESTAMPTZ 'epoch' + $1 * INTERVAL '1 second', 'p', 0, 0)")
        .bind(now)
        .execute(&pool)
        .await
        .expect("insert");
    let part: String = sqlx::query_scalar("SELECT tableoid::regclass::text FROM payment_ticks")
        .fetch_one(&pool)
        .await
        .expect("part");
    assert!(part.starts_with("payment_ticks_2026"), "{part}");
    // A day whose rows already fell into the default partition is left alone, not an error.
    sqlx::query("INSERT INTO payment_ticks (stream_id, second, at, provider, cpu_usage_micros, memory_bytes) VALUES (1, 2, TIMESTAMPTZ 'epoch' + $1 * INTERVAL '1 second', 'p', 0, 0)")
        .bind(now + 10 * 86_400)
        .execute(&pool)
        .await
        .expect("insert far ahead");
    store::ensure_partitions(&pool, now + 10 * 86_400, 0, 0)
        .await
        .expect("tolerates default rows");
    pool.close().await;
    db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_from_a_timestamp_restores_lost_rows() {
    let db = TestDatabase::fresh().await;
    let kafka = kafka();
    publish(&kafka, &history()).await;
    let config = ProjectorConfig {
        linger_ms: 20,
        ..ProjectorConfig::default()
    };
    let (clean, _) = replay::build(&db.url, &kafka, "clean", &config)
        .await
        .expect("clean");
    let (damaged, _) = replay::build(&db.url, &kafka, "damaged", &config)
        .await
        .expect("project");
    // Lose everything after T0 + 40 s (as a restored backup would), rollups included.
    for sql in [
        "DELETE FROM payment_ticks WHERE at >= TIMESTAMPTZ 'epoch' + 1795000060000 * INTERVAL '1 millisecond'",
        "DELETE FROM vouchers WHERE second > 40",
        "DELETE FROM provider_earnings_minute",
        "DELETE FROM job_usage_minute",
    ] {
        sqlx::query(sql).execute(&damaged).await.expect("damage");
    }
    assert_ne!(dump(&damaged).await, dump(&clean).await);
    let moved = replay::rewind_to_time(&damaged, &kafka, (T0 + 40_000) as i64, false)
        .await
        .expect("rewind");
    assert!(moved > 0);
    let kept: i64 =
        sqlx::query_scalar("SELECT COALESCE(sum(next_offset), 0)::bigint FROM consumer_offsets")
            .fetch_one(&damaged)
            .await
            .expect("offsets");
    assert!(
        kept > 0,
        "the rewind went to the records at the timestamp, not to the start"
    );
    let projector = computestream_projector::Projector {
        pool: damaged.clone(),
        kafka: kafka.clone(),
        config: ProjectorConfig {
            schema: "damaged".into(),
            ..config
        },
        health: computestream_runtime::Health::new(),
    };
    projector
        .run(
            computestream_runtime::Shutdown::new(),
            Some(replay::log_ends(&kafka).await.expect("ends")),
        )
        .await
        .expect("re-apply");
    assert_eq!(dump(&damaged).await, dump(&clean).await);
    clean.close().await;
    damaged.close().await;
    db.drop_now().await;
}

/// Facts that come on other topics than the chain's (heartbeats, metering ticks, vouchers)
/// can be projected before the chain event that creates their row (the provider's
/// registration, the stream's opening): they are folded in when the row is created, so the
/// tables equal an in-order projection's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_chain_facts_before_their_chain_row_are_folded_in() {
    let db = TestDatabase::fresh().await;
    let config = ProjectorConfig {
        linger_ms: 20,
        ..ProjectorConfig::default()
    };
    let in_order = kafka();
    publish(&in_order, &history()).await;
    let (clean, _) = replay::build(&db.url, &in_order, "in_order", &config)
        .await
        .expect("clean");

    let late = kafka();
    let (chain, off_chain): (Vec<_>, Vec<_>) = history()
        .into_iter()
        .partition(|e| e.chain_version.is_some());
    assert!(!chain.is_empty() && !off_chain.is_empty());
    let pool = store::open(&db.url, "late_chain", 2).await.expect("open");
    let projector = computestream_projector::Projector {
        pool: pool.clone(),
        kafka: late.clone(),
        config: ProjectorConfig {
            schema: "late_chain".into(),
            ..config
        },
        health: computestream_runtime::Health::new(),
    };
    for part in [off_chain, chain] {
        publish(&late, &part).await;
        projector
            .run(
                computestream_runtime::Shutdown::new(),
                Some(replay::log_ends(&late).await.expect("ends")),
            )
            .await
            .expect("project");
    }
    assert_eq!(dump(&pool).await, dump(&clean).await);
    clean.close().await;
    pool.close().await;
    db.drop_now().await;
}
