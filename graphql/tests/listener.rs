//! Issue 24 item 4, the gateway's part: slow headers and a half-sent body cannot hold the
//! gateway's listener. The listener itself (connection cap, request timeout, JSON refusals)
//! is tested in `runtime/tests/http_listener.rs`.

mod support;

use computestream_graphql::GatewayConfig;
use computestream_runtime::Shutdown;
use computestream_testkit::slow_client;
use support::{config, gateway, seeded};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off() {
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

    // Headers that never end; a body that stops half way.
    slow_client::assert_slow_headers_cut_off(gw.addr, "/api/v1/providers/available").await;
    slow_client::assert_half_body_cut_off(gw.addr, "/graphql", 1000).await;

    stop.trigger();
    let _ = gw.task.await;
    s.db.drop_now().await;
}

/// Issue 24's per-client limits behind an ingress: a request from a trusted proxy counts
/// against the address it forwarded, so clients behind one ingress are limited one by one;
/// from anyone else the header is the client's own claim and is ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_client_limits_see_through_trusted_proxies_only() {
    let s = seeded(1, 2).await;
    let stop = Shutdown::new();
    let limited = |trusted: Vec<String>| GatewayConfig {
        rate_limit_per_minute: 3,
        trusted_proxies: trusted,
        ..config()
    };
    let behind = gateway(&s, limited(vec!["127.0.0.0/8".into()]), None, stop.clone()).await;
    let direct = gateway(&s, limited(Vec::new()), None, stop.clone()).await;
    let http = reqwest::Client::new();
    let get = |addr: std::net::SocketAddr, client: &'static str| {
        let req = http
            .get(format!("http://{addr}/api/v1/providers/available"))
            .header("x-forwarded-for", client);
        async move { req.send().await.expect("get").status().as_u16() }
    };
    for _ in 0..3 {
        assert_eq!(get(behind.addr, "198.51.100.1").await, 200);
    }
    assert_eq!(
        get(behind.addr, "198.51.100.1").await,
        429,
        "that client is limited"
    );
    assert_eq!(
        get(behind.addr, "198.51.100.2").await,
        200,
        "another is not"
    );

    for client in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        assert_eq!(get(direct.addr, client).await, 200);
    }
    assert_eq!(
        get(direct.addr, "198.51.100.4").await,
        429,
        "without a trusted proxy the header changes nothing"
    );
    stop.trigger();
    let _ = behind.task.await;
    let _ = direct.task.await;
    s.db.drop_now().await;
}
