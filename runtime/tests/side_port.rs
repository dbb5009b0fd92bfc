//! The side port answers `/healthz` (200 or 503 from the registered checks) and `/metrics`
//! (Prometheus text), and stops on shutdown.

use std::net::SocketAddr;

use computestream_runtime::{side_port, telemetry, Health, Shutdown};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut buf = String::new();
    s.read_to_string(&mut buf).await.expect("read");
    let status = buf
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status code");
    let body = buf
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn healthz_and_metrics() {
    let health = Health::new();
    let shutdown = Shutdown::new();
    let prom = telemetry::prometheus().expect("recorder");
    let (addr, task) = side_port::serve(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        health.clone(),
        prom,
        shutdown.clone(),
    )
    .await
    .expect("bind");

    health.ok("kafka");
    assert_eq!(get(addr, "/healthz").await.0, 200);
    health.failing("postgres", "connection refused");
    let (code, body) = get(addr, "/healthz").await;
    assert_eq!(code, 503);
    assert!(
        body.contains("postgres: failing: connection refused"),
        "{body}"
    );

    metrics::counter!("computestream_test_pings_total").increment(3);
    let (code, body) = get(addr, "/metrics").await;
    assert_eq!(code, 200);
    assert!(body.contains("computestream_test_pings_total 3"), "{body}");

    assert_eq!(get(addr, "/nope").await.0, 404);
    shutdown.trigger();
    task.await.expect("server stops on shutdown");
}
