//! Every SQL example of docs/ANALYTICS.md runs against a projected log, as the read-only
//! analyst role, and that role cannot write.

use computestream_projector::{replay, ProjectorConfig};
use computestream_testkit::{history, kafka, publish, TestDatabase};

fn examples() -> Vec<String> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/ANALYTICS.md"))
        .expect("docs/ANALYTICS.md");
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```sql") => current = Some(String::new()),
            (Some(sql), "```") => {
                out.push(std::mem::take(sql));
                current = None;
            }
            (Some(sql), _) => {
                sql.push_str(line);
                sql.push('\n');
            }
            _ => {}
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyst_examples_run_read_only() {
    let db = TestDatabase::fresh().await;
    let kafka = kafka();
    publish(&kafka, &history::marketplace(3, 150, 1_795_000_020_000)).await;
    let (pool, _) = replay::build(&db.url, &kafka, "analytics", &ProjectorConfig::default())
        .await
        .expect("project");
    let sqls = examples();
    assert!(sqls.len() >= 6, "examples found: {}", sqls.len());
    let user: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&pool)
        .await
        .expect("user");
    sqlx::query(&format!("GRANT computestream_analyst TO {user}"))
        .execute(&pool)
        .await
        .expect("grant");
    let mut conn = pool.acquire().await.expect("conn");
    sqlx::query("SET ROLE computestream_analyst")
        .execute(&mut *conn)
        .await
        .expect("set role");
    for sql in &sqls {
        let rows = sqlx::query(sql)
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{sql}"));
        if !sql.contains("deposited <> released") {
            assert!(!rows.is_empty(), "no rows from:\n{sql}");
        } else {
            assert!(rows.is_empty(), "escrow conservation broken");
        }
    }
    let write = sqlx::query("DELETE FROM jobs").execute(&mut *conn).await;
    assert!(write.is_err(), "the analyst role must not write");
    sqlx::query("RESET ROLE")
        .execute(&mut *conn)
        .await
        .expect("reset");
    drop(conn);
    pool.close().await;
    db.drop_now().await;
}
