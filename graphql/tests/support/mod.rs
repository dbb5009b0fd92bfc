//! Shared by the gateway's tests: read models projected from a synthetic history into a
//! fresh database, a gateway (or two) on them, a GraphQL client over HTTP and a
//! `graphql-transport-ws` client over WebSocket.
#![allow(dead_code, unused_imports)]

use std::net::SocketAddr;
use std::time::Duration;

use computestream_domain::{AccountAddress, SigningKey};
use computestream_eventlog::KafkaSettings;
use computestream_graphql::{Gateway, GatewayConfig, RunningGateway};
use computestream_projector::{replay, ProjectorConfig};
use computestream_runtime::{Health, Shutdown};
use computestream_testkit::TestDatabase;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

pub const T0_MS: u64 = 1_795_000_020_000;

pub struct Seeded {
    pub db: TestDatabase,
    pub pool: PgPool,
    pub kafka: KafkaSettings,
}

/// `jobs` synthetic jobs of `seconds` seconds each, projected into schema `gw`.
pub async fn seeded(jobs: u64, seconds: u64) -> Seeded {
    let db = TestDatabase::fresh().await;
    let kafka = computestream_testkit::kafka();
    let history = computestream_testkit::history::marketplace(jobs, seconds, T0_MS);
    computestream_testkit::publish(&kafka, &history).await;
    let (pool, _) = replay::build(&db.url, &kafka, "gw", &ProjectorConfig::default())
        .await
        .expect("project the history");
    Seeded { db, pool, kafka }
}

pub fn config() -> GatewayConfig {
    GatewayConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        ..GatewayConfig::default()
    }
}

pub async fn gateway(
    s: &Seeded,
    config: GatewayConfig,
    node_url: Option<String>,
    shutdown: Shutdown,
) -> RunningGateway {
    let mut config = config;
    if let Some(u) = node_url {
        config.node_url = u;
    }
    let health = Health::new();
    let running = Gateway {
        config,
        pool: s.pool.clone(),
        kafka: s.kafka.clone(),
        chain_id: 4,
        package: AccountAddress::new([0xc5; 32]),
        payment_ahead_secs: 2,
        health: health.clone(),
    }
    .start(shutdown)
    .await
    .expect("gateway");
    // Ready once the live feed is positioned at the log's ends.
    for _ in 0..300 {
        if health.report().0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    running
}

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: format!("http://{addr}"),
            token: None,
        }
    }

    /// POSTs a GraphQL request; returns the whole response body.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let mut r = self
            .http
            .post(format!("{}/graphql", self.base))
            .json(&json!({"query": query, "variables": variables}));
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        let resp = r.send().await.expect("post");
        assert!(
            resp.status().is_success(),
            "GraphQL answered HTTP {}",
            resp.status()
        );
        resp.json().await.expect("json")
    }

    /// GETs `path` (with the session, if any); the JSON body.
    pub async fn get_json(&self, path: &str) -> Value {
        let mut r = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("get").json().await.expect("json")
    }

    /// The data of a query that must succeed.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let v = self.gql(query, variables).await;
        assert!(v.get("errors").is_none(), "errors: {v}");
        v["data"].clone()
    }
}

/// The synthetic history's provider keys: 10 jobs per provider.
pub fn provider_of_job(job: u64) -> SigningKey {
    let mut s = [0x1a; 32];
    s[..8].copy_from_slice(&((job - 1) / 10).to_le_bytes());
    SigningKey::from_seed(s)
}

/// The synthetic history's buyer keys: one per job.
pub fn buyer_of_job(job: u64) -> SigningKey {
    let mut s = [0x2b; 32];
    s[..8].copy_from_slice(&job.to_le_bytes());
    SigningKey::from_seed(s)
}

/// Signs in as `key`'s account (challenge, signature, session); returns the token.
pub async fn sign_in(c: &Client, key: &SigningKey) -> String {
    let me = computestream_domain::ed25519_authentication_key(&key.public_key());
    let ch = c
        .data(
            "mutation($a: String!) { signInChallenge(address: $a) { nonce message } }",
            json!({"a": me.to_long_string()}),
        )
        .await;
    let message = ch["signInChallenge"]["message"].as_str().expect("message");
    let session = c
        .data(
            "mutation($a: String!, $k: String!, $n: String!, $s: String!) { signIn(address: $a, publicKey: $k, nonce: $n, signature: $s) { token } }",
            json!({"a": me.to_long_string(), "k": key.public_key().to_string(),
                   "n": ch["signInChallenge"]["nonce"], "s": key.sign(message.as_bytes()).to_string()}),
        )
        .await;
    session["signIn"]["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// The first error's `code`.
pub fn code(v: &Value) -> String {
    v["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a WebSocket to the gateway asking for `protocol` (none: no subprotocol).
pub async fn connect(addr: SocketAddr, protocol: Option<&str>) -> Ws {
    let mut req = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .expect("request");
    if let Some(p) = protocol {
        req.headers_mut()
            .insert("sec-websocket-protocol", p.parse().expect("header"));
    }
    tokio_tungstenite::connect_async(req)
        .await
        .expect("connect")
        .0
}

/// Sends one JSON text message.
pub async fn send_json(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.expect("send");
}

/// Reads until the server closes: its close code and reason (pings answered, other
/// messages skipped).
pub async fn closed(ws: &mut Ws) -> (u16, String) {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("closed within 30 s");
        match m {
            Some(Ok(Message::Close(Some(f)))) => return (f.code.into(), f.reason.to_string()),
            Some(Ok(Message::Close(None))) | None => return (1005, String::new()),
            Some(Err(e)) => panic!("the socket failed instead of closing: {e}"),
            Some(Ok(_)) => continue,
        }
    }
}

/// A connection after `connection_init` and its `connection_ack`.
pub async fn acked(addr: SocketAddr) -> Ws {
    let mut ws = connect(addr, Some("graphql-transport-ws")).await;
    send_json(&mut ws, json!({"type": "connection_init"})).await;
    let ack = next_json(&mut ws).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    ws
}

/// Opens a `graphql-transport-ws` connection and starts `query` as subscription `id`.
pub async fn subscribe(addr: SocketAddr, query: &str, variables: Value) -> Ws {
    subscribe_as(addr, query, variables, None).await
}

/// [`subscribe`] signed in with `token` (in `connection_init`).
pub async fn subscribe_as(
    addr: SocketAddr,
    query: &str,
    variables: Value,
    token: Option<&str>,
) -> Ws {
    let mut req = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .expect("request");
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut ws, resp) = tokio_tungstenite::connect_async(req)
        .await
        .expect("connect");
    assert_eq!(
        resp.headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok()),
        Some("graphql-transport-ws")
    );
    ws.send(Message::text(
        json!({"type": "connection_init", "payload": match token {
            Some(t) => json!({"authorization": format!("Bearer {t}")}),
            None => json!({}),
        }})
        .to_string(),
    ))
    .await
    .expect("init");
    let ack = next_json(&mut ws).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    ws.send(Message::text(
        json!({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}).to_string(),
    ))
    .await
    .expect("subscribe");
    ws
}

/// The next JSON message (pings answered).
pub async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("a message within 30 s")
            .expect("open")
            .expect("message");
        if let Message::Text(t) = m {
            let v: Value = serde_json::from_str(&t).expect("json");
            if v["type"] == "ping" {
                ws.send(Message::text(json!({"type": "pong"}).to_string()))
                    .await
                    .expect("pong");
                continue;
            }
            return v;
        }
    }
}
