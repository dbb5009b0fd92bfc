//! Kill -9 `computestream project` at random moments, many times, while it projects a few
//! thousand events; then let it finish and compare every read-model table with a clean
//! run's: identical.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use computestream_projector::{replay, store, Projector, ProjectorConfig};
use computestream_runtime::{Health, Shutdown};
use computestream_testkit::{history, kafka, publish, TestDatabase};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_changes_nothing() {
    let db = TestDatabase::fresh().await;
    let kafka = kafka();
    let events = history::marketplace(40, 300, 1_795_000_020_000);
    publish(&kafka, &events).await;
    let config = ProjectorConfig {
        batch_max: 50,
        linger_ms: 5,
        ..ProjectorConfig::default()
    };
    let (clean, records) = replay::build(&db.url, &kafka, "clean", &config)
        .await
        .expect("clean run");

    let mut x = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64
        | 1;
    let mut kills = 0;
    for _ in 0..25 {
        let mut child = computestream_testkit::service_command(
            env!("CARGO_BIN_EXE_computestream"),
            "project",
            &kafka,
        )
        .env("COMPUTESTREAM_DATABASE__URL", &db.url)
        .env("COMPUTESTREAM_PROJECTOR__SCHEMA", "chaos")
        .env("COMPUTESTREAM_PROJECTOR__BATCH_MAX", "50")
        .env("COMPUTESTREAM_PROJECTOR__LINGER_MS", "5")
        .spawn()
        .expect("spawn computestream project");
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        tokio::time::sleep(Duration::from_millis(60 + x % 250)).await;
        child.kill().expect("kill -9");
        child.wait().expect("reap");
        kills += 1;
        let progress = store::open(&db.url, "chaos", 1).await.map(|p| async move {
            let n: i64 = sqlx::query_scalar(
                "SELECT COALESCE(sum(next_offset), 0)::bigint FROM consumer_offsets",
            )
            .fetch_one(&p)
            .await
            .unwrap_or(0);
            p.close().await;
            n
        });
        if let Ok(f) = progress {
            let done = f.await;
            if done >= records {
                break;
            }
        }
    }
    // Finish in-process from wherever the kills left it.
    let pool = store::open(&db.url, "chaos", 4).await.expect("open");
    let projector = Projector {
        pool: pool.clone(),
        kafka: kafka.clone(),
        config: ProjectorConfig {
            schema: "chaos".into(),
            ..config
        },
        health: Health::new(),
    };
    projector
        .run(
            Shutdown::new(),
            Some(replay::log_ends(&kafka).await.expect("ends")),
        )
        .await
        .expect("finish");

    let a = replay::table_contents(&clean).await.expect("clean tables");
    let b = replay::table_contents(&pool).await.expect("chaos tables");
    let rows: usize = a.iter().map(|(_, r)| r.len()).sum();
    println!("kills: {kills}, records: {records}, rows: {rows}");
    assert!(records > 8_000);
    for ((ta, ra), (_, rb)) in a.iter().zip(&b) {
        assert_eq!(ra.len(), rb.len(), "{ta}: row count after {kills} kills");
        assert_eq!(ra, rb, "{ta}: contents after {kills} kills");
    }
    clean.close().await;
    pool.close().await;
    db.drop_now().await;
}
