//! `graphql-transport-ws` exactly as graphql-ws `PROTOCOL.md` says, with a raw WebSocket
//! client: every close code of the document (4400, 4401, 4403, 4406, 4408, 4409, 4429),
//! ping/pong and `complete` both ways, `error` for a refused operation (no `complete`), and
//! a socket's bounded state (issue 24 item 2): message size, operations per connection,
//! connections per client, no state for jobs that do not exist.

mod support;

use computestream_graphql::GatewayConfig;
use computestream_runtime::Shutdown;
use futures::SinkExt;
use serde_json::json;
use support::{acked, closed, config, connect, gateway, next_json, seeded, send_json};
use tokio_tungstenite::tungstenite::Message;

const AVAILABILITY: &str = "subscription { providerAvailability { provider available } }";

fn quick() -> GatewayConfig {
    GatewayConfig {
        ws_init_timeout_ms: 300,
        ws_keepalive_secs: 1,
        ws_max_message_bytes: 4096,
        ws_max_subscriptions: 5,
        ws_max_connections_per_client: 40,
        ..config()
    }
}

fn subscribe(id: &str, query: &str) -> serde_json::Value {
    json!({"id": id, "type": "subscribe", "payload": {"query": query}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_close_code_of_the_protocol() {
    let s = seeded(2, 5).await;
    let stop = Shutdown::new();
    let g = gateway(&s, quick(), None, stop.clone()).await;

    // 4401: subscribe before connection_ack.
    let mut ws = connect(g.addr, Some("graphql-transport-ws")).await;
    send_json(&mut ws, subscribe("1", AVAILABILITY)).await;
    assert_eq!(closed(&mut ws).await, (4401, "Unauthorized".into()));

    // 4409: a second subscribe with an id in use (the first one is still running).
    let mut ws = acked(g.addr).await;
    send_json(&mut ws, subscribe("dup", AVAILABILITY)).await;
    send_json(&mut ws, subscribe("dup", AVAILABILITY)).await;
    assert_eq!(
        closed(&mut ws).await,
        (4409, "Subscriber for dup already exists".into())
    );

    // 4408: nothing sent within the init timeout.
    let mut ws = connect(g.addr, Some("graphql-transport-ws")).await;
    assert_eq!(
        closed(&mut ws).await,
        (4408, "Connection initialisation timeout".into())
    );

    // 4429: a second connection_init.
    let mut ws = acked(g.addr).await;
    send_json(&mut ws, json!({"type": "connection_init"})).await;
    assert_eq!(
        closed(&mut ws).await,
        (4429, "Too many initialisation requests".into())
    );

    // 4403: connection_init naming a session that is not valid.
    let mut ws = connect(g.addr, Some("graphql-transport-ws")).await;
    send_json(
        &mut ws,
        json!({"type": "connection_init", "payload": {"authorization": "Bearer not-a-session"}}),
    )
    .await;
    assert_eq!(closed(&mut ws).await, (4403, "Forbidden".into()));

    // 4406: the subprotocol was not asked for.
    let mut ws = connect(g.addr, None).await;
    assert_eq!(
        closed(&mut ws).await,
        (4406, "Subprotocol not acceptable".into())
    );

    // 4400: messages the document does not define, before and after the ack.
    let invalid = [
        Message::text("not json"),
        Message::text("[1]"),
        Message::text(json!({"type": "no_such_type"}).to_string()),
        Message::text(json!({"id": "1", "type": "next", "payload": {}}).to_string()),
        Message::text(json!({"type": "connection_ack"}).to_string()),
        Message::text(json!({"type": "subscribe", "payload": {"query": "{x}"}}).to_string()),
        Message::text(json!({"id": "1", "type": "subscribe", "payload": {"query": 1}}).to_string()),
        Message::text(json!({"type": "connection_init", "payload": "x"}).to_string()),
    ];
    for (i, m) in invalid.into_iter().enumerate() {
        let mut ws = if i % 2 == 0 {
            connect(g.addr, Some("graphql-transport-ws")).await
        } else {
            acked(g.addr).await
        };
        let shown = m.to_string();
        ws.send(m).await.expect("send");
        let (code, reason) = closed(&mut ws).await;
        assert_eq!(code, 4400, "{shown}: {reason}");
        assert!(!reason.is_empty());
    }

    // 1009: a message over the configured size.
    let mut ws = acked(g.addr).await;
    let big = format!("{{ {} }}", "__typename ".repeat(1000));
    send_json(&mut ws, subscribe("big", &big)).await;
    assert_eq!(closed(&mut ws).await.0, 1009);

    stop.trigger();
    let _ = g.task.await;
    s.db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_pong_complete_and_error_both_ways() {
    let s = seeded(2, 5).await;
    let stop = Shutdown::new();
    let g = gateway(&s, quick(), None, stop.clone()).await;

    // Ping and pong are allowed before the ack; the pong echoes the payload.
    let mut ws = connect(g.addr, Some("graphql-transport-ws")).await;
    send_json(&mut ws, json!({"type": "ping", "payload": {"n": 7}})).await;
    assert_eq!(
        next_json(&mut ws).await,
        json!({"type": "pong", "payload": {"n": 7}})
    );
    send_json(&mut ws, json!({"type": "pong"})).await;
    send_json(&mut ws, json!({"type": "connection_init"})).await;
    assert_eq!(next_json(&mut ws).await["type"], "connection_ack");

    // The server pings on its own (keep-alive 1 s here).
    let m = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        futures::StreamExt::next(&mut ws),
    )
    .await
    .expect("a ping within 5 s")
    .expect("open")
    .expect("message");
    assert_eq!(m.to_text().expect("text"), r#"{"type":"ping"}"#);
    send_json(&mut ws, json!({"type": "pong"})).await;

    // A query over the socket: next, then the server's complete.
    send_json(&mut ws, subscribe("q", "{ marketplaceStats { jobs } }")).await;
    let n = next_json(&mut ws).await;
    assert_eq!(
        (n["id"].as_str(), n["type"].as_str()),
        (Some("q"), Some("next")),
        "{n}"
    );
    assert_eq!(n["payload"]["data"]["marketplaceStats"]["jobs"], "2");
    assert_eq!(
        next_json(&mut ws).await,
        json!({"id": "q", "type": "complete"})
    );

    // A refused operation: error, no complete, and the id is free again.
    send_json(&mut ws, subscribe("e", "subscription { noSuchField }")).await;
    let e = next_json(&mut ws).await;
    assert_eq!(
        (e["id"].as_str(), e["type"].as_str()),
        (Some("e"), Some("error")),
        "{e}"
    );
    assert!(e["payload"].as_array().is_some_and(|a| !a.is_empty()));
    send_json(&mut ws, subscribe("e", "{ marketplaceStats { jobs } }")).await;
    assert_eq!(next_json(&mut ws).await["type"], "next");
    assert_eq!(next_json(&mut ws).await["type"], "complete");

    // The client's complete stops a subscription: its id may be used again at once,
    // and a complete for an unknown id is ignored.
    send_json(&mut ws, subscribe("s", AVAILABILITY)).await;
    send_json(&mut ws, json!({"id": "s", "type": "complete"})).await;
    send_json(&mut ws, json!({"id": "never", "type": "complete"})).await;
    send_json(
        &mut ws,
        subscribe("s", "{ marketplaceStats { providers } }"),
    )
    .await;
    let n = next_json(&mut ws).await;
    assert_eq!(
        (n["id"].as_str(), n["type"].as_str()),
        (Some("s"), Some("next")),
        "{n}"
    );

    // A subscription to a job that does not exist is refused with an error.
    send_json(
        &mut ws,
        subscribe(
            "x",
            "subscription { jobStatus(jobId: \"1000000000000\") { to } }",
        ),
    )
    .await;
    let mut e = next_json(&mut ws).await;
    while e["id"] == "s" {
        e = next_json(&mut ws).await;
    }
    assert_eq!(e["type"], "error", "{e}");
    assert_eq!(e["payload"][0]["extensions"]["code"], "NOT_FOUND");

    stop.trigger();
    let _ = g.task.await;
    s.db.drop_now().await;
}

/// Issue 24 item 2: 10,000 `jobStatus` subscriptions of jobs that do not exist on one
/// connection are all refused, and nothing is kept for them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_socket_cannot_hold_unbounded_state() {
    let s = seeded(2, 5).await;
    let stop = Shutdown::new();
    let g = gateway(&s, quick(), None, stop.clone()).await;
    let mut ws = acked(g.addr).await;
    let n = 10_000u64;
    for i in 0..n {
        let q = format!(
            "subscription {{ jobStatus(jobId: \"{}\") {{ to }} }}",
            1_000_000_000_000 + i
        );
        send_json(&mut ws, subscribe(&i.to_string(), &q)).await;
    }
    let mut refused = 0;
    while refused < n {
        let m = next_json(&mut ws).await;
        assert_eq!(m["type"], "error", "{m}");
        let code = m["payload"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            code == "NOT_FOUND" || code == "TOO_MANY_SUBSCRIPTIONS",
            "{m}"
        );
        refused += 1;
    }
    assert_eq!(
        g.feed.job_channels(),
        0,
        "no channel for jobs that do not exist"
    );
    assert_eq!(g.feed.subscribers(), 0);

    // Operations per connection: the sixth running one is refused, the five go on.
    for i in 0..6 {
        send_json(&mut ws, subscribe(&format!("a{i}"), AVAILABILITY)).await;
    }
    let e = next_json(&mut ws).await;
    assert_eq!(
        (e["id"].as_str(), e["type"].as_str()),
        (Some("a5"), Some("error")),
        "{e}"
    );
    assert_eq!(
        e["payload"][0]["extensions"]["code"],
        "TOO_MANY_SUBSCRIPTIONS"
    );

    // Connections per client address.
    let mut held = Vec::new();
    for _ in 0..39 {
        held.push(connect(g.addr, Some("graphql-transport-ws")).await);
    }
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
        format!("ws://{}/graphql/ws", g.addr),
    )
    .expect("request");
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 429),
        other => panic!("the 41st connection of one client must be refused: {other:?}"),
    }
    drop(held);

    stop.trigger();
    let _ = g.task.await;
    s.db.drop_now().await;
}
