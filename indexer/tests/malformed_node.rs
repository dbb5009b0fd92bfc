//! A node that misbehaves: truncated JSON, wrong types, server errors, rate limits, a gap in
//! versions, a pruned ledger. Each gives a clear typed error (retryable or fatal), and the
//! indexer never writes a corrupted log.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use computestream_indexer::{
    progress, ChainSource, Indexer, IndexerConfig, IndexerError, RestSource, SourceError,
};
use computestream_runtime::{Health, Shutdown};
use computestream_schemas::topics;

#[derive(Clone)]
struct Fake {
    page: Arc<Mutex<(u16, String)>>,
    oldest: u64,
}

fn txn(version: u64) -> serde_json::Value {
    serde_json::json!({
        "version": version.to_string(), "hash": "", "state_change_hash": "", "event_root_hash": "",
        "state_checkpoint_hash": null, "gas_used": "0", "success": true, "vm_status": "Executed successfully",
        "accumulator_root_hash": "", "changes": [], "timestamp": "1000000", "type": "state_checkpoint_transaction"
    })
}

async fn ledger(State(f): State<Fake>) -> Response {
    let body = serde_json::json!({
        "chain_id": 4, "epoch": "1", "ledger_version": "10", "oldest_ledger_version": f.oldest.to_string(),
        "ledger_timestamp": "1000000", "node_role": "full_node", "oldest_block_height": "0", "block_height": "3"
    });
    (StatusCode::OK, body.to_string()).into_response()
}

async fn page(State(f): State<Fake>) -> Response {
    let (status, body) = f.page.lock().expect("lock").clone();
    let mut r = (StatusCode::from_u16(status).expect("status"), body).into_response();
    r.headers_mut()
        .insert("content-type", "application/json".parse().expect("ct"));
    if status == 429 {
        r.headers_mut()
            .insert("retry-after", "1".parse().expect("ra"));
    }
    r
}

async fn serve(fake: Fake) -> String {
    let app = Router::new()
        .route("/v1", get(ledger))
        .route("/v1/transactions", get(page))
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/v1")
}

#[tokio::test]
async fn each_bad_answer_is_a_typed_error() {
    let cell = Arc::new(Mutex::new((200u16, String::new())));
    let url = serve(Fake {
        page: cell.clone(),
        oldest: 0,
    })
    .await;
    let source = RestSource::new(&url, Duration::from_secs(5)).expect("source");
    let set = |status: u16, body: String| *cell.lock().expect("lock") = (status, body);

    let good = serde_json::Value::Array((5..8).map(txn).collect()).to_string();
    set(200, good.clone());
    assert_eq!(source.page(5, 3).await.expect("good page").len(), 3);

    set(200, good[..good.len() / 2].to_owned());
    assert!(
        matches!(source.page(5, 3).await, Err(SourceError::Malformed(_))),
        "truncated JSON"
    );

    let mut wrong = txn(5);
    wrong["version"] = serde_json::json!(5);
    set(200, serde_json::json!([wrong]).to_string());
    let e = source.page(5, 1).await.expect_err("wrong type");
    assert!(
        matches!(e, SourceError::Malformed(_)) && !e.is_retryable(),
        "{e}"
    );

    set(200, serde_json::json!([txn(5), txn(7)]).to_string());
    let e = source.page(5, 2).await.expect_err("gap");
    assert!(e.to_string().contains("gap"), "{e}");

    set(200, serde_json::json!([txn(6)]).to_string());
    assert!(
        matches!(source.page(5, 1).await, Err(SourceError::Malformed(_))),
        "page does not start where asked"
    );

    set(
        500,
        "{\"message\":\"boom\",\"error_code\":\"internal_error\",\"vm_error_code\":null}".into(),
    );
    let e = source.page(5, 3).await.expect_err("500");
    assert!(
        matches!(e, SourceError::Unavailable(_)) && e.is_retryable(),
        "{e}"
    );

    set(429, "{}".into());
    let e = source.page(5, 3).await.expect_err("429");
    assert_eq!(
        e,
        SourceError::RateLimited {
            retry_after: Some(Duration::from_secs(1))
        }
    );

    set(
        404,
        "{\"message\":\"not yet\",\"error_code\":\"version_not_found\",\"vm_error_code\":null}"
            .into(),
    );
    assert_eq!(source.page(50, 3).await, Err(SourceError::NotYet(50)));

    let dead = RestSource::new("http://127.0.0.1:9/v1", Duration::from_secs(2)).expect("source");
    let e = dead.head().await.expect_err("nobody listens");
    assert!(e.is_retryable(), "{e}");
}

async fn run_against(
    fake: Fake,
) -> (
    Result<(), IndexerError>,
    computestream_eventlog::KafkaSettings,
) {
    let url = serve(fake).await;
    let kafka = computestream_testkit::kafka();
    let indexer = Indexer {
        source: RestSource::new(&url, Duration::from_secs(5)).expect("source"),
        kafka: kafka.clone(),
        chain_id: 4,
        package: support::id().package,
        config: IndexerConfig {
            node_url: url,
            poll_interval_ms: 10,
            ..IndexerConfig::default()
        },
        health: Health::new(),
    };
    let result = tokio::time::timeout(Duration::from_secs(60), indexer.run(None, Shutdown::new()))
        .await
        .expect("the indexer stops on a fatal error");
    (result, kafka)
}

#[tokio::test]
async fn a_gap_stops_the_indexer_without_writing_anything() {
    let page = Arc::new(Mutex::new((
        200u16,
        serde_json::json!([txn(0), txn(1), txn(3)]).to_string(),
    )));
    let (result, kafka) = run_against(Fake { page, oldest: 0 }).await;
    let err = result.expect_err("a gap is fatal");
    assert!(err.to_string().contains("gap"), "{err}");
    assert!(
        progress::read_last(&kafka).await.expect("read").is_none(),
        "no checkpoint past a bad page"
    );
    let records = support::read_all(
        &kafka,
        topics::CHAIN_EVENTS.name,
        support::chain_partitions(),
    )
    .await;
    assert!(records.is_empty());
}

#[tokio::test]
async fn a_pruned_start_is_a_clear_fatal_error() {
    let page = Arc::new(Mutex::new((200u16, "[]".to_owned())));
    let (result, _) = run_against(Fake { page, oldest: 5 }).await;
    let err = result.expect_err("pruned");
    assert!(err.to_string().contains("pruned"), "{err}");
}
