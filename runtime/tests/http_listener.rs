//! The shared public listener (issue 24 item 4): slow headers and half-sent bodies are cut
//! off, an oversized body is refused before it is read, a handler that takes too long is
//! answered `408`, every refusal has the JSON error shape, and connections are capped while
//! the listener keeps answering others.

use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use computestream_runtime::http_listener::{self, HttpLimits};
use computestream_runtime::Shutdown;
use computestream_testkit::slow_client;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn start(limits: HttpLimits, stop: &Shutdown) -> std::net::SocketAddr {
    let app = limits.apply(
        Router::new()
            .route("/ok", get(|| async { "ok" }))
            .route("/echo", post(|body: String| async move { body }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(3_600)).await;
                    "late"
                }),
            ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(http_listener::serve(
        listener,
        app,
        limits.listener(),
        "test",
        stop.clone(),
    ));
    addr
}

fn body_of(answer: &str) -> serde_json::Value {
    let (_, body) = answer.split_once("\r\n\r\n").expect("a body");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_large_requests_are_refused_with_json() {
    let stop = Shutdown::new();
    let addr = start(
        HttpLimits {
            header_read_timeout_ms: 300,
            body_timeout_ms: 300,
            request_timeout_ms: 500,
            max_body_bytes: 1024,
            ..HttpLimits::default()
        },
        &stop,
    )
    .await;
    let http = reqwest::Client::new();

    slow_client::assert_slow_headers_cut_off(addr, "/ok").await;
    let half = slow_client::assert_half_body_cut_off(addr, "/echo", 1000).await;
    assert!(half.starts_with("HTTP/1.1 408"), "{half}");
    assert_eq!(body_of(&half)["error"], "request_timeout");

    // A declared body over the limit is refused without being read.
    let big = slow_client::assert_half_body_cut_off(addr, "/echo", 2 << 20).await;
    assert!(big.starts_with("HTTP/1.1 413"), "{big}");
    assert_eq!(body_of(&big)["error"], "payload_too_large");

    let slow = http
        .get(format!("http://{addr}/slow"))
        .send()
        .await
        .expect("get");
    assert_eq!(slow.status(), 408);
    let j: serde_json::Value = slow.json().await.expect("json");
    assert_eq!(j["error"], "request_timeout");

    let echo = http
        .post(format!("http://{addr}/echo"))
        .body("hello")
        .send()
        .await
        .expect("post");
    assert_eq!(echo.text().await.expect("text"), "hello");
    stop.trigger();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_wait_for_a_place() {
    let stop = Shutdown::new();
    let addr = start(
        HttpLimits {
            max_connections: 2,
            ..HttpLimits::default()
        },
        &stop,
    )
    .await;
    let request = b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut c = slow_client::stalled(addr, request).await;
        let mut buf = [0u8; 12];
        c.read_exact(&mut buf).await.expect("answered");
        assert_eq!(&buf, b"HTTP/1.1 200");
        held.push(c);
    }
    let third = tokio::spawn(async move {
        let mut c = tokio::net::TcpStream::connect(addr).await.expect("connect");
        c.write_all(request).await.expect("write");
        let mut buf = [0u8; 12];
        c.read_exact(&mut buf).await.expect("answered");
        buf
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!third.is_finished(), "the third connection waits");
    drop(held.pop());
    let answer = tokio::time::timeout(Duration::from_secs(30), third)
        .await
        .expect("answered once a place is free")
        .expect("join");
    assert_eq!(&answer, b"HTTP/1.1 200");
    stop.trigger();
}
