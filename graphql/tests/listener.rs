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
