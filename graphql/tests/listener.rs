//! Issue 24 item 4, the gateway's part: slow headers, a half-sent body and a slow request
//! cannot hold the listener, and connections held at once are capped (past the cap a new
//! connection waits until one closes).

mod support;

use std::time::Duration;

use computestream_graphql::GatewayConfig;
use computestream_runtime::Shutdown;
use support::{config, gateway, seeded};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection; what it sent.
async fn until_closed(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let r = tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut out)).await;
    assert!(r.is_ok(), "the server must close the connection");
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_and_connections_are_capped() {
    let s = seeded(1, 2).await;
    let stop = Shutdown::new();
    let gw = gateway(
        &s,
        GatewayConfig {
            header_read_timeout_ms: 300,
            body_timeout_ms: 300,
            ..config()
        },
        None,
        stop.clone(),
    )
    .await;

    // Headers that never end.
    let mut slow = TcpStream::connect(gw.addr).await.expect("connect");
    slow.write_all(b"GET /api/v1/providers/available HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    until_closed(&mut slow).await;

    // A body that stops half way: answered with an error, the connection closed.
    let mut half = TcpStream::connect(gw.addr).await.expect("connect");
    half.write_all(
        b"POST /graphql HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"query\":",
    )
    .await
    .expect("write");
    let answer = until_closed(&mut half).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{answer}"
    );

    // Three connections held (one request answered on each, kept alive): a fourth waits
    // until one closes.
    let capped = gateway(
        &s,
        GatewayConfig {
            max_connections: 3,
            ..config()
        },
        None,
        stop.clone(),
    )
    .await;
    let request = b"GET /api/v1/providers/available HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut c = TcpStream::connect(capped.addr).await.expect("connect");
        c.write_all(request).await.expect("write");
        let mut buf = [0u8; 12];
        c.read_exact(&mut buf).await.expect("answered");
        assert_eq!(&buf, b"HTTP/1.1 200");
        held.push(c);
    }
    let addr = capped.addr;
    let fourth = tokio::spawn(async move {
        let mut c = TcpStream::connect(addr).await.expect("connect");
        c.write_all(request).await.expect("write");
        let mut buf = [0u8; 12];
        c.read_exact(&mut buf).await.expect("answered");
        buf
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !fourth.is_finished(),
        "the fourth connection waits for a place"
    );
    drop(held.pop());
    let answer = tokio::time::timeout(Duration::from_secs(30), fourth)
        .await
        .expect("answered once a place is free")
        .expect("join");
    assert_eq!(&answer, b"HTTP/1.1 200");
    drop(held);

    stop.trigger();
    let _ = gw.task.await;
    let _ = capped.task.await;
    s.db.drop_now().await;
}
