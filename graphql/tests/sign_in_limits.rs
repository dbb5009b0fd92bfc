//! Issue 24 item 3, the gateway's part: sign-in nonces are rate-limited per client address,
//! over HTTP and over WebSocket alike (one window per address), so one socket cannot fill
//! the nonce table; the tables themselves are bounded and expiring (unit tests in
//! `auth.rs` and `expiring_map.rs`).

mod support;

use computestream_graphql::GatewayConfig;
use computestream_runtime::Shutdown;
use serde_json::json;
use support::{acked, code, config, gateway, next_json, seeded, send_json, Client};

const CHALLENGE: &str = "mutation { signInChallenge(address: \"0x1\") { nonce } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonces_are_rate_limited_per_client_over_http_and_websocket() {
    let s = seeded(1, 2).await;
    let stop = Shutdown::new();
    let gw = gateway(
        &s,
        GatewayConfig {
            nonces_per_minute_per_client: 4,
            ..config()
        },
        None,
        stop.clone(),
    )
    .await;
    let c = Client::new(gw.addr);
    for _ in 0..2 {
        c.data(CHALLENGE, json!({})).await;
    }
    let mut ws = acked(gw.addr).await;
    let mut codes = Vec::new();
    for i in 0..5 {
        send_json(
            &mut ws,
            json!({"id": i.to_string(), "type": "subscribe", "payload": {"query": CHALLENGE}}),
        )
        .await;
        let m = next_json(&mut ws).await;
        assert_eq!(m["type"], "next", "{m}");
        codes.push(
            m["payload"]["errors"][0]["extensions"]["code"]
                .as_str()
                .unwrap_or("ok")
                .to_owned(),
        );
        assert_eq!(next_json(&mut ws).await["type"], "complete");
    }
    assert_eq!(
        codes,
        ["ok", "ok", "RATE_LIMITED", "RATE_LIMITED", "RATE_LIMITED"]
    );
    assert_eq!(code(&c.gql(CHALLENGE, json!({})).await), "RATE_LIMITED");

    stop.trigger();
    let _ = gw.task.await;
    s.db.drop_now().await;
}
