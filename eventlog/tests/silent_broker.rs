//! A broker that accepts connections and never answers (a broker mid-restart, a hung
//! process) does not hold a caller for good: topic creation, the first thing every service
//! does on each (re)start, returns a retryable error, so the in-process restart tries again.

use std::net::TcpListener;
use std::time::Duration;

use computestream_eventlog::{admin, KafkaSettings};
use computestream_schemas::topics;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_creation_against_a_broker_that_never_answers_returns_a_retryable_error() {
    // Accepts every connection and reads nothing: requests go out and no answer comes.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = silent.local_addr().expect("addr");
    let held = std::thread::spawn(move || {
        let mut open = Vec::new();
        for c in silent.incoming().take(64) {
            match c {
                Ok(c) => open.push(c),
                Err(_) => break,
            }
        }
        std::thread::sleep(Duration::from_secs(600));
        drop(open);
    });
    let mut settings = KafkaSettings::new(addr.to_string()).with_topic_prefix("silent");
    settings.request_timeout_ms = 1_000;
    let e = admin::ensure_topics(&settings, &[topics::CHAIN_EVENTS])
        .await
        .expect_err("a broker that never answers creates no topic");
    assert!(e.is_retryable(), "{e}");
    drop(held);
}
