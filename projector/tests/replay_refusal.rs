//! Replay never serves less than it replaces (docs/OPERATIONS.md): against the real broker
//! and Postgres, a replay from a log that lost its records (here: another topic prefix, the
//! same as a broker restarted without durable storage) is refused, drops what it built and
//! leaves the live models serving; a short log (one partition cut) likewise; with the loss
//! accepted it proceeds. A rewind (`--from-timestamp`) to a log that ends below what was
//! applied is refused and moves nothing.

mod support;

use computestream_projector::{replay, store, ProjectorConfig, StoreError};
use computestream_testkit::{kafka, TestDatabase};
use support::*;

async fn count(pool: &sqlx::PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .expect("count")
}

async fn schemas_like(pool: &sqlx::PgPool, pattern: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE $1")
        .bind(pattern)
        .fetch_one(pool)
        .await
        .expect("schemas")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_and_rewind_refuse_a_log_that_holds_less_than_was_applied() {
    let db = TestDatabase::fresh().await;
    let full = kafka();
    publish(&full, &history()).await;
    let config = ProjectorConfig::default();
    let (live, _) = replay::build(&db.url, &full, "live", &config)
        .await
        .expect("project the log");
    let jobs = count(&live, "jobs").await;
    assert!(jobs > 0);
    let offsets_before: Vec<(String, i32, i64)> =
        sqlx::query_as("SELECT topic, partition, next_offset FROM consumer_offsets ORDER BY 1, 2")
            .fetch_all(&live)
            .await
            .expect("offsets");
    live.close().await;

    // An empty log (another prefix: what a broker restarted in memory looks like).
    let empty = kafka();
    publish(&empty, &[]).await;
    let refused = replay::replay(&db.url, &empty, "live", &config, false).await;
    let Err(StoreError::LogShort(missing)) = refused else {
        panic!("an empty log must be refused: {refused:?}");
    };
    assert!(
        missing.iter().any(|l| l.starts_with("jobs: ")),
        "{missing:?}"
    );
    assert!(missing.iter().any(|l| l.contains("offset")), "{missing:?}");
    let message = StoreError::LogShort(missing).to_string();
    assert!(message.contains("--accept-loss"), "{message}");
    let admin = store::open(&db.url, "live", 2).await.expect("open live");
    assert_eq!(
        count(&admin, "jobs").await,
        jobs,
        "the live models still serve"
    );
    assert_eq!(
        schemas_like(&admin, "live_replay_%").await,
        0,
        "the refused rebuild is dropped"
    );

    // A rewind to a log that ends below what was applied moves nothing.
    let rewound = replay::rewind_to_time(&admin, &empty, 0, false).await;
    assert!(
        matches!(rewound, Err(StoreError::LogShort(_))),
        "{rewound:?}"
    );
    let offsets_after: Vec<(String, i32, i64)> =
        sqlx::query_as("SELECT topic, partition, next_offset FROM consumer_offsets ORDER BY 1, 2")
            .fetch_all(&admin)
            .await
            .expect("offsets");
    assert_eq!(
        offsets_after, offsets_before,
        "a refused rewind moves nothing"
    );

    // A short log: the same history but its last chain events missing.
    let short = kafka();
    let mut events = history();
    let last_chain = events
        .iter()
        .rposition(|e| e.id.chain_position().is_some())
        .expect("a chain event");
    events.remove(last_chain);
    publish(&short, &events).await;
    admin.close().await;
    // The live models were projected from `full`: point their offsets at `short`'s topics
    // (an operator who replays against a cut log under the same names).
    let live = store::open(&db.url, "live", 2).await.expect("open live");
    for (topic, partition, next) in &offsets_before {
        let renamed = topic.replacen(&full.topic_prefix, &short.topic_prefix, 1);
        sqlx::query("UPDATE consumer_offsets SET topic = $1 WHERE topic = $2 AND partition = $3 AND next_offset = $4")
            .bind(&renamed)
            .bind(topic)
            .bind(partition)
            .bind(next)
            .execute(&live)
            .await
            .expect("rename");
    }
    live.close().await;
    let refused = replay::replay(&db.url, &short, "live", &config, false).await;
    let Err(StoreError::LogShort(missing)) = refused else {
        panic!("a short log must be refused: {refused:?}");
    };
    let chain_topic = short.topic(computestream_schemas::topics::CHAIN_EVENTS.name);
    assert!(
        missing.iter().any(|l| l.starts_with(&chain_topic)),
        "the cut partition is named: {missing:?}"
    );

    // Accepted: it proceeds (the operator's explicit choice).
    let report = replay::replay(&db.url, &empty, "live", &config, true)
        .await
        .expect("an accepted loss proceeds");
    assert!(report.retired.is_some());
    let swapped = store::open(&db.url, "live", 2).await.expect("open live");
    assert_eq!(count(&swapped, "jobs").await, 0);
    swapped.close().await;
    db.drop_now().await;
}
