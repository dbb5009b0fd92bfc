//! Clients that misbehave on purpose, for the listener tests (issue 24 item 4): a
//! connection that sends part of a request and stalls, and a read that waits for the
//! server to close.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Connects to `addr`, sends `bytes` and stalls (nothing more is sent).
pub async fn stalled(addr: SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(bytes).await.expect("write");
    s
}

/// Reads until the server closes the connection and returns what it sent. Panics when the
/// server keeps it open for 30 s (a guard against a hang, not a speed check).
pub async fn until_closed(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let r = tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut out)).await;
    assert!(r.is_ok(), "the server must close the connection");
    String::from_utf8_lossy(&out).into_owned()
}

/// Headers that never end: the server must close the connection.
pub async fn assert_slow_headers_cut_off(addr: SocketAddr, path: &str) {
    let mut slow = stalled(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: x\r\n").as_bytes(),
    )
    .await;
    until_closed(&mut slow).await;
}

/// A body of `declared` bytes that stops after a few: the server must answer with a 4xx
/// (or close) and end the connection. Returns the answer.
pub async fn assert_half_body_cut_off(addr: SocketAddr, path: &str, declared: usize) -> String {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: {declared}\r\n\r\n{{\"x\":"
    );
    let mut half = stalled(addr, head.as_bytes()).await;
    let answer = until_closed(&mut half).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{answer}"
    );
    answer
}
