//! A broker restart does not leave producers failing for good: against a real nisshi broker,
//! SIGKILLed and restarted on the same port, the same `EnvelopeProducer` writes again once
//! the broker is back (a new producer session when the old one hit librdkafka's fatal
//! state: an in-memory broker forgets producer ids); on durable (SQLite) storage the log
//! keeps what was written before.

mod support;
use support::heartbeat;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use computestream_eventlog::{admin, tails, EnvelopeProducer, KafkaSettings};
use computestream_schemas::topics;

/// A nisshi broker on `port`: on SQLite storage at `db`, or in memory.
fn broker(port: u16, db: Option<&std::path::Path>) -> Child {
    let url = format!("tcp://127.0.0.1:{port}");
    // The URL's path is relative to the working directory: "sqlite:///" + "/abs/path".
    let storage = db
        .map(|d| format!("sqlite:///{}", d.display()))
        .unwrap_or_else(|| "memory://nisshi/".into());
    let child = Command::new("nisshi")
        .args([
            "broker",
            "--listener-url",
            &url,
            "--advertised-listener-url",
            &url,
        ])
        .args(["--storage-engine", &storage])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nisshi (scripts/stack.sh up installs it; its bin directory on PATH)");
    for _ in 0..300 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

/// Writes 5 records, SIGKILLs the broker, restarts it, and writes 5 more with the same
/// producer; returns how many records the topic holds at the end.
async fn restart_while_producing(durable: bool) -> usize {
    let dir = std::env::temp_dir().join(format!(
        "cs-broker-restart-{}-{durable}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let db = dir.join("broker.db");
    let port = computestream_testkit::free_port();
    let mut first = broker(port, durable.then_some(db.as_path()));
    let mut kafka = KafkaSettings::new(format!("127.0.0.1:{port}")).with_topic_prefix("restart.");
    // A send that cannot land fails after 5 s (the default is 30 s).
    kafka.request_timeout_ms = 5_000;
    admin::ensure_topics(&kafka, &[topics::METERING])
        .await
        .expect("topics");
    let producer = EnvelopeProducer::new(&kafka, "restart-test").expect("producer");
    for i in 0..5 {
        producer
            .send(&heartbeat(1_000 + i))
            .await
            .expect("send before the restart");
    }

    first.kill().expect("SIGKILL the broker");
    let _ = first.wait();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut second = broker(port, durable.then_some(db.as_path()));
    if !durable {
        // An empty broker: the topics again (every service ensures them when it starts).
        admin::ensure_topics(&kafka, &[topics::METERING])
            .await
            .expect("topics");
    }

    // Once the broker is back, sends succeed again within a bounded number of attempts.
    let mut sent = 0;
    let mut failures = Vec::new();
    for attempt in 0..40u64 {
        match producer.send(&heartbeat(2_000 + attempt)).await {
            Ok(_) => {
                sent += 1;
                if sent == 5 {
                    break;
                }
            }
            Err(e) => {
                assert!(
                    e.is_retryable(),
                    "a send after a broker restart is retryable: {e}"
                );
                failures.push(e.to_string());
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
    assert_eq!(sent, 5, "the producer never recovered: {failures:?}");
    let topic = kafka.topic(topics::METERING.name);
    let records = tails::read_all(&kafka, &topic, topics::METERING.partitions)
        .await
        .expect("read");
    let _ = second.kill();
    let _ = second.wait();
    let _ = std::fs::remove_dir_all(&dir);
    records.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_durable_storage_the_log_survives_and_the_producer_writes_again() {
    let n = restart_while_producing(true).await;
    assert!(
        n >= 10,
        "the log keeps what was written before the restart: {n}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_in_memory_broker_restarts_the_producer_writes_again() {
    // The broker forgot the producer's id and sequence numbers: librdkafka's fatal state,
    // which only a new producer session leaves.
    let n = restart_while_producing(false).await;
    assert!(n >= 5, "{n}");
}
