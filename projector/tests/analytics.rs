//! Every portable SQL example of docs/ANALYTICS.md (and every query of the analysts'
//! dashboard) runs against a projected log on plain Postgres, as the read-only analyst role,
//! and that role cannot write. (TimescaleDB: `timescale.rs`.)

mod support;

use computestream_projector::{replay, ProjectorConfig};
use computestream_testkit::{history, kafka, publish, TestDatabase};
use support::{analyst_examples, dashboard_queries, run_as_analyst};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyst_examples_run_read_only() {
    let db = TestDatabase::fresh().await;
    let kafka = kafka();
    publish(&kafka, &history::marketplace(3, 150, 1_795_000_020_000)).await;
    let (pool, _) = replay::build(&db.url, &kafka, "analytics", &ProjectorConfig::default())
        .await
        .expect("project");
    let sqls: Vec<String> = analyst_examples()
        .into_iter()
        .filter(|(timescale_only, _)| !timescale_only)
        .map(|(_, sql)| sql)
        .collect();
    assert!(sqls.len() >= 8, "examples found: {}", sqls.len());
    for (sql, rows) in sqls.iter().zip(run_as_analyst(&pool, &sqls).await) {
        if !sql.contains("deposited <> released") {
            assert!(!rows.is_empty(), "no rows from:\n{sql}");
        } else {
            assert!(rows.is_empty(), "escrow conservation broken");
        }
    }
    let dashboard = dashboard_queries();
    assert!(
        dashboard.len() >= 5,
        "dashboard queries: {}",
        dashboard.len()
    );
    for (sql, rows) in dashboard
        .iter()
        .zip(run_as_analyst(&pool, &dashboard).await)
    {
        assert!(!rows.is_empty(), "no rows from the dashboard query:\n{sql}");
    }
    pool.close().await;
    db.drop_now().await;
}
