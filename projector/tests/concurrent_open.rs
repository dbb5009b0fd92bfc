//! Services that start together (the projector and gateway replicas) open the same fresh
//! schema at once: every one of them succeeds, and the schema is migrated once.

use computestream_projector::store;
use computestream_testkit::TestDatabase;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_services_open_a_fresh_schema_at_once() {
    let db = TestDatabase::fresh().await;
    let opens = (0..8).map(|_| {
        let url = db.url.clone();
        tokio::spawn(async move { store::open(&url, "together", 2).await })
    });
    for pool in futures::future::join_all(opens).await {
        let pool = pool.expect("join").expect("open");
        let tables: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'together' AND table_name = 'jobs'",
        )
        .fetch_one(&pool)
        .await
        .expect("tables");
        assert_eq!(tables, 1);
        pool.close().await;
    }
    db.drop_now().await;
}
